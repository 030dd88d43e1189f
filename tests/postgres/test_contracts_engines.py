"""The batch contract (README, "What a run promises") on both engines: one test body,
parametrised over ``engine`` (SQLite file, PostgreSQL database) and the strategies both have.
What a test asserts is read back through a second, plain driver connection, by natural keys,
so the same assertion holds on either engine."""

from __future__ import annotations

from typing import Any

import pytest

import sqlbatch
from tests.support.engines import (
    SHARED_STRATEGIES,
    Engine,
    engine,
    processor,
    quarantine,
    record,
    records,
    run,
    spread_bad,
)

__all__ = ["engine"]  # the fixture, imported for this module's tests

STRATEGY = pytest.mark.parametrize("strategy", SHARED_STRATEGIES)


def good_only(engine: Engine, recs: list[dict[str, Any]], bad: dict[int, str]) -> dict[str, list[tuple]]:
    """The oracle: the data a run of the good records alone leaves, by natural key."""
    expected = {name: sorted(rows, key=repr) for name, rows in engine.dump().items()}
    good = [r for r in recs if int(r["key"][1:]) not in bad]
    expected["parent"] = sorted(
        [*expected["parent"], *((r["id"], r["name"], r["cat"], r["ts"]) for r in good)], key=repr
    )
    kids = [(r["id"], pos, v) for r in good for pos, v in enumerate(r["children"])]
    expected["child"] = sorted([*expected["child"], *kids], key=repr)
    return expected


@STRATEGY
@pytest.mark.parametrize("interval", [0, 600_000], ids=["commit-each", "grouped"])
def test_bad_records_are_isolated_and_leave_no_trace(engine: Engine, strategy: str, interval: float) -> None:
    """Isolation: each failing record is found by bisection and quarantined with its rule; every
    good record commits; nothing of a failed attempt (parent rows written before the failing
    child, cascades) stays."""
    engine.create()
    bad = spread_bad(200, 20)  # 10 bad records of every kind, none named but 'named'
    recs = records(200, bad)
    expected = good_only(engine, recs, bad)
    result = run(engine, recs, strategy, commit_interval_ms=interval, batch_size=25)
    assert result.status == "completed_with_quarantine"
    assert sorted(q.record_key for q in result.quarantined) == sorted(f"r{i:04d}" for i in bad)
    assert result.metrics.records_committed == 190 and result.metrics.bisection_passes > 0
    assert engine.dump() == expected
    rules = {k: rule for k, rule, _ in quarantine(engine)}
    assert rules[f"r{min(i for i, k in bad.items() if k == 'named'):04d}"] == "named_rule"
    journaled = engine.query("SELECT sum(committed), sum(quarantined) FROM sqlbatch_batches")
    assert journaled == [(190, 10)]


@STRATEGY
def test_skip_batch_rolls_the_whole_batch_back(engine: Engine, strategy: str) -> None:
    engine.create()
    recs = records(100, {30: "check"})
    before = engine.dump()
    result = run(engine, recs, strategy, on_failure="skip-batch", batch_size=25)
    assert result.metrics.records_quarantined == 25 and result.metrics.batches_failed == 1
    kept = {row[0] for row in engine.dump()["parent"]} - {p[0] for p in before["parent"]}
    assert kept == set(range(1, 26)) | set(range(51, 101))


@STRATEGY
def test_a_rerun_is_idempotent_and_resolves_fixed_records(engine: Engine, strategy: str) -> None:
    """Idempotent rerun: the same input again changes nothing and says so; a fixed record goes in (resolved)."""
    engine.create()
    run(engine, records(60, {7: "fk"}), strategy)
    after = engine.dump()
    again = run(engine, records(60, {7: "fk"}), strategy)
    assert engine.dump() == after
    assert again.metrics.records_unchanged == 59 and again.metrics.records_committed == 0
    assert [(k, status) for k, _, status in quarantine(engine)] == [("r0007", "quarantined")]
    fixed = run(engine, records(60), strategy)
    assert fixed.metrics.records_resolved == 1 and fixed.metrics.records_added == 1
    assert quarantine(engine)[0][::2] == ("r0007", "resolved")


def test_memory_and_savepoint_leave_identical_data_on_each_engine(engine: Engine, tmp_path: Any) -> None:
    """Strategies interchangeable on one engine; the same natural dump on both engines is asserted below."""
    dumps = []
    for strategy in SHARED_STRATEGIES:
        engine.create()
        run(engine, records(120, spread_bad(120, 15)), strategy, batch_size=20)
        dumps.append((engine.dump(), quarantine(engine)))
        engine.execute_script("DROP TABLE child; DROP TABLE parent; DROP TABLE category;" + _drop_journal())
    assert dumps[0] == dumps[1]


