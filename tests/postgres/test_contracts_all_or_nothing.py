"""All-or-nothing with flat memory, on both engines and every strategy each has: each batch is a
nested unit of work inside the run's one transaction, its before-images stored as an undo row
of its own and dropped; the run's one ROLLBACK takes data and undo rows together; a batch check
sees one batch, ``UniqueInBatch`` and ``BlastRadius`` keep their run-wide meaning."""

from __future__ import annotations

import gc
import weakref
from collections import Counter
from typing import Any

import pytest

import sqlbatch
from sqlbatch.audit import run_changes
from tests.support.engines import Engine, engine, processor, record, records, run

__all__ = ["engine"]  # the fixture, imported for this module's tests


@pytest.fixture
def strategy(request: pytest.FixtureRequest, engine: Engine) -> str:
    if engine.name == "postgresql" and request.param == "session":
        pytest.skip("session is SQLite's own extension")
    return request.param


pytestmark = pytest.mark.parametrize("strategy", ["memory", "savepoint", "session"], indirect=True)


def seed_category(uow: sqlbatch.UnitOfWork) -> None:
    uow.execute("INSERT INTO category VALUES (4, 'four')")


def undo_rows(engine: Engine, run_id: int) -> list[tuple]:
    return engine.query("SELECT batch_no, changes FROM sqlbatch_undo WHERE run_id=? ORDER BY batch_no", (run_id,))


def test_undo_rows_are_per_batch_and_revert_restores_all(engine: Engine, strategy: str) -> None:
    engine.create()
    before = engine.dump()
    done = run(engine, records(80), strategy, all_or_nothing=True, batch_size=20, setup=seed_category)
    assert done.status == "completed" and done.mode == "all-or-nothing"
    assert (done.metrics.records_added, done.metrics.records_committed, done.metrics.batch_count) == (80, 80, 4)
    assert len(engine.dump()["parent"]) == 81 and (4, "four") in engine.dump()["category"]
    # the setup as batch 0, then one row per batch: 20 parents and 40 children each
    assert undo_rows(engine, done.run_id) == [(0, 1), (1, 60), (2, 60), (3, 60), (4, 60)]
    conn = engine.connect()
    try:
        sqlbatch.revert(conn, done.run_id)
    finally:
        conn.close()
    assert engine.dump() == before  # the setup's row too


@pytest.mark.parametrize("failure", ["apply", "batch check", "final check", "prepare"])
def test_a_failing_run_leaves_no_undo_rows_and_no_data(engine: Engine, strategy: str, failure: str) -> None:
    """The failure in the last batch: the three batches before it stored their undo rows in the
    run's transaction; its ROLLBACK takes them with the data."""
    engine.create()
    before = engine.dump()
    recs = records(80, {78: "check"} if failure == "apply" else None)
    kw: dict[str, Any] = {}
    if failure == "batch check":
        kw["batch_validators"] = [lambda ctx: [sqlbatch.Issue("late", "no", "r0079")] if ctx.batch_no == 4 else []]
    elif failure == "final check":
        kw["final_validators"] = [lambda conn: [sqlbatch.Issue("final", "no")]]
    elif failure == "prepare":
        kw["prepare"] = lambda r: sqlbatch.Prepared(r, [sqlbatch.Issue("bad", "no")] if r["id"] == 77 else [])
    result = run(engine, recs, strategy, all_or_nothing=True, batch_size=20, setup=seed_category, **kw)
    assert result.status == "rolled_back" and result.metrics.records_committed == 0
    assert engine.dump() == before
    assert engine.query("SELECT count(*) FROM sqlbatch_undo") == [(0,)]
    expected = {"apply": set(f"r{i:04d}" for i in range(61, 81)), "batch check": {"r0079"}}
    expected |= {"final check": {"-"}, "prepare": {"r0077"}}
    assert {q.record_key for q in result.quarantined} == expected[failure]


def test_a_batch_check_sees_one_batch_and_its_capture_is_dropped(engine: Engine, strategy: str) -> None:
    """Each batch's check gets that batch alone (records, keys, changes, number), and by the
    time batch k is checked, the units of work (and their captures) of batches before k-1 are
    gone: nothing of a batch is kept after its undo row is written."""
    engine.create()
    seen: list[tuple[int, int, int, int]] = []
    units: list[weakref.ref] = []

    def look(ctx: sqlbatch.BatchContext) -> list[sqlbatch.Issue]:
        gc.collect()
        alive = sum(1 for ref in units[:-1] if ref() is not None)  # all but the previous batch's
        seen.append((ctx.batch_no, len(ctx.records), len(ctx.changes), alive))
        units.append(weakref.ref(ctx.uow))
        return []

    done = run(engine, records(100), strategy, all_or_nothing=True, batch_size=20, batch_validators=[look])
    assert done.status == "completed"
    assert seen == [(n, 20, 60, 0) for n in range(1, 6)]
    gc.collect()
    assert all(ref() is None for ref in units)


def test_a_dry_run_reports_every_change_and_commits_nothing(engine: Engine, strategy: str) -> None:
    """A dry run ends rolled back, reporting the counts and the changes (setup's and every
    batch's) a real run of the same input then stores in its undo rows."""
    engine.create()
    before = engine.dump()
    conn = engine.connect()
    try:
        p = processor(conn, strategy, all_or_nothing=True, batch_size=20, setup=seed_category)
        dry = p.run(records(70), source="dry", dry_run=True)
        assert not conn.in_transaction
    finally:
        conn.close()
    assert engine.dump() == before
    assert dry.status == "completed" and dry.metrics.records_added == 70 and dry.metrics.records_committed == 70
    done = run(engine, records(70), strategy, all_or_nothing=True, batch_size=20, setup=seed_category)
    conn = engine.connect()
    try:
        stored = run_changes(conn, done.run_id)
    finally:
        conn.close()
    assert Counter((c.table, c.op) for c in dry.changes) == Counter((c.table, c.op) for c in stored)
    assert Counter((c.table, c.op) for c in stored) == {
        ("category", "INSERT"): 1,
        ("parent", "INSERT"): 70,
        ("child", "INSERT"): 140,
    }


def test_unique_keys_and_blast_radius_keep_their_run_wide_meaning(engine: Engine, strategy: str) -> None:
    """A key repeated in a later batch, and deletes under the limit in every batch but over it in
    the run, fail an all-or-nothing run as they did when its one batch check saw the whole run."""
    engine.create()
    before = engine.dump()
    again = [*records(40), record(5)]  # r0005 again, in batch 3
    dup = run(engine, again, strategy, all_or_nothing=True, batch_size=20, batch_validators=[sqlbatch.UniqueInBatch()])
    assert dup.status == "rolled_back" and engine.dump() == before
    assert [(q.record_key, q.rule, q.batch) for q in dup.quarantined] == [("r0005", "unique_in_batch", 0)]
    assert run(engine, records(40), strategy).status == "completed"
    shorter = records(40)
    for r in shorter:
        r["children"] = r["children"][:1]  # each record deletes one child: 10 a batch, 40 in the run
    limit = [sqlbatch.BlastRadius(max_deletes=15)]
    wide = run(engine, shorter, strategy, all_or_nothing=True, batch_size=10, batch_validators=limit)
    assert wide.status == "rolled_back" and [q.rule for q in wide.quarantined] == ["blast_radius"]
    assert "the run deletes 40 rows" in wide.quarantined[0].reason
    assert run(engine, shorter, strategy, batch_size=10, batch_validators=limit).status == "completed"  # batched
