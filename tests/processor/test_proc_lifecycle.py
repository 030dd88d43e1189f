"""Across runs: quarantine life cycle, idempotence, interrupted runs and exact resume, cursor."""

from __future__ import annotations

import time
from pathlib import Path

import apsw
import pytest

import sqlbatch
from tests.support import processor as S

CROSS = pytest.mark.parametrize("strategy", S.STRATEGIES)
INTERVAL = pytest.mark.parametrize("interval", S.INTERVALS, ids=["commit-each", "grouped"])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return S.build_db(tmp_path / "proc.db")


# -- quarantine life cycle -------------------------------------------------------------------------
@CROSS
@INTERVAL
def test_quarantined_record_fixed_in_run_2_is_resolved(db: Path, strategy: str, interval: float) -> None:
    bad = {12: "check", 70: "named"}
    r1 = S.run(db, S.records(100, bad), strategy, interval, source="day1")
    assert {q.record_key for q in r1.quarantined} == {"r0012", "r0070"}
    first = {q["record_key"]: q for q in S.journal(db, "sqlbatch_quarantine")}
    time.sleep(0.01)
    # run 2: r0012 arrives fixed, r0070 still bad (another way), plus the rest unchanged
    r2 = S.run(db, S.records(100, {70: "fk"}), strategy, interval, source="day2")
    assert r2.metrics.records_resolved == 1
    assert r2.metrics.records_added == 1 and r2.metrics.records_unchanged == 98
    rows = {q["record_key"]: q for q in S.journal(db, "sqlbatch_quarantine")}
    fixed, still = rows["r0012"], rows["r0070"]
    assert fixed["status"] == "resolved" and fixed["resolved_run"] == r2.run_id
    assert "r0012" in S.parent_keys(db)
    assert still["status"] == "quarantined" and still["resolved_run"] is None
    assert still["attempts"] == 2 and still["run_id"] == r2.run_id
    assert still["first_seen"] == first["r0070"]["first_seen"]
    assert still["last_seen"] > first["r0070"]["last_seen"]
    assert "FOREIGN KEY" in still["reason"] and still["rule"] == "ConstraintError"
    # run 3: still bad again → attempts 3; fixed one quarantined again restarts its count
    r3 = S.run(db, S.records(100, {70: "fk", 12: "name"}), strategy, interval, source="day3")
    assert r3.metrics.records_resolved == 0
    rows = {q["record_key"]: q for q in S.journal(db, "sqlbatch_quarantine")}
    assert rows["r0070"]["attempts"] == 3
    assert rows["r0012"]["status"] == "quarantined" and rows["r0012"]["attempts"] == 1
    assert rows["r0012"]["resolved_run"] is None
    # the re-quarantined record's earlier committed data stays (its update was rolled back)
    S.assert_records_stored(db, [S.record(12)])
    S.assert_sound(db)


# -- idempotence ---------------------------------------------------------------------------------
@CROSS
@INTERVAL
def test_same_input_twice_changes_nothing(db: Path, strategy: str, interval: float) -> None:
    recs = S.records(230, {40: "check", 41: "named"})
    r1 = S.run(db, recs, strategy, interval, source="a")
    data = S.dump(db)
    r2 = S.run(db, recs, strategy, interval, source="b")
    m = r2.metrics
    assert (m.records_unchanged, m.records_added, m.records_updated, m.records_committed) == (228, 0, 0, 0)
    assert m.records_quarantined == 2 and r1.metrics.records_committed == 228
    assert S.dump(db) == data
    S.assert_sound(db)


# -- interrupted runs and resume -----------------------------------------------------------------
class Interrupt:
    """An apply that raises ``exc`` when it first sees record ``at`` (the run's 4th batch)."""

    def __init__(self, exc: BaseException, at: int = 151) -> None:
        self.exc, self.at, self.fired = exc, at, False

    def __call__(self, uow, batch):
        if not self.fired and any(r["id"] == self.at for r in batch):
            self.fired = True
            uow.execute("INSERT INTO parent VALUES (999999, 'half-written', 1, 'tz')")  # must vanish
            raise self.exc
        return S.apply(uow, batch)


