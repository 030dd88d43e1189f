"""Exact resume and one run at a time on both engines, with real second processes: a run killed with SIGKILL
keeps whole batches and the next run resumes exactly; one run of a job at a time."""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from typing import Any

import pytest

import sqlbatch
from tests.support.engines import Engine, engine, records, run

__all__ = ["engine"]

HERE = Path(__file__).parents[2]  # the repository: the child imports tests.support.engines

CHILD = textwrap.dedent("""
    import os, sys, time
    sys.path.insert(0, {here!r})
    from pathlib import Path
    from tests.support import engines as E
    kind, target, progress_file, hold, job, first = sys.argv[1:7]
    eng = E.SqliteEngine(Path(target)) if kind == "sqlite" else E.PostgresEngine(target)
    done = [0]

    def slow_apply(uow, batch):
        out = E.apply(uow, batch)
        time.sleep(0.02)
        while hold != "-" and os.path.exists(hold):  # hold the lease while the file is there
            time.sleep(0.02)
        return out

    tmp = Path(progress_file + ".tmp")

    def progress(n):
        done[0] += n
        tmp.write_text(str(done[0]))
        tmp.replace(progress_file)  # never seen half-written

    recs = [E.record(i) for i in range(int(first), int(first) + 1000)]
    E.run(eng, recs, "memory", apply=slow_apply, progress=progress, source="feed", batch_size=50, job=job)
""").format(here=str(HERE))


def start(
    engine: Engine, tmp_path: Path, hold: str = "-", job: str = "default", first: int = 1
) -> tuple[subprocess.Popen, Path]:
    """A run of 1,000 records (``first`` on) of ``job`` in a process of its own."""
    progress = tmp_path / f"progress-{time.monotonic_ns()}"
    argv = [engine.name, engine.target, str(progress), hold, job, str(first)]
    return subprocess.Popen([sys.executable, "-c", CHILD, *argv]), progress


def wait_for(progress: Path, child: subprocess.Popen, at_least: int) -> None:
    deadline = time.monotonic() + 60
    while not (progress.exists() and int(progress.read_text() or 0) >= at_least):
        assert child.poll() is None, "the child run died"
        assert time.monotonic() < deadline, "the child run made no progress"
        time.sleep(0.01)


@pytest.mark.slow
def test_a_killed_run_keeps_whole_batches_and_the_next_resumes_exactly(engine: Engine, tmp_path: Path) -> None:
    engine.create()
    child, progress = start(engine, tmp_path)
    wait_for(progress, child, 200)
    child.send_signal(signal.SIGKILL)
    child.wait()
    kept = [row[0] for row in engine.query("SELECT id FROM parent WHERE id < 100000")]
    journaled = engine.query("SELECT coalesce(sum(committed), 0) FROM sqlbatch_batches")[0][0]
    assert len(kept) % 50 == 0 and len(kept) >= 200 and journaled == len(kept)  # whole batches only
    assert sorted(kept) == list(range(1, len(kept) + 1))
    assert engine.query("SELECT count(*) FROM child WHERE parent_id < 100000") == [(2 * len(kept),)]

    result = run(engine, records(1000), source="feed", batch_size=50)
    assert result.metrics.records_resumed == len(kept)  # exactly where the killed run's last batch ended
    assert result.metrics.records_committed == 1000 - len(kept)
    statuses = engine.query("SELECT status FROM sqlbatch_runs ORDER BY run_id")
    assert statuses == [("interrupted",), ("completed",)]
    fresh = type(engine)(tmp_path / "fresh.db") if engine.name == "sqlite" else None
    if fresh is not None:  # the same data as one uninterrupted run
        fresh.create()
        run(fresh, records(1000), source="feed", batch_size=50)
        assert engine.dump() == fresh.dump()
    else:
        assert len(engine.dump()["parent"]) == 1001 and len(engine.dump()["child"]) == 2002


