"""Built-in validators in a run, the validation budget, warnings, and validators that crash."""

from __future__ import annotations

import time
from pathlib import Path

import pydantic
import pytest

import sqlbatch
from sqlbatch import BlastRadius, Check, ForeignKeysTouched, Issue, PydanticRecord, UniqueInBatch
from tests.support import processor as S

CROSS = pytest.mark.parametrize("strategy", S.STRATEGIES)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return S.build_db(tmp_path / "proc.db")


# -- UniqueInBatch ---------------------------------------------------------------------------------
@CROSS
@pytest.mark.parametrize("interval", S.INTERVALS, ids=["commit-each", "grouped"])
def test_unique_in_batch_flags_the_later_duplicate_only(db: Path, strategy: str, interval: float) -> None:
    recs = S.records(60)
    dup = S.record(7, version=9)  # same key r0007, other content, later in batch 1
    recs.insert(30, dup)
    triple = [S.record(55, version=8), S.record(55, version=9)]  # r0055 three times in batch 2
    recs[56:56] = triple  # just after the first r0055 (index 55, after the insert above)
    res = S.run(db, recs, strategy, interval, batch_validators=[UniqueInBatch()])
    assert [(q.record_key, q.rule, q.batch) for q in res.quarantined] == [
        ("r0007", "unique_in_batch", 1),
        ("r0055", "unique_in_batch", 2),
        ("r0055", "unique_in_batch", 2),
    ]
    assert res.metrics.records_committed == 60 and res.metrics.bisection_passes == 2
    S.assert_records_stored(db, S.records(60))  # the first occurrence won every time
    rows = S.journal(db, "sqlbatch_quarantine")
    assert {r["record_key"]: r["attempts"] for r in rows} == {"r0007": 1, "r0055": 1}
    # and when the same input comes again, the rows are not "resolved" by their first occurrences
    again = S.run(db, recs, strategy, interval, batch_validators=[UniqueInBatch()], source="again")
    assert again.metrics.records_resolved == 0 and again.metrics.records_unchanged == 60
    rows = {r["record_key"]: r for r in S.journal(db, "sqlbatch_quarantine")}
    assert rows["r0007"]["status"] == "quarantined" and rows["r0007"]["attempts"] == 2


def test_unique_in_batch_alone() -> None:
    ctx = sqlbatch.BatchContext(None, None, [1, 2, 3, 4], ["a", "b", "a", "a"], 1)  # type: ignore[arg-type]
    issues = UniqueInBatch()(ctx)
    assert [(i.record, i.rule) for i in issues] == [("a", "unique_in_batch")] * 2


# -- PydanticRecord --------------------------------------------------------------------------------
class Model(pydantic.BaseModel):
    key: str
    id: int = pydantic.Field(gt=0)
    name: str = pydantic.Field(min_length=1, max_length=40)


@CROSS
def test_pydantic_record_rejects_naming_the_field(db: Path, strategy: str) -> None:
    recs = S.records(40)
    recs[9]["name"] = "x" * 41
    recs[19]["id"] = "not a number"
    res = S.run(db, recs, strategy, record_validators=[PydanticRecord(Model, key=lambda r: r["key"])])
    got = {q.record_key: q for q in res.quarantined}
    assert set(got) == {"r0010", "r0020"}
    assert got["r0010"].field == "name" and got["r0010"].rule == "string_too_long"
    assert got["r0020"].field == "id" and "integer" in got["r0020"].reason
    assert res.metrics.bisection_passes == 0  # rejected before anything was written
    rows = {r["record_key"]: r for r in S.journal(db, "sqlbatch_quarantine")}
    assert rows["r0010"]["field"] == "name" and rows["r0020"]["field"] == "id"
    assert S.parent_keys(db) == {r["key"] for r in recs} - {"r0010", "r0020"}


def test_pydantic_record_refuses_a_non_model() -> None:
    with pytest.raises(sqlbatch.ConfigurationError, match="not a pydantic model"):
        PydanticRecord(dict)


# -- BlastRadius -----------------------------------------------------------------------------------
def _delete_apply(uow, batch):
    for r in batch:
        uow.execute("DELETE FROM parent WHERE id=?", (r["id"],))
    return ["updated"] * len(batch)


def _seed_families(path: Path) -> None:
    raw = S.open_raw(path)
    with raw:
        raw.execute("INSERT INTO parent VALUES (1, 'big', 1, 't'), (2, 'small', 1, 't'), (3, 'small', 1, 't')")
        raw.executemany(
            "INSERT INTO child(parent_id, pos, v) VALUES (?, ?, 'x')", [(1, p) for p in range(10)] + [(2, 0), (3, 0)]
        )
    raw.close()