def test_both_engines_leave_the_same_data(tmp_path: Any, request: pytest.FixtureRequest) -> None:
    from tests.support.engines import PostgresEngine, SqliteEngine

    seen = []
    for eng in (SqliteEngine(tmp_path / "same.db"), PostgresEngine(request.getfixturevalue("pg_url"))):
        eng.create()
        result = run(eng, records(150, spread_bad(150, 12)), "memory", batch_size=30)
        counts = (result.status, result.metrics.records_committed, result.metrics.records_quarantined)
        seen.append((eng.dump(), [k for k, _, _ in quarantine(eng)], counts))
    assert seen[0] == seen[1]


def _drop_journal() -> str:
    return "".join(
        f"DROP TABLE IF EXISTS {t};"
        for t in ("sqlbatch_runs", "sqlbatch_batches", "sqlbatch_issues", "sqlbatch_quarantine", "sqlbatch_undo")
    )


@STRATEGY
def test_a_conflict_is_retried_as_a_whole_batch(engine: Engine, strategy: str) -> None:
    """Lock contention (SQLite: busy; PostgreSQL: serialization failure, deadlock, lock not
    available, by SQLSTATE) rolls the batch back and runs it again, once, exactly."""
    engine.create()
    conflict = _conflict_for(engine)
    calls = {"n": 0}

    def flaky(uow: Any, batch: list[dict[str, Any]]) -> list[str]:
        from tests.support.engines import apply

        out = apply(uow, batch)
        calls["n"] += 1
        if calls["n"] == 2:
            conflict(uow)
        return out

    result = run(engine, records(90), strategy, apply=flaky, batch_size=30)
    assert result.status == "completed" and result.metrics.retries == 1
    assert result.metrics.records_committed == 90 and calls["n"] == 4
    assert len(engine.dump()["parent"]) == 91


def _conflict_for(engine: Engine) -> Any:
    if engine.name == "sqlite":
        import apsw

        def busy(uow: Any) -> None:
            raise apsw.BusyError("database is locked (injected)")

        return busy
    import psycopg

    def lock_not_available(uow: Any) -> None:
        # a real 55P03 from the server: another session holds the row, NOWAIT refuses to wait
        with psycopg.connect(engine.target) as other:
            other.execute("SELECT 1 FROM category WHERE id = 3 FOR UPDATE")
            uow.execute("SELECT 1 FROM category WHERE id = 3 FOR UPDATE NOWAIT")

    return lock_not_available


@STRATEGY
def test_revert_with_conflicts(engine: Engine, strategy: str) -> None:
    """Revert with conflicts: reverting A under B is refused naming B; B then A restore each state exactly."""
    engine.create()
    initial = engine.dump()
    run_a = run(engine, records(40), strategy, batch_size=10)
    after_a = engine.dump()
    b_records = [record(i, version=2) for i in range(5, 15)] + [record(i) for i in range(41, 46)]
    run_b = run(engine, b_records, strategy, batch_size=10)
    conn = engine.connect()
    try:
        with pytest.raises(sqlbatch.RevertRefused) as refused:
            sqlbatch.revert(conn, run_a.run_id, strategy=strategy)
        assert refused.value.later_runs == [run_b.run_id]
        stored = sqlbatch.audit.run_changes(conn, run_b.run_id)  # the undo journal, read back
        # 10 renamed parents, 5 new ones with 2 children each
        assert {c.table for c in stored} == {"parent", "child"} and len(stored) == 10 + 5 * 3
        assert engine.dump() != after_a
        sqlbatch.revert(conn, run_b.run_id, strategy=strategy)
        assert engine.dump() == after_a
        sqlbatch.revert(conn, run_a.run_id, strategy=strategy)
        assert engine.dump() == initial
    finally:
        conn.close()


def test_session_is_refused_on_postgresql_only(engine: Engine) -> None:
    engine.create()
    conn = engine.connect()
    try:
        if engine.name == "sqlite":
            processor(conn, "session")  # fine
            return
        with pytest.raises(sqlbatch.ConfigurationError, match="SQLite-only.*'memory'.*'savepoint'"):
            processor(conn, "session")
        with pytest.raises(sqlbatch.ConfigurationError, match="SQLite-only"):
            conn.unit_of_work("session").begin()
        assert not conn.in_transaction
    finally:
        conn.close()


def test_all_or_nothing_commits_all_or_leaves_everything(engine: Engine) -> None:
    """All-or-nothing: one transaction; a bad record leaves the data exactly as before (on PostgreSQL
    without a file backup: nothing of the run is ever committed)."""
    engine.create()
    before = engine.dump()
    failed = run(engine, records(80, {60: "check"}), all_or_nothing=True, batch_size=20)
    assert failed.status == "rolled_back" and engine.dump() == before
    assert {q.record_key for q in failed.quarantined} == {f"r{i:04d}" for i in range(41, 61)}  # its batch
    failed = run(engine, records(80, {33: "fk"}), all_or_nothing=True, batch_size=20)
    assert failed.status == "rolled_back" and engine.dump() == before
    assert (failed.backup_path is None) == (engine.name == "postgresql")
    done = run(engine, records(80), all_or_nothing=True)
    assert done.status == "completed" and len(engine.dump()["parent"]) == 81
    conn = engine.connect()
    try:
        sqlbatch.revert(conn, done.run_id)  # what replaces the backup: the undo journal
    finally:
        conn.close()
    assert engine.dump() == before