@CROSS
@INTERVAL
@pytest.mark.parametrize(
    "exc", [KeyboardInterrupt(), apsw.FullError("database or disk is full")], ids=["keyboard", "disk-full"]
)
def test_interrupted_run_resumes_to_the_same_result(
    tmp_path: Path, db: Path, strategy: str, interval: float, exc: BaseException
) -> None:
    bad = {20: "check", 180: "named", 330: "fk"}
    recs = S.records(400, bad)
    conn = sqlbatch.connect(db)
    proc = S.processor(conn, strategy, interval, apply=Interrupt(exc))
    with pytest.raises(sqlbatch.ProcessorAborted) as info:
        proc.run(recs, source="feed")
    assert not conn.in_transaction
    conn.close()  # must not complain about an open unit of work
    aborted = info.value.result
    assert aborted.status == "aborted" and aborted.error
    assert ("interrupted" if isinstance(exc, KeyboardInterrupt) else "disk is full") in str(info.value)
    run = S.journal(db, "sqlbatch_runs", aborted.run_id)[0]
    assert run["status"] == "aborted" and run["error"] == aborted.error
    batches = S.journal(db, "sqlbatch_batches", aborted.run_id)
    committed_keys = S.parent_keys(db)
    assert 999999 not in {r[0] for r in S.query(db, "SELECT id FROM parent")}
    if interval == 0:
        assert [b["batch_no"] for b in batches] == [1, 2, 3]
        assert [b["cursor"] for b in batches] == ["t000050", "t000100", "t000150"]
        assert run["cursor"] == "t000150" and run["last_position"] == 150
        assert committed_keys == {f"r{i:04d}" for i in range(1, 151) if i not in bad}
    else:  # the whole group was one transaction: nothing of it stayed
        assert batches == [] and committed_keys == set()
    S.assert_sound(db)

    resumed = S.run(db, recs, strategy, interval, source="feed")
    m = resumed.metrics
    assert resumed.status == "completed_with_quarantine"
    assert m.records_resumed == (150 if interval == 0 else 0)
    assert m.records_total == 400
    assert S.journal(db, "sqlbatch_runs", resumed.run_id)[0]["resumed_from"] == (
        aborted.run_id if interval == 0 else None
    )
    # same final data as one uninterrupted run
    ref = S.build_db(tmp_path / "ref.db")
    S.run(ref, recs, strategy, interval, source="feed")
    assert S.dump(db) == S.dump(ref)
    assert {q["record_key"] for q in S.journal(db, "sqlbatch_quarantine")} == {f"r{i:04d}" for i in bad}
    S.assert_sound(db)


@CROSS
def test_rerun_after_two_interruptions_still_resumes(db: Path, strategy: str) -> None:
    """Run 2 is interrupted before it commits anything: run 3 resumes from run 1's point."""
    recs = S.records(300)
    with pytest.raises(sqlbatch.ProcessorAborted):
        S.run(db, recs, strategy, apply=Interrupt(KeyboardInterrupt(), at=151), source="f")
    with pytest.raises(sqlbatch.ProcessorAborted):
        S.run(db, recs, strategy, apply=Interrupt(KeyboardInterrupt(), at=151), source="f")
    third = S.run(db, recs, strategy, source="f")
    assert third.metrics.records_resumed == 150
    assert third.metrics.records_added == 150 and third.metrics.records_unchanged == 0
    S.assert_records_stored(db, recs)


def test_resume_only_follows_the_same_job_and_source(db: Path) -> None:
    recs = S.records(200)
    with pytest.raises(sqlbatch.ProcessorAborted):
        S.run(db, recs, apply=Interrupt(KeyboardInterrupt(), at=101), source="one")
    other = S.run(db, recs, source="two")
    assert other.metrics.records_resumed == 0 and other.metrics.records_unchanged == 100
    conn = sqlbatch.connect(db)
    fresh = S.processor(conn).run(recs, source="one", resume=False)
    conn.close()
    assert fresh.metrics.records_resumed == 0


@CROSS
def test_completed_run_is_not_resumed(db: Path, strategy: str) -> None:
    recs = S.records(120)
    S.run(db, recs, strategy, source="s")
    again = S.run(db, recs, strategy, source="s")
    assert again.metrics.records_resumed == 0 and again.metrics.records_unchanged == 120


@CROSS
@INTERVAL
def test_cursor_is_the_newest_committed_record(db: Path, strategy: str, interval: float) -> None:
    # the cursor is the max of cursor(record) among committed records: a quarantined newest
    # record must not move it
    recs = S.records(120, {120: "check", 50: "raise"})
    res = S.run(db, recs, strategy, interval, source="c")
    batches = S.journal(db, "sqlbatch_batches", res.run_id)
    assert [b["cursor"] for b in batches] == ["t000049", "t000100", "t000119"]
    run = S.journal(db, "sqlbatch_runs", res.run_id)[0]
    assert run["cursor"] == "t000119" and run["last_position"] == 120
    conn = sqlbatch.connect(db)
    assert sqlbatch.Journal(conn).last_cursor("default") == "t000119"
    conn.close()


def test_usage_error_inside_a_run_is_raised_as_such_after_clean_up(db: Path) -> None:
    """A user's Session holds the connection's capture: the run cannot track; nothing half-done."""
    conn = sqlbatch.connect(db)
    session = conn.session()
    with pytest.raises(sqlbatch.CaptureConflictError):
        S.processor(conn, "memory").run(S.records(10), source="s")
    assert not conn.in_transaction and conn.active_unit is None
    session.close()
    res = S.processor(conn, "memory").run(S.records(10), source="s")
    conn.close()
    assert res.status == "completed"
    statuses = [r[0] for r in S.query(db, "SELECT status FROM sqlbatch_runs ORDER BY run_id")]
    assert statuses == ["aborted", "completed"]