@CROSS
def test_blast_radius_counts_cascaded_deletes(db: Path, strategy: str) -> None:
    _seed_families(db)
    recs = [{"key": f"d{i}", "id": i, "ts": "t"} for i in (1, 2, 3)]
    res = S.run(db, recs, strategy, apply=_delete_apply, batch_validators=[BlastRadius(5)])
    # deleting parent 1 deletes 11 rows (10 cascaded children): refused; 2 and 3 (2 rows each) pass
    assert [(q.record_key, q.rule) for q in res.quarantined] == [("d1", "blast_radius")]
    assert "11 rows" in res.quarantined[0].reason
    assert S.query(db, "SELECT id FROM parent WHERE id < 4") == [(1,)]
    assert S.query(db, "SELECT count(*) FROM child WHERE parent_id=1") == [(10,)]
    S.assert_sound(db)


@CROSS
def test_blast_radius_refuses_the_whole_batch_with_skip_batch(db: Path, strategy: str) -> None:
    _seed_families(db)
    before = S.dump(db)
    recs = [{"key": f"d{i}", "id": i, "ts": "t"} for i in (2, 3)]
    res = S.run(db, recs, strategy, apply=_delete_apply, batch_validators=[BlastRadius(3)], on_failure="skip-batch")
    assert res.metrics.batches_failed == 1 and {q.rule for q in res.quarantined} == {"batch_failed"}
    assert "blast_radius" in res.quarantined[0].reason
    assert S.dump(db) == before


# -- ForeignKeysTouched --------------------------------------------------------------------------------
@CROSS
def test_foreign_keys_touched_finds_the_orphan_among_touched_rows(db: Path, strategy: str) -> None:
    raw = S.open_raw(db)
    raw.execute("PRAGMA foreign_keys=OFF")
    raw.execute("INSERT INTO parent VALUES (424242, 'old orphan', 77, 't')")  # untouched, stays
    raw.close()
    recs = S.records(100, {30: "fk"})
    recs.append({"key": "del", "id": 100000, "ts": "t", "delete": True})  # leaves two children behind

    def apply(uow, batch):
        out = []
        for r in batch:
            if r.get("delete"):
                uow.execute("DELETE FROM parent WHERE id=?", (r["id"],))
                out.append("updated")
            else:
                out.extend(S.apply(uow, [r]))
        return out

    conn = sqlbatch.connect(db, foreign_keys=False)  # SQLite itself will not stop an orphan
    res = S.processor(conn, strategy, apply=apply, batch_validators=[ForeignKeysTouched()]).run(recs)
    conn.close()
    got = {q.record_key: q for q in res.quarantined}
    assert set(got) == {"r0030", "del"}
    assert got["r0030"].rule == "foreign_key" and "category" in got["r0030"].reason
    assert "child rows still refer to removed parent" in got["del"].reason
    assert res.metrics.records_committed == 99
    assert S.query(db, "PRAGMA foreign_key_check") == [("parent", 424242, "category", 0)]  # only the old one
    per_batch = [b["validate_ms"] / b["attempts"] for b in S.journal(db, "sqlbatch_batches", res.run_id)]
    assert max(per_batch) < 50


@CROSS
@pytest.mark.parametrize("interval", S.INTERVALS, ids=["commit-each", "grouped"])
def test_foreign_keys_touched_with_deferred_keys(tmp_path: Path, strategy: str, interval: float) -> None:
    """Deferred keys are checked by SQLite only at COMMIT: the validator finds the orphan first."""
    path = tmp_path / "deferred.db"
    raw = S.open_raw(path)
    raw.execute(S.SCHEMA.replace("REFERENCES category(id)", "REFERENCES category(id) DEFERRABLE INITIALLY DEFERRED"))
    raw.close()
    recs = S.records(120, {10: "fk", 75: "fk"})
    res = S.run(path, recs, strategy, interval, batch_validators=[ForeignKeysTouched()])
    assert {q.record_key for q in res.quarantined} == {"r0010", "r0075"}
    assert res.metrics.records_committed == 118
    S.assert_sound(path)


@CROSS
def test_deferred_violation_without_validator_aborts_cleanly(tmp_path: Path, strategy: str) -> None:
    """No validator: the COMMIT itself fails. The run aborts, nothing half-done, the file sound."""
    path = tmp_path / "deferred.db"
    raw = S.open_raw(path)
    raw.execute(S.SCHEMA.replace("REFERENCES category(id)", "REFERENCES category(id) DEFERRABLE INITIALLY DEFERRED"))
    raw.close()
    conn = sqlbatch.connect(path)
    with pytest.raises(sqlbatch.ProcessorAborted, match="FOREIGN KEY"):
        S.processor(conn, strategy).run(S.records(120, {75: "fk"}))
    assert not conn.in_transaction
    conn.close()
    assert len(S.parent_keys(path)) == 50  # batch 1 committed, batch 2 (with r0075) did not
    S.assert_sound(path)