def test_post_run_check_compensates_the_batch_behind_an_error(engine: Engine) -> None:
    """A foreign key only a whole-database check sees (a later batch deletes a parent a
    committed child of an earlier batch needs, foreign keys off for that table's check)."""

    def apply_and_orphan(uow: Any, batch: list[dict[str, Any]]) -> list[str]:
        from tests.support.engines import apply

        out = apply(uow, batch)
        if any(r["id"] == 25 for r in batch):  # batch 3 removes category 3 the earlier batches use
            uow.execute("DELETE FROM category WHERE id = 3")
        return out

    schema = engine.schema.replace("REFERENCES category(id) DEFERRABLE INITIALLY DEFERRED", "")
    engine.execute_script(schema.replace("REFERENCES category(id)", ""))
    result = run(
        engine,
        records(30),
        apply=apply_and_orphan,
        batch_size=10,
        batch_validators=[],
        final_validators=[_category_check],
    )
    assert result.metrics.batches_compensated >= 1
    assert engine.query("SELECT count(*) FROM category WHERE id = 3") == [(1,)]
    assert result.status in ("completed_with_quarantine", "completed_with_errors")


def _category_check(conn: Any) -> list[sqlbatch.Issue]:
    rows = conn.execute(
        "SELECT p.id, p.cat FROM parent p WHERE NOT EXISTS (SELECT 1 FROM category c WHERE c.id = p.cat)"
    ).fetchall()
    return [
        sqlbatch.Issue("category", f"parent {pid} names missing category {cat}", rows=(("category", {"id": cat}),))
        for pid, cat in rows
    ]


def test_a_revert_that_would_leave_a_dangling_reference_is_refused(engine: Engine) -> None:
    """A row changed by hand to refer to a row the revert removes: refused, nothing changed."""
    engine.create()

    def setup(uow: Any) -> None:
        uow.execute("INSERT INTO category VALUES (4, 'four')")

    done = run(engine, records(5), setup=setup)
    engine.execute("UPDATE parent SET cat = 4 WHERE id = 100000")  # by hand, after the run
    before = engine.dump()
    conn = engine.connect()
    try:
        with pytest.raises(sqlbatch.RevertRefused) as refused:
            sqlbatch.revert(conn, done.run_id)
        assert [(c.table, c.current["missing_parent"]) for c in refused.value.conflicts] == [("parent", "category")]
    finally:
        conn.close()
    assert engine.dump() == before


def test_the_post_run_foreign_key_check_names_child_and_parent(engine: Engine) -> None:
    """``sqlbatch.foreign_key_check``: a dangling row (made with the checks off) names both rows."""
    engine.create()
    off = "PRAGMA foreign_keys=OFF;" if engine.name == "sqlite" else "SET session_replication_role = replica;"
    engine.execute_script(off + "DELETE FROM category WHERE id = 1;")
    conn = engine.connect()
    try:
        issues = sqlbatch.foreign_key_check(conn)
    finally:
        conn.close()
    assert len(issues) == 1 and issues[0].rule == "foreign_key" and issues[0].field == "cat"
    child, parent = issues[0].rows
    assert child[0] == "parent" and parent == ("category", {"id": 1})
    assert "parent row " in issues[0].message and "missing category row (1,)" in issues[0].message


@STRATEGY
def test_a_cascading_delete_in_a_rejected_batch_is_restored(engine: Engine, strategy: str) -> None:
    """No trace of a failed batch, with cascades: a batch deleting a parent (its children cascade) that a validator then
    rejects leaves every table exactly as before; on PostgreSQL ``memory`` replays the
    before-images (the child keys are DEFERRABLE), ``savepoint`` rolls back to its savepoint."""
    engine.create()
    run(engine, records(10), strategy)
    before = engine.dump()

    def delete_parent(uow: Any, batch: list[dict[str, Any]]) -> list[str]:
        for r in batch:
            uow.execute("DELETE FROM parent WHERE id = ?", (r["id"],))
            uow.execute("UPDATE category SET label = ? WHERE id = ?", (f"touched by {r['id']}", 1))
        return ["updated"] * len(batch)

    def no_r2(ctx: sqlbatch.BatchContext) -> list[sqlbatch.Issue]:  # names no record: bisected
        return [sqlbatch.Issue("no_r2", "record 2 may not go")] if "r0002" in ctx.keys else []

    result = run(engine, records(3), strategy, apply=delete_parent, batch_validators=[no_r2], batch_size=3)
    assert [q.record_key for q in result.quarantined] == ["r0002"] and result.metrics.records_committed == 2
    after = engine.dump()
    assert {row[0] for row in before["parent"]} - {row[0] for row in after["parent"]} == {1, 3}
    gone = sorted(set(before["child"]) - set(after["child"]))
    assert gone == [(1, 0, "c1-a"), (1, 1, "c1-b"), (3, 0, "c3-a"), (3, 1, "c3-b")]  # 2's came back
    assert (1, "touched by 3") in after["category"]
