"""Real second processes: a reader never sees half a batch; a killed run loses only whole batches.

Crash safety: after a crash at any instant each batch is wholly in the database with its
journal row, or wholly absent; a rerun resumes and ends with the same data.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from tests.support import processor as S

HERE = Path(__file__).parents[2]  # the repository: the writer imports tests.support

WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {here!r})
    from tests.support import processor as S
    path, strategy, interval, progress_file = sys.argv[1], sys.argv[2], float(sys.argv[3]), sys.argv[4]
    S.run(S.Path(path), S.records(2000), strategy, interval, apply=S.slowed(0.01),
          progress=S.progress_to(progress_file), source="feed")
""")

READER = textwrap.dedent("""
    import os, sys, time
    import apsw
    path, stop = sys.argv[1], sys.argv[2]
    c = apsw.Connection(path)
    c.set_busy_timeout(5000)
    seen = set()
    while not os.path.exists(stop):
        c.execute("BEGIN")
        parents = c.execute("SELECT count(*) FROM parent WHERE id < 100000").fetchall()[0][0]
        children = c.execute("SELECT count(*) FROM child WHERE parent_id < 100000").fetchall()[0][0]
        try:
            journaled = c.execute("SELECT coalesce(sum(committed), 0) FROM sqlbatch_batches").fetchall()[0][0]
        except apsw.SQLError:
            journaled = 0
        c.execute("COMMIT")
        if parents % 50 or children != 2 * parents or journaled != parents:
            print(f"PARTIAL parents={parents} children={children} journaled={journaled}", flush=True)
        seen.add(parents)
        time.sleep(0.001)
    print(f"SNAPSHOTS {len(seen)}", flush=True)
""")


def _whole_batches_only(path: Path) -> int:
    """The data holds whole batches, each with its journal row; returns the records kept."""
    keys = S.parent_keys(path)
    journaled = S.query(path, "SELECT batch_no, committed, first_key, last_key FROM sqlbatch_batches")
    assert sum(r[1] for r in journaled) == len(keys)
    assert len(keys) % 50 == 0
    assert keys == {f"r{i:04d}" for i in range(1, len(keys) + 1)}
    S.assert_records_stored(path, S.records(len(keys)))
    return len(keys)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", S.STRATEGIES)
def test_reader_never_sees_half_a_batch(tmp_path: Path, strategy: str) -> None:
    db = S.build_db(tmp_path / "proc.db")
    stop = tmp_path / "stop"
    reader = subprocess.Popen([sys.executable, "-c", READER, str(db), str(stop)], stdout=subprocess.PIPE, text=True)
    try:
        res = S.run(db, S.records(600), strategy, 0, apply=S.slowed(0.01))
    finally:
        stop.touch()
        out, _ = reader.communicate(timeout=30)
    assert res.metrics.commits == 12
    assert "PARTIAL" not in out, out
    assert int(out.split("SNAPSHOTS")[1]) >= 3, out  # it really watched the run progress
    S.assert_sound(db)


@pytest.mark.slow
@pytest.mark.parametrize("strategy,interval", [("memory", 0), ("savepoint", 0), ("session", 0), ("memory", 100)])
def test_killed_run_keeps_whole_batches_and_resumes(tmp_path: Path, strategy: str, interval: float) -> None:
    db = S.build_db(tmp_path / "proc.db")
    progress = tmp_path / "progress"
    writer = subprocess.Popen(
        [sys.executable, "-c", WRITER.format(here=str(HERE)), str(db), strategy, str(interval), str(progress)]
    )
    deadline = time.monotonic() + 30
    while not (progress.exists() and int(progress.read_text() or 0) >= 800):
        assert writer.poll() is None, "the writer ended before it could be killed"
        assert time.monotonic() < deadline
        time.sleep(0.005)
    os.kill(writer.pid, signal.SIGKILL)
    writer.wait(timeout=10)
    kept = _whole_batches_only(db)
    assert 0 < kept < 2000
    S.assert_sound(db)
    run = S.query(db, "SELECT status, last_position, cursor FROM sqlbatch_runs")
    assert run == [("running", kept, f"t{kept:06d}")]
    res = S.run(db, S.records(2000), strategy, interval, source="feed")
    assert res.metrics.records_resumed == kept and res.metrics.records_added == 2000 - kept
    first = S.journal(db, "sqlbatch_runs", 1)[0]  # no longer "running" forever in 'status'
    assert first["status"] == "interrupted" and f"run {res.run_id} resumed it" in first["error"]
    assert S.journal(db, "sqlbatch_runs", res.run_id)[0]["resumed_from"] == 1
    ref = S.build_db(tmp_path / "ref.db")
    S.run(ref, S.records(2000), strategy, interval, source="feed")
    assert S.dump(db) == S.dump(ref)
    S.assert_sound(db)