@pytest.mark.slow
def test_one_run_of_a_job_at_a_time_across_processes(engine: Engine, tmp_path: Path) -> None:
    engine.create()
    hold = tmp_path / "hold"
    hold.write_text("")
    child, progress = start(engine, tmp_path, str(hold))
    try:
        deadline = time.monotonic() + 30
        while not _running(engine):  # the child holds the lease and wrote its journal row
            assert time.monotonic() < deadline and child.poll() is None
            time.sleep(0.02)
        started = time.monotonic()
        with pytest.raises(sqlbatch.RunLocked) as locked:
            run(engine, records(10), source="other", lock_timeout=0.5)
        assert time.monotonic() - started >= 0.5
        assert f"pid {child.pid}" in str(locked.value) and "run 1 of job 'default'" in str(locked.value)
        assert engine.query("SELECT count(*) FROM sqlbatch_runs") == [(1,)]  # nothing done, no journal row
    finally:
        hold.unlink()
    assert child.wait(timeout=120) == 0
    after = run(engine, records(10), source="other", lock_timeout=5)
    assert after.status == "completed"


def _running(engine: Engine) -> bool:
    try:
        return bool(engine.query("SELECT 1 FROM sqlbatch_runs WHERE status = 'running'"))
    except Exception:  # noqa: BLE001 - the journal is not created yet by the child
        return False


def test_the_lease_is_per_job_on_postgresql(pg_url: str) -> None:
    """Two jobs (two "hosts" with different sources) may run at once on one server."""
    conn = sqlbatch.connect(pg_url)
    try:
        first, other = sqlbatch.lease_for(conn, "a"), sqlbatch.lease_for(conn, "b")
        assert first.acquire(0) and other.acquire(0)
        assert not sqlbatch.lease_for(conn, "a").acquire(0.2)
        first.release()
        again = sqlbatch.lease_for(conn, "a")
        assert again.acquire(0)  # free again
        again.release()
        other.release()
    finally:
        conn.close()


@pytest.mark.slow
def test_two_hosts_write_different_sources_to_one_server_at_once(pg_url: str, tmp_path: Path) -> None:
    """Two processes, two jobs (one lease each), one server: both complete, nothing lost."""
    from tests.support.engines import PostgresEngine

    engine = PostgresEngine(pg_url).create()
    runs = [start(engine, tmp_path, job=f"host{n}", first=1 + n * 1000) for n in (0, 1)]
    for child, _ in runs:
        assert child.wait(timeout=180) == 0
    parents = engine.query("SELECT count(*), min(id), max(id) FROM parent WHERE id < 100000")
    assert parents == [(2000, 1, 2000)]
    assert engine.query("SELECT count(*) FROM child WHERE parent_id < 100000") == [(4000,)]
    runs_journaled = engine.query("SELECT job, status, records_committed FROM sqlbatch_runs ORDER BY job")
    assert runs_journaled == [("host0", "completed", 1000), ("host1", "completed", 1000)]


def test_a_real_deadlock_is_retried_as_a_whole_batch(pg_url: str) -> None:
    """Another session and a batch lock two rows in opposite order: the server aborts the batch
    (40P01, it waits with the shorter deadlock_timeout), which is retried whole and commits."""
    import threading

    import psycopg

    from tests.support.engines import PostgresEngine, apply

    engine = PostgresEngine(pg_url).create()
    # a first run installs the capture's triggers (CREATE TRIGGER waits for every writer of
    # the table: done once per schema, not in this test's crossing)
    run(engine, records(1))
    batch_has_row_1, other_has_row_2 = threading.Event(), threading.Event()
    calls = {"n": 0}

    def crossing(uow: Any, batch: list) -> list[str]:
        calls["n"] += 1
        if calls["n"] == 1:
            uow.execute("UPDATE category SET label = 'by the batch' WHERE id = 1")
            batch_has_row_1.set()
            assert other_has_row_2.wait(10)
            uow.execute("UPDATE category SET label = 'by the batch' WHERE id = 2")  # deadlock
        return apply(uow, batch)

    def other() -> None:
        with psycopg.connect(pg_url) as conn:
            conn.execute("SET LOCAL deadlock_timeout = '10s'")  # the batch's session detects it first
            conn.execute("UPDATE category SET label = 'by the other' WHERE id = 2")
            other_has_row_2.set()
            assert batch_has_row_1.wait(10)
            conn.execute("UPDATE category SET label = 'by the other' WHERE id = 1")  # waits for the batch

    thread = threading.Thread(target=other)
    thread.start()
    result = run(engine, records(20), apply=crossing, batch_size=20)
    thread.join(30)
    assert result.status == "completed" and result.metrics.retries == 1 and calls["n"] == 2
    assert engine.query("SELECT label FROM category WHERE id IN (1, 2) ORDER BY id") == [("by the other",)] * 2
    assert engine.query("SELECT count(*) FROM parent WHERE id < 100000") == [(20,)]
