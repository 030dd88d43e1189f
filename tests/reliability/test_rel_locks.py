"""Scenario 3: lock contention from other real processes, and readers during a run (WAL).

The connection's busy timeout is 5 s per attempt; beyond it the processor retries the whole
commit group (tenacity) within ``MAX_RETRY_SECONDS``. A holder of ``BEGIN IMMEDIATE`` for 6.5 s
therefore forces at least one retry, and the run still completes; with a 1 s budget the same
holder ends the run with exit 3, and the batches committed before stay.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from pathlib import Path
from typing import Any

import pytest

from tests.support import reliability as R
from tests.support.cli import CLI, cli_env
from tests.support.data import load_meetings, write_ndjson
from tests.support.hearings import counts

# Waits until ``hearings`` has at least ``min_rows`` rows, then holds the write lock ``hold`` s.
HOLDER = textwrap.dedent("""
    import sys, time, apsw
    path, min_rows, hold, flag = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), sys.argv[4]
    while True:
        try:
            c = apsw.Connection(path)
            c.set_busy_timeout(20000)
            if c.execute("SELECT count(*) FROM hearings").fetchall()[0][0] >= min_rows:
                break
            c.close()
        except apsw.Error:
            pass
        time.sleep(0.01)
    c.execute("BEGIN IMMEDIATE")
    c.execute("UPDATE sqlbatch_runs SET source = source WHERE 0")
    open(flag, "w").close()
    time.sleep(hold)
    c.execute("COMMIT")
""")

# Reads in a loop until ``stop`` exists; prints one JSON line: reads done and torn snapshots.
READER = textwrap.dedent("""
    import json, os, sys, time, apsw
    path, stop = sys.argv[1], sys.argv[2]
    reads = torn = 0
    c = None
    while not os.path.exists(stop):
        try:
            if c is None:
                c = apsw.Connection(path, flags=apsw.SQLITE_OPEN_READONLY)
            c.execute("BEGIN")
            stored = c.execute("SELECT count(*) FROM hearings").fetchall()[0][0]
            journaled = c.execute("SELECT coalesce(sum(committed), 0) FROM sqlbatch_batches").fetchall()[0][0]
            links = c.execute("SELECT count(*) FROM hearing_committees").fetchall()[0][0]
            c.execute("COMMIT")
        except apsw.Error:  # the file, schema or journal is not there yet
            c = None
            time.sleep(0.005)
            continue
        reads += 1
        if stored != journaled or (stored and not links):
            torn += 1
    print(json.dumps({"reads": reads, "torn": torn}))
""")


def _input(tmp_path: Path, count: int) -> tuple[Path, dict[str, Any], dict[int, str | None]]:
    meetings = load_meetings()
    chosen = [{**meetings[i % len(meetings)], "eventId": str(800_000 + i)} for i in range(count)]
    path = write_ndjson(tmp_path / "input.ndjson", [{"committeeMeeting": m} for m in chosen])
    return path, {m["eventId"]: m for m in chosen}, {i: m["eventId"] for i, m in enumerate(chosen, start=1)}


def _run(db: Path, source: Path, cwd: Path, **env: str) -> subprocess.Popen[str]:
    args = [*CLI, "run", "--db", str(db), "--source", str(source), "--batch-size", "50", "--json"]
    return subprocess.Popen(
        args, cwd=cwd, env=cli_env(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _holder(db: Path, min_rows: int, hold: float, flag: Path) -> subprocess.Popen[str]:
    args = [sys.executable, "-c", HOLDER, str(db), str(min_rows), str(hold), str(flag)]
    return subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


@pytest.mark.slow
def test_run_waits_for_a_lock_holder_and_completes(tmp_path: Path) -> None:
    source, payloads, positions = _input(tmp_path, 6000)
    db = tmp_path / "h.db"
    flag = tmp_path / "held"
    holder = _holder(db, 100, 6.5, flag)
    run = _run(db, source, tmp_path)
    out, err = run.communicate(timeout=120)
    assert holder.wait(timeout=60) == 0, holder.stderr.read() if holder.stderr else ""
    assert flag.exists()  # the lock really was held during the run
    assert run.returncode == 0, err
    result = json.loads(out)
    assert result["status"] == "completed" and result["records_committed"] == 6000
    assert result["retries"] >= 1  # held beyond the 5 s busy timeout: the group was retried
    R.assert_sound(db, payloads, positions=positions)
    R.record_figures("locks_wait", {"held_s": 6.5, "retries": result["retries"]})


@pytest.mark.slow
def test_lock_beyond_the_retry_budget_exits_3_and_keeps_committed_batches(tmp_path: Path) -> None:
    source, payloads, positions = _input(tmp_path, 6000)
    db = tmp_path / "h.db"
    flag = tmp_path / "held"
    holder = _holder(db, 500, 9.0, flag)
    run = _run(db, source, tmp_path, MAX_RETRY_SECONDS="1")
    out, err = run.communicate(timeout=120)
    holder.wait(timeout=60)
    assert run.returncode == 3, err
    assert "Traceback" not in err
    (line,) = err.strip().splitlines()
    assert "locked by another process" in line and "run again" in line and "committed batches are kept" in line
    result = json.loads(out)
    assert result["status"] == "aborted"
    figures = R.assert_sound(db, payloads, positions=positions)
    assert 500 <= figures["hearings"] == result["records_committed"] < 6000
    again = _run(db, source, tmp_path)  # the lock is gone: the rerun resumes and completes
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    R.assert_sound(db, payloads, positions=positions)
    assert counts(db)["hearings"] == 6000
    R.record_figures("locks_budget", {"committed_before_abort": figures["hearings"]})


def test_readers_keep_reading_whole_batches_during_a_run(tmp_path: Path) -> None:
    source, payloads, positions = _input(tmp_path, 6000)
    db = tmp_path / "h.db"
    stop = tmp_path / "stop"
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db), str(stop)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )
    run = _run(db, source, tmp_path)
    out, err = run.communicate(timeout=120)
    stop.touch()
    seen = json.loads(reader.communicate(timeout=60)[0])
    assert run.returncode == 0, err
    assert seen["reads"] > 10 and seen["torn"] == 0
    R.assert_sound(db, payloads, positions=positions)
    R.record_figures("locks_readers", seen)