# -- budget, warnings ----------------------------------------------------------------------------------
@CROSS
def test_slow_validation_is_reported_not_rejected(db: Path, strategy: str) -> None:
    def slow(ctx: sqlbatch.BatchContext) -> list[Issue]:
        if ctx.batch_no == 2:
            time.sleep(0.03)
        return [Issue("note", "just a warning", ctx.keys[0], severity="warning")]

    res = S.run(db, S.records(120), strategy, batch_validators=[slow], validation_budget_ms=10)
    assert res.status == "completed" and res.metrics.records_committed == 120
    assert res.metrics.validation_over_budget == 1
    batches = {b["batch_no"]: b for b in S.journal(db, "sqlbatch_batches", res.run_id)}
    assert [batches[n]["validation_over_budget"] for n in (1, 2, 3)] == [0, 1, 0]
    assert batches[2]["validate_ms"] >= 30
    issues = S.journal(db, "sqlbatch_issues", res.run_id)
    timeouts = [i for i in issues if i["rule"] == "validation_timeout"]
    assert len(timeouts) == 1 and timeouts[0]["severity"] == "warning" and timeouts[0]["batch_no"] == 2
    assert "10 ms" in timeouts[0]["message"]
    notes = [i for i in issues if i["rule"] == "note"]
    assert [(i["record_key"], i["severity"]) for i in notes] == [
        ("r0001", "warning"),
        ("r0051", "warning"),
        ("r0101", "warning"),
    ]
    assert res.metrics.warnings == 3 and not S.journal(db, "sqlbatch_quarantine")


def test_budget_from_settings(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("BATCH_VALIDATION_TIMEOUT", "1")

    def slow(ctx):
        time.sleep(0.005)

    settings = sqlbatch.load_settings()
    res = S.run(db, S.records(10), batch_validators=[slow], validation_budget_ms=settings.batch_validation_timeout)
    assert res.metrics.validation_over_budget == 1


@CROSS
def test_record_validator_warnings_are_journaled(db: Path, strategy: str) -> None:
    def long_name(r):
        return [Issue("long", "rather long", field="name", severity="warning")] if r["id"] % 25 == 0 else []

    res = S.run(db, S.records(60), strategy, record_validators=[long_name])
    assert res.metrics.records_committed == 60
    assert {(w.record, w.field) for w in res.warnings} == {("r0025", "name"), ("r0050", "name")}


# -- Check, and validators / prepare that crash ------------------------------------------------------------
@CROSS
def test_check_and_crashing_validators_reject_only_their_record(db: Path, strategy: str) -> None:
    def picky(ctx: sqlbatch.BatchContext) -> list[Issue]:
        for r in ctx.records:
            if r["id"] == 44:
                raise KeyError("missing field in r0044")
        return []

    def crashing_record_validator(r):
        if r["id"] == 12:
            raise ValueError("cannot read r0012")
        return []

    def prepare(r):
        if r["id"] == 66:
            raise TypeError("cannot prepare r0066")
        return r

    recs = S.records(90)
    res = S.run(
        db,
        recs,
        strategy,
        prepare=prepare,
        record_validators=[Check("even_cat", lambda r: r["id"] != 5, "record 5 refused"), crashing_record_validator],
        batch_validators=[picky],
    )
    got = {q.record_key: q for q in res.quarantined}
    assert set(got) == {"r0005", "r0012", "r0044", "r0066"}
    assert (got["r0005"].rule, got["r0005"].reason) == ("even_cat", "record 5 refused")
    assert got["r0012"].rule == "ValueError" and got["r0044"].rule == "KeyError" and got["r0066"].rule == "TypeError"
    assert res.metrics.records_committed == 86
    S.assert_sound(db)


@CROSS
def test_failing_key_function_aborts_without_leaving_a_transaction(db: Path, strategy: str) -> None:
    def key(r):
        if r["id"] == 130:
            raise RuntimeError("no key")
        return r["key"]

    conn = sqlbatch.connect(db)
    with pytest.raises(sqlbatch.ProcessorAborted, match="no key") as info:
        S.processor(conn, strategy, 600_000, key=key).run(S.records(150))
    assert not conn.in_transaction and conn.active_unit is None
    assert info.value.result.status == "aborted"
    # the connection is still usable, by any strategy
    res = S.processor(conn, "session").run(S.records(10), source="after")
    conn.close()
    assert res.status == "completed"
    assert S.journal(db, "sqlbatch_runs", info.value.result.run_id)[0]["status"] == "aborted"
