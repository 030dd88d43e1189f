"""Lock contention with a real second process, the retry budget, and errors that are not retried."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import apsw
import pytest

import sqlbatch
from tests.support import processor as S

CROSS = pytest.mark.parametrize("strategy", S.STRATEGIES)
INTERVAL = pytest.mark.parametrize("interval", S.INTERVALS, ids=["commit-each", "grouped"])

LOCKER = """
import pathlib, sys, time
import apsw
db, ready, hold = sys.argv[1], sys.argv[2], float(sys.argv[3])
c = apsw.Connection(db)
c.set_busy_timeout(20000)
c.execute("BEGIN IMMEDIATE")
c.execute("INSERT INTO category VALUES (50, 'written by the other process')")
pathlib.Path(ready).write_text("locked")
time.sleep(hold)
c.execute("COMMIT")
c.close()
"""


class Sleeps:
    """An injectable sleep that records its waits (and really sleeps, briefly)."""

    def __init__(self, real: bool = True) -> None:
        self.calls: list[float] = []
        self.real = real

    def __call__(self, seconds: float) -> None:
        self.calls.append(seconds)
        if self.real:
            time.sleep(seconds)


def start_locker(path: Path, hold: float) -> subprocess.Popen:
    ready = path.parent / f"locked-{time.monotonic_ns()}"
    proc = subprocess.Popen([sys.executable, "-c", LOCKER, str(path), str(ready), str(hold)])
    deadline = time.monotonic() + 20
    while not ready.exists():
        assert proc.poll() is None, "the locking process died"
        assert time.monotonic() < deadline, "the locking process never took the lock"
        time.sleep(0.01)
    return proc


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return S.build_db(tmp_path / "proc.db")


@pytest.mark.slow
@pytest.mark.parametrize("strategy,interval", [("memory", 0), ("session", 600_000), ("savepoint", 0)])
def test_waits_for_another_process_and_completes(db: Path, strategy: str, interval: float) -> None:
    locker = start_locker(db, hold=1.2)
    sleeps = Sleeps()
    recs = S.records(150, {77: "check"})
    t0 = time.monotonic()
    try:
        conn = sqlbatch.connect(db, busy_timeout_ms=50)
        retry = sqlbatch.RetryPolicy(max_seconds=15, initial_wait=0.05, max_wait=0.2, sleep=sleeps)
        res = S.processor(conn, strategy, interval, retry=retry).run(recs)
        conn.close()
    finally:
        assert locker.wait(timeout=30) == 0
    assert time.monotonic() - t0 >= 0.9  # it really waited for the lock
    assert res.status == "completed_with_quarantine" and res.metrics.records_committed == 149
    assert sleeps.calls and all(0 < s <= 0.2 for s in sleeps.calls)
    assert S.query(db, "SELECT label FROM category WHERE id=50") == [("written by the other process",)]
    S.assert_records_stored(db, [r for r in recs if r["id"] != 77])
    S.assert_sound(db)


@pytest.mark.slow
@pytest.mark.parametrize("strategy", ["memory", "session"])
def test_locked_beyond_the_budget_aborts_and_keeps_committed_batches(db: Path, strategy: str) -> None:
    recs = S.records(300)
    sleeps = Sleeps()
    lockers: list[subprocess.Popen] = []
    done = [0]

    def progress(n: int) -> None:  # called after each batch; batch 3 is committed by then
        done[0] += n
        if done[0] == 150:
            lockers.append(start_locker(db, hold=2.0))

    conn = sqlbatch.connect(db, busy_timeout_ms=50)
    retry = sqlbatch.RetryPolicy(max_seconds=0.5, initial_wait=0.05, max_wait=0.1, sleep=sleeps)
    try:
        with pytest.raises(sqlbatch.ProcessorAborted, match="stayed locked") as info:
            S.processor(conn, strategy, retry=retry, progress=progress).run(recs, source="feed")
        assert not conn.in_transaction
        conn.close()
    finally:
        for p in lockers:
            assert p.wait(timeout=30) == 0
    res = info.value.result
    assert res.status == "aborted" and "committed batches are kept" in res.error
    assert len(sleeps.calls) >= 3 and res.metrics.retries >= 3
    assert S.parent_keys(db) == {f"r{i:04d}" for i in range(1, 151)}
    assert [b["batch_no"] for b in S.journal(db, "sqlbatch_batches", res.run_id)] == [1, 2, 3]
    # the journal row could not be finished while locked: it says running or aborted, and resumes
    assert S.journal(db, "sqlbatch_runs", res.run_id)[0]["status"] in ("running", "aborted")
    S.assert_sound(db)
    again = S.run(db, recs, strategy, source="feed")
    assert again.status == "completed" and again.metrics.records_resumed == 150
    S.assert_records_stored(db, recs)


class BusyOnce:
    """apply raising apsw.BusyError the first time it sees record ``at``."""

    def __init__(self, at: int, exc: type[BaseException] = apsw.BusyError) -> None:
        self.at, self.exc, self.fired = at, exc, False

    def __call__(self, uow, batch):
        out = S.apply(uow, batch)
        if not self.fired and any(r["id"] == self.at for r in batch):
            self.fired = True
            raise self.exc("database is locked (injected)")
        return out


@CROSS
@INTERVAL
def test_a_retried_group_is_replayed_exactly_once(tmp_path: Path, db: Path, strategy: str, interval: float) -> None:
    bad = {10: "check", 120: "named"}
    recs = S.records(200, bad)
    sleeps = Sleeps(real=False)
    retry = sqlbatch.RetryPolicy(max_seconds=5, initial_wait=0.01, max_wait=0.02, sleep=sleeps)
    res = S.run(db, recs, strategy, interval, apply=BusyOnce(at=130), retry=retry)
    assert len(sleeps.calls) == 1 and res.metrics.retries == 1
    m = res.metrics
    assert (m.batch_count, m.records_committed, m.records_quarantined) == (4, 198, 2)
    assert [b["batch_no"] for b in S.journal(db, "sqlbatch_batches", res.run_id)] == [1, 2, 3, 4]
    assert len(S.journal(db, "sqlbatch_quarantine")) == 2
    ref = S.build_db(tmp_path / "ref.db")
    S.run(ref, recs, strategy, interval)
    assert S.dump(db) == S.dump(ref)
    S.assert_sound(db)


@CROSS
@pytest.mark.parametrize("exc", [apsw.FullError, apsw.IOError, apsw.ReadOnlyError])
def test_non_retryable_errors_are_not_retried(db: Path, strategy: str, exc: type[BaseException]) -> None:
    sleeps = Sleeps(real=False)
    retry = sqlbatch.RetryPolicy(max_seconds=5, sleep=sleeps)
    with pytest.raises(sqlbatch.ProcessorAborted) as info:
        S.run(db, S.records(120), strategy, apply=BusyOnce(at=60, exc=exc), retry=retry)
    assert sleeps.calls == [] and info.value.result.metrics.retries == 0
    assert info.value.result.status == "aborted"
    if exc is apsw.FullError:
        assert "disk is full" in str(info.value)
    assert len(S.parent_keys(db)) == 50  # batch 1 committed, nothing of batch 2
    S.assert_sound(db)


def test_retry_policy_alone() -> None:
    sleeps = Sleeps(real=False)
    calls = []

    def flaky():
        calls.append(1)
        if len(calls) < 4:
            raise apsw.LockedError("locked")
        return "done"

    policy = sqlbatch.RetryPolicy(initial_wait=0.01, max_wait=0.05, sleep=sleeps)
    retried = []
    assert policy.call(flaky, on_retry=retried.append) == "done"
    assert len(sleeps.calls) == 3 and len(retried) == 3 and all(0.01 <= s <= 0.05 for s in sleeps.calls)
    assert sleeps.calls[0] <= 0.02  # the first wait starts near initial_wait (no whole second of jitter)
    with pytest.raises(apsw.BusyError):
        sqlbatch.RetryPolicy(max_attempts=3, sleep=sleeps).call(lambda: (_ for _ in ()).throw(apsw.BusyError("x")))
    with pytest.raises(ValueError):
        sqlbatch.RetryPolicy(sleep=sleeps).call(lambda: (_ for _ in ()).throw(ValueError("not retried")))
    with pytest.raises(sqlbatch.ConfigurationError):
        sqlbatch.RetryPolicy(max_attempts=0)
