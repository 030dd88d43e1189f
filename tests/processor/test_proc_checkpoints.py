"""A long run's WAL checkpoints run in a thread of their own (``sqlbatch._checkpoints``).

What must hold: the data and journal are those of a run that checkpoints in the writer; a
short run (and a dry run) never starts the thread; the WAL stays bounded; when the run ends
the thread is gone and the writer's automatic checkpoints are back; a run killed while the
thread checkpoints loses only whole batches and a rerun completes.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import pytest

import sqlbatch
from sqlbatch import _checkpoints, _group
from tests.support import processor as S

CROSS = pytest.mark.parametrize("strategy", S.STRATEGIES)
INTERVAL = pytest.mark.parametrize("interval", S.INTERVALS, ids=["commit-each", "grouped"])
HERE = Path(__file__).parents[2]


@pytest.fixture
def seen(monkeypatch: pytest.MonkeyPatch) -> list[_checkpoints.Checkpointer]:
    """Every run's checkpointer, kept for the assertions."""
    made: list[_checkpoints.Checkpointer] = []

    def make(*args: Any, **kwargs: Any) -> _checkpoints.Checkpointer:
        made.append(_checkpoints.Checkpointer(*args, **kwargs))
        return made[-1]

    monkeypatch.setattr(_group, "Checkpointer", make)
    return made


def _run(
    path: Path, recs: list[dict], strategy: str = "memory", interval: float = 0, *, wal_pages: int = 20, **kw: Any
):
    conn = sqlbatch.connect(path)
    try:
        conn.execute(f"PRAGMA wal_autocheckpoint={wal_pages}").fetchall()
        res = S.processor(conn, strategy, interval, **kw).run(recs, source="src")
        limit = conn.query_value("PRAGMA wal_autocheckpoint")
        return res, limit
    finally:
        conn.close()


def _threads() -> list[str]:
    return [t.name for t in threading.enumerate() if t.name == "sqlbatch-checkpoints"]


@CROSS
@INTERVAL
def test_a_long_run_checkpoints_in_a_thread_with_the_same_outcome(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seen: list, strategy: str, interval: float
) -> None:
    recs = S.records(600, S.spread_bad(600, 97))
    monkeypatch.setattr(_checkpoints, "ENGAGE_AFTER_BATCHES", 10**9)
    plain = S.build_db(tmp_path / "plain.db")
    expected, _ = _run(plain, recs, strategy, interval, batch_size=10)
    monkeypatch.setattr(_checkpoints, "ENGAGE_AFTER_BATCHES", 3)
    db = S.build_db(tmp_path / "proc.db")
    res, limit = _run(db, recs, strategy, interval, batch_size=10)
    assert not seen[0].started
    assert res.status == expected.status == "completed_with_quarantine"
    assert res.metrics.records_committed == expected.metrics.records_committed
    assert S.dump(db) == S.dump(plain)
    cols = "batch_no, status, records, committed, quarantined, added"
    assert S.journal(db, "sqlbatch_batches", res.run_id, cols) == S.journal(
        plain, "sqlbatch_batches", expected.run_id, cols
    )
    S.assert_sound(db)
    cp = seen[1]
    assert not cp.engaged and cp.error is None
    if interval == 0:  # 60 commits of several pages each past a limit of 20: the thread checkpointed
        assert cp.started and cp.background > 0
    else:  # one commit group for the whole run: never between transactions, so never started
        assert not cp.started
    assert limit == 20  # the writer's own automatic checkpoint is back, at its limit
    assert not _threads()


def test_a_short_run_and_a_dry_run_keep_the_checkpoints_in_the_writer(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seen: list
) -> None:
    db = S.build_db(tmp_path / "proc.db")
    res, _ = _run(db, S.records(500), batch_size=10)  # 50 batches, under the default 100
    assert res.status == "completed" and seen[-1].started is False
    before = S.dump(db)
    monkeypatch.setattr(_checkpoints, "ENGAGE_AFTER_BATCHES", 1)
    conn = sqlbatch.connect(db)
    try:
        dry = S.processor(conn, batch_size=10).run(S.records(500, version=1), source="src", dry_run=True)
    finally:
        conn.close()
    assert dry.status == "completed" and dry.metrics.records_updated == 500
    assert seen[-1].started is False and S.dump(db) == before


def test_the_wal_stays_bounded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, seen: list) -> None:
    """At ``_HARD`` times the window the writer checkpoints what the thread left: the log begins again."""
    monkeypatch.setattr(_checkpoints, "ENGAGE_AFTER_BATCHES", 1)
    monkeypatch.setattr(_checkpoints, "_WINDOW", 1)
    monkeypatch.setattr(_checkpoints, "_HARD", 3)
    frames: list[int] = []
    real = _checkpoints.Checkpointer._after_commit

    def spy(self: _checkpoints.Checkpointer, writer: Any, name: str, pages: int) -> int:
        frames.append(pages)
        return real(self, writer, name, pages)

    monkeypatch.setattr(_checkpoints.Checkpointer, "_after_commit", spy)
    db = S.build_db(tmp_path / "proc.db")
    res, _ = _run(db, S.records(3000), batch_size=10, wal_pages=10)
    assert res.status == "completed" and seen[-1].started
    assert len(frames) >= 290
    per_commit = max(b - a for a, b in zip(frames, frames[1:], strict=False) if b > a)
    assert max(frames) <= 10 * 3 + per_commit
    assert sum(b < a for a, b in zip(frames, frames[1:], strict=False)) >= 10  # the log began again, often
    S.assert_records_stored(db, S.records(3000))
    S.assert_sound(db)


WRITER = textwrap.dedent("""
    import sys
    sys.path.insert(0, {here!r})
    import sqlbatch
    from sqlbatch import _checkpoints
    from tests.support import processor as S
    _checkpoints.ENGAGE_AFTER_BATCHES = 1
    path, progress_file = sys.argv[1], sys.argv[2]
    conn = sqlbatch.connect(path)
    conn.execute("PRAGMA wal_autocheckpoint=10").fetchall()
    S.processor(conn, "memory", 0, apply=S.slowed(0.002), progress=S.progress_to(progress_file), batch_size=10).run(
        S.records(3000), source="feed")
""")


@pytest.mark.slow
def test_a_run_killed_while_the_thread_checkpoints_loses_only_whole_batches(tmp_path: Path) -> None:
    db = S.build_db(tmp_path / "proc.db")
    progress = tmp_path / "progress"
    child = subprocess.Popen([sys.executable, "-c", WRITER.format(here=str(HERE)), str(db), str(progress)])
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and (not progress.exists() or int(progress.read_text() or 0) < 1200):
        time.sleep(0.01)
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    keys = S.parent_keys(db)
    journaled = S.query(db, "SELECT coalesce(sum(committed), 0) FROM sqlbatch_batches")[0][0]
    assert 1200 <= len(keys) < 3000 and len(keys) % 10 == 0 and journaled == len(keys)
    assert keys == {f"r{i:04d}" for i in range(1, len(keys) + 1)}
    S.assert_sound(db)
    res = S.run(db, S.records(3000), source="feed", batch_size=10)
    assert res.status == "completed" and res.metrics.records_resumed == len(keys)
    S.assert_records_stored(db, S.records(3000))
    S.assert_sound(db)
