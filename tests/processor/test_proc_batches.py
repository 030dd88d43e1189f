"""Batching, failure isolation, skip-batch, journal entries and rollback exactness (F1–F4, Q2/Q3, R1–R3)."""

from __future__ import annotations

import json
import math
from pathlib import Path

import apsw
import pytest

import sqlbatch
from sqlbatch import Issue
from tests.support import processor as S

CROSS = pytest.mark.parametrize("strategy", S.STRATEGIES)
INTERVAL = pytest.mark.parametrize("interval", S.INTERVALS, ids=["commit-each", "grouped"])


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return S.build_db(tmp_path / "proc.db")


def reference(tmp_path: Path, recs: list[dict], name: str = "reference.db") -> Path:
    """The good records applied in order with plain APSW, one transaction: the expected data."""
    path = S.build_db(tmp_path / name)
    raw = S.open_raw(path)

    class Plain:
        execute = staticmethod(raw.execute)

    raw.execute("BEGIN")
    S.apply(Plain(), recs)
    raw.execute("COMMIT")
    raw.close()
    return path


# -- F1 ------------------------------------------------------------------------------------------
@CROSS
@INTERVAL
def test_f1_500_records_make_exactly_10_batches(db: Path, strategy: str, interval: float) -> None:
    recs = S.records(500)
    res = S.run(db, recs, strategy, interval, batch_size=50)
    m = res.metrics
    assert (m.batch_count, m.batches_succeeded, m.batches_failed) == (10, 10, 0)
    assert (m.records_total, m.records_added, m.records_committed, m.records_quarantined) == (500, 500, 500, 0)
    assert res.status == "completed"
    assert m.commits == (10 if interval == 0 else 1)
    rows = S.journal(db, "sqlbatch_batches", res.run_id)
    assert [r["batch_no"] for r in rows] == list(range(1, 11))
    assert all(r["status"] == "committed" and r["records"] == 50 and r["committed"] == 50 for r in rows)
    assert [(r["first_position"], r["last_position"]) for r in rows] == [(1 + 50 * i, 50 * (i + 1)) for i in range(10)]
    S.assert_records_stored(db, recs)
    S.assert_sound(db)


@pytest.mark.parametrize("size,expected", [(1, 7), (3, 3), (7, 1), (50, 1)])
def test_f1_batch_size_is_configurable(db: Path, size: int, expected: int) -> None:
    res = S.run(db, S.records(7), batch_size=size)
    assert res.metrics.batch_count == expected == len(S.journal(db, "sqlbatch_batches", res.run_id))


# -- F2 ------------------------------------------------------------------------------------------
def _poison_validator(ctx: sqlbatch.BatchContext) -> list[Issue]:
    """A batch-level failure that names no record: fails whenever r0225 is in the attempt."""
    if "r0225" in ctx.keys:
        return [Issue("batch_rule", "the batch as a whole is not acceptable")]
    return []


INJECTIONS = {
    "apply-raises": ({225: "raise"}, ()),
    "apply-constraint": ({225: "check"}, ()),
    "validator": ({}, (_poison_validator,)),
}


@CROSS
@INTERVAL
@pytest.mark.parametrize("injection", INJECTIONS)
@pytest.mark.parametrize("on_failure", ["isolate", "skip-batch"])
def test_f2_failure_in_batch_5_leaves_the_others(
    db: Path, strategy: str, interval: float, injection: str, on_failure: str
) -> None:
    bad, validators = INJECTIONS[injection]
    recs = S.records(500, bad)
    res = S.run(db, recs, strategy, interval, on_failure=on_failure, batch_validators=validators)
    m = res.metrics
    assert (m.batch_count, m.batches_succeeded, m.batches_failed) == (10, 9, 1)
    assert m.batch_errors and m.batch_errors[0].startswith("batch 5:")
    batches = {r["batch_no"]: r for r in S.journal(db, "sqlbatch_batches", res.run_id)}
    assert all(batches[n]["status"] == "committed" for n in (1, 2, 3, 4, 6, 7, 8, 9, 10))
    keys = S.parent_keys(db)
    batch5 = {f"r{i:04d}" for i in range(201, 251)}
    others = {f"r{i:04d}" for i in range(1, 501)} - batch5
    assert others <= keys
    S.assert_records_stored(db, [r for r in recs if r["key"] in others])
    quarantine = {r["record_key"]: r for r in S.journal(db, "sqlbatch_quarantine")}
    if on_failure == "skip-batch":
        assert batches[5]["status"] == "failed" and batches[5]["committed"] == 0
        assert not keys & batch5, "a skipped batch must be wholly absent"
        assert set(quarantine) == batch5
        assert {q["rule"] for q in quarantine.values()} == {"batch_failed"}
        assert all(q["batch_no"] == 5 for q in quarantine.values())
        assert m.records_quarantined == 50 and m.records_committed == 450
    else:
        assert batches[5]["status"] == "partial" and batches[5]["committed"] == 49
        assert keys & batch5 == batch5 - {"r0225"}
        assert set(quarantine) == {"r0225"}
        assert m.records_quarantined == 1 and m.records_committed == 499
    # the failed record's partial writes (its parent, its first child) left no trace
    assert S.query(db, "SELECT count(*) FROM child WHERE parent_id=225") == [(0,)]
    S.assert_sound(db)


@CROSS
def test_f2_batch_validator_failing_batch_5_whatever_it_holds(db: Path, strategy: str) -> None:
    """A validator that rejects batch 5 as a whole: isolate can keep none of it either."""

    def no_batch_5(ctx: sqlbatch.BatchContext) -> list[Issue]:
        return [Issue("no_batch_5", "batch 5 is refused")] if ctx.batch_no == 5 else []

    for on_failure in ("skip-batch", "isolate"):
        path = S.build_db(db.parent / f"{on_failure}.db")
        res = S.run(path, S.records(500), strategy, on_failure=on_failure, batch_validators=[no_batch_5])
        keys = S.parent_keys(path)
        assert len(keys) == 450 and not any(201 <= int(k[1:]) <= 250 for k in keys)
        assert res.metrics.records_quarantined == 50
        rules = {r["rule"] for r in S.journal(path, "sqlbatch_quarantine")}
        assert rules == ({"batch_failed"} if on_failure == "skip-batch" else {"no_batch_5"})
        S.assert_sound(path)


# -- F3 / R1 -------------------------------------------------------------------------------------
@CROSS
@INTERVAL
def test_r1_five_percent_bad_everywhere_every_good_record_commits(
    tmp_path: Path, db: Path, strategy: str, interval: float
) -> None:
    bad = S.spread_bad(500, 20)  # 25 bad records, every batch has some, all five kinds
    assert len(bad) == 25 and len({(i - 1) // 50 for i in bad}) == 10
    recs = S.records(500, bad)
    good = [r for r in recs if r["id"] not in bad]
    res = S.run(db, recs, strategy, interval)
    assert S.parent_keys(db) == {r["key"] for r in good}
    assert {q.record_key for q in res.quarantined} == {r["key"] for r in recs if r["id"] in bad}
    m = res.metrics
    assert m.records_committed / m.records_total >= 0.95
    assert (m.records_committed, m.records_quarantined, m.batch_count) == (475, 25, 10)
    assert res.status == "completed_with_quarantine"
    S.assert_records_stored(db, good)
    # Q3: data identical to applying only the good records, sqlite_sequence included
    assert S.dump(db) == S.dump(reference(tmp_path, good))
    S.assert_sound(db)


@CROSS
def test_f3_skip_batch_one_bad_batch_keeps_95_percent(db: Path, strategy: str) -> None:
    recs = S.records(1000, {777: "check"})
    res = S.run(db, recs, strategy, on_failure="skip-batch")
    m = res.metrics
    assert (m.batch_count, m.batches_failed) == (20, 1)
    committed = len(S.parent_keys(db))
    assert committed == m.records_committed == 950
    assert committed / len(recs) >= 0.95
    S.assert_sound(db)


# -- F4 ------------------------------------------------------------------------------------------
@CROSS
@pytest.mark.parametrize("on_failure", ["isolate", "skip-batch"])
def test_f4_every_failure_has_a_journal_entry(db: Path, strategy: str, on_failure: str) -> None:
    bad = S.spread_bad(200, 20)
    recs = S.records(200, bad)
    res = S.run(db, recs, strategy, on_failure=on_failure)
    issues = S.journal(db, "sqlbatch_issues", res.run_id)
    quarantine = {q["record_key"]: q for q in S.journal(db, "sqlbatch_quarantine")}
    assert len(res.quarantined) == res.metrics.records_quarantined == len(quarantine)
    by_key = {i["record_key"]: i for i in issues if i["severity"] == "error"}
    for q in res.quarantined:
        row, issue = quarantine[q.record_key], by_key[q.record_key]
        assert row["reason"] and row["rule"] and row["batch_no"] == q.batch == issue["batch_no"]
        assert (row["rule"], row["reason"]) == (q.rule, q.reason) == (issue["rule"], issue["message"])
        assert row["run_id"] == res.run_id and row["status"] == "quarantined"
        assert json.loads(row["payload"])["key"] == q.record_key
        assert q.batch == (int(q.record_key[1:]) - 1) // 50 + 1
    if on_failure == "isolate":
        assert set(quarantine) == {f"r{i:04d}" for i in bad}
        reasons = {int(k[1:]): q["reason"] for k, q in quarantine.items()}
        for i, kind in bad.items():
            expected = {
                "check": "CHECK constraint failed",
                "fk": "FOREIGN KEY",
                "name": "CHECK constraint failed",
                "raise": "injected failure",
                "named": "injected failure naming",
            }[kind]
            assert expected in reasons[i]
        assert quarantine[f"r{min(i for i, k in bad.items() if k == 'named'):04d}"]["field"] == "name"
    else:
        assert all(q["rule"] == "batch_failed" for q in quarantine.values())
    failed = [b for b in S.journal(db, "sqlbatch_batches", res.run_id) if b["quarantined"]]
    assert failed and all(b["error"] for b in failed)
    run = S.journal(db, "sqlbatch_runs", res.run_id)[0]
    assert run["status"] == "completed_with_quarantine" and run["records_quarantined"] == len(quarantine)
    assert json.loads(run["metrics"])["batch_errors"] == res.metrics.batch_errors


# -- bisection cost ------------------------------------------------------------------------------
def _poison(ctx: sqlbatch.BatchContext) -> list[Issue]:
    return [Issue("poison", "a poisoned record is in the batch")] if any(r.get("poison") for r in ctx.records) else []


def _named_poison(ctx: sqlbatch.BatchContext) -> list[Issue]:
    return [Issue("poison", "poisoned", r["key"], "name") for r in ctx.records if r.get("poison")]


def _bisect_run(path: Path, strategy: str, position: int, how: str) -> tuple[int, int, set[str]]:
    recs = S.records(50)
    validators: tuple = ()
    if how == "constraint":
        recs[position] = S.record(position + 1, "check")
    elif how == "fk":
        recs[position] = S.record(position + 1, "fk")
    elif how == "named":
        recs[position] = S.record(position + 1, "named")
    else:
        recs[position]["poison"] = True
        validators = (_poison,) if how == "validator" else (_named_poison,)
    res = S.run(path, recs, strategy, batch_validators=validators, source=f"{how}{position}")
    (row,) = S.journal(path, "sqlbatch_batches", res.run_id)
    assert row["attempts"] - 1 == res.metrics.bisection_passes
    assert {q.record_key for q in res.quarantined} == {recs[position]["key"]}
    return res.metrics.bisection_passes, row["committed"], S.parent_keys(path)


BOUND = math.floor(2 * math.log2(50))  # 11 extra attempts at most for one unnamed culprit in 50


def test_bisection_cost_every_position_memory(tmp_path: Path) -> None:
    worst = total = 0
    for pos in range(50):
        path = S.build_db(tmp_path / f"b{pos}.db")
        extra, committed, keys = _bisect_run(path, "memory", pos, "constraint")
        assert committed == 49 and len(keys) == 49
        worst = max(worst, extra)
        total += extra
    assert worst <= BOUND and total / 50 < 9


@CROSS
@pytest.mark.parametrize("how", ["constraint", "fk", "validator"])
@pytest.mark.parametrize("position", [0, 24, 25, 37, 49])
def test_bisection_cost_unnamed_failure(tmp_path: Path, strategy: str, how: str, position: int) -> None:
    extra, committed, _ = _bisect_run(S.build_db(tmp_path / "b.db"), strategy, position, how)
    assert 1 <= extra <= BOUND and committed == 49


@CROSS
@pytest.mark.parametrize("how", ["named", "named-validator"])
@pytest.mark.parametrize("position", [0, 31, 49])
def test_named_failure_costs_one_extra_attempt(tmp_path: Path, strategy: str, how: str, position: int) -> None:
    extra, committed, _ = _bisect_run(S.build_db(tmp_path / "b.db"), strategy, position, how)
    assert extra == 1 and committed == 49


# -- Q2 / Q3 / R2 / R3 ----------------------------------------------------------------------------
@CROSS
@INTERVAL
def test_q3_updates_and_rollbacks_restore_exactly(tmp_path: Path, db: Path, strategy: str, interval: float) -> None:
    """A second run updating rows where some updates fail: the failed ones keep run 1's data."""
    first = S.records(150)
    S.run(db, first, strategy, interval, source="v1")
    bad = {3: "check", 60: "raise", 99: "fk", 140: "named"}
    second = S.records(150, bad, version=2)
    res = S.run(db, second, strategy, interval, source="v2")
    assert res.metrics.records_updated == 146 and res.metrics.records_quarantined == 4
    expected = [second[i - 1] if i not in bad else first[i - 1] for i in range(1, 151)]
    S.assert_records_stored(db, expected)
    ref = reference(tmp_path, first, "ref.db")
    raw = S.open_raw(ref)

    class Plain:
        execute = staticmethod(raw.execute)

    with raw:
        S.apply(Plain(), [r for r in second if r["id"] not in bad])
    raw.close()
    assert S.dump(db) == S.dump(ref)
    S.assert_sound(db)


@CROSS
def test_q3_cascading_delete_in_a_failed_batch_is_restored(db: Path, strategy: str) -> None:
    """A batch deleting parents (children cascade) then failing: every row comes back."""
    S.run(db, S.records(20), strategy, source="seed")
    before = S.full_dump(db)

    def apply(uow, batch):
        for r in batch:
            uow.execute("DELETE FROM parent WHERE id=?", (r["id"],))
        if any(r.get("fail") for r in batch):
            raise RuntimeError("fails after cascading deletes")
        return ["updated"] * len(batch)

    recs = S.records(20, {20: "raise"})
    res = S.run(db, recs, strategy, apply=apply, batch_size=20, on_failure="skip-batch", source="del")
    assert res.metrics.batches_failed == 1 and res.metrics.records_committed == 0
    after = S.full_dump(db)
    assert {k: v for k, v in after.items() if not k.startswith("sqlbatch_")} == {
        k: v for k, v in before.items() if not k.startswith("sqlbatch_")
    }
    S.assert_sound(db)


def test_q2_committed_data_survives_close_and_reopen(db: Path) -> None:
    recs = S.records(120, {7: "check"})
    res = S.run(db, recs, "session", 0)
    raw = apsw.Connection(str(db))  # a plain second connection, no sqlbatch at all
    got = raw.execute("SELECT count(*) FROM parent WHERE id < 100000").fetchall()[0][0]
    raw.close()
    assert got == res.metrics.records_committed == 119
    S.assert_records_stored(db, [r for r in recs if r["id"] != 7])


# -- dry run, metrics ----------------------------------------------------------------------------
@CROSS
@pytest.mark.parametrize("mode", ["batched", "all-or-nothing"])
def test_dry_run_commits_nothing_and_reports_counts(db: Path, strategy: str, mode: str) -> None:
    S.run(db, S.records(30), strategy, source="first")
    before = S.full_dump(db)
    recs = S.records(130, {101: "check"}, version=0)
    for r in recs[:10]:
        r["name"] += " changed"
    conn = sqlbatch.connect(db)
    res = S.processor(conn, strategy, all_or_nothing=(mode == "all-or-nothing")).run(recs, source="dry", dry_run=True)
    assert not conn.in_transaction
    conn.close()
    assert res.dry_run and S.full_dump(db) == before
    assert res.backup_path is None
    m = res.metrics
    assert m.records_total == 130
    if mode == "batched":
        assert (m.records_added, m.records_updated, m.records_unchanged, m.records_quarantined) == (99, 10, 20, 1)
        assert res.status == "completed_with_quarantine" and m.batch_count == 3
    else:
        assert res.status == "rolled_back" and m.records_quarantined >= 1


def test_metrics_to_dict_and_json(db: Path) -> None:
    res = S.run(db, S.records(120, {5: "check", 61: "named"}), "memory", 0)
    d = res.metrics.to_dict()
    for k in (
        "batch_count",
        "batches_succeeded",
        "batches_failed",
        "batch_errors",
        "records_committed",
        "records_quarantined",
        "records_unchanged",
        "records_added",
        "records_updated",
        "checkpoint_ms",
        "apply_ms",
        "validate_ms",
        "commit_ms",
        "rollback_ms",
        "duration_s",
        "bisection_passes",
    ):
        assert k in d, k
    assert (d["batch_count"], d["batches_succeeded"], d["batches_failed"]) == (3, 1, 2)
    assert len(d["batch_errors"]) == 2 and "CHECK constraint failed" in d["batch_errors"][0]
    assert (d["records_committed"], d["records_quarantined"]) == (118, 2)
    assert d["apply_ms"] > 0 and d["rollback_ms"] > 0 and d["commit_ms"] >= 0
    assert json.loads(res.metrics.to_json()) == d
    full = res.to_dict()
    assert full["quarantined"][0] == {
        "record_key": "r0005",
        "batch": 1,
        "rule": "ConstraintError",
        "reason": full["quarantined"][0]["reason"],
        "field": None,
    }
    json.dumps(full)
    run = S.journal(db, "sqlbatch_runs", res.run_id)[0]
    assert json.loads(run["metrics"])["batch_count"] == 3
    assert (run["batches_committed"], run["batches_failed"], run["records_committed"]) == (1, 2, 118)


# -- a record that makes SQLite end the whole transaction (RAISE(ROLLBACK)) --------------------------
@CROSS
@INTERVAL
@pytest.mark.parametrize("on_failure", ["isolate", "skip-batch"])
def test_raise_rollback_trigger_quarantines_only_its_record(
    tmp_path: Path, db: Path, strategy: str, interval: float, on_failure: str
) -> None:
    raw = S.open_raw(db)
    raw.execute(
        "CREATE TRIGGER no_doom BEFORE INSERT ON child WHEN NEW.v = 'doom'"
        " BEGIN SELECT RAISE(ROLLBACK, 'doomed child'); END"
    )
    raw.close()
    recs = S.records(200, {30: "check"})
    for i in (75, 160):
        recs[i - 1]["children"] = [f"c{i}-a", "doom"]
    res = S.run(db, recs, strategy, interval, on_failure=on_failure)
    got = {q.record_key: q for q in res.quarantined}
    if on_failure == "isolate":
        assert set(got) == {"r0030", "r0075", "r0160"}
        assert "doomed child" in got["r0075"].reason and got["r0075"].rule == "transaction_rollback"
        good = [r for r in recs if r["key"] not in got]
        assert S.parent_keys(db) == {r["key"] for r in good}
        S.assert_records_stored(db, good)
    else:
        assert {int(k[1:]) for k in got} == set(range(1, 51)) | set(range(51, 101)) | set(range(151, 201))
        assert S.parent_keys(db) == {f"r{i:04d}" for i in range(101, 151)}
    m = res.metrics
    assert m.records_committed + m.records_quarantined == 200 and m.batch_count == 4
    assert len(S.journal(db, "sqlbatch_batches", res.run_id)) == 4
    S.assert_sound(db)


@CROSS
def test_groups_commit_by_the_interval(db: Path, strategy: str) -> None:
    """A clock that moves 1 s per reading: batches group into commits of a few; the data is complete."""
    ticks = iter(range(1_000_000))
    res = S.run(db, S.records(500, {260: "check"}), strategy, 20_000, clock=lambda: float(next(ticks)))
    m = res.metrics
    assert 1 < m.commits < 10 and m.batch_count == 10 and m.records_committed == 499
    assert len(S.journal(db, "sqlbatch_batches", res.run_id)) == 10
    assert len(S.parent_keys(db)) == 499
    S.assert_sound(db)


def test_empty_input(db: Path) -> None:
    res = S.run(db, [])
    assert res.status == "completed" and res.metrics.batch_count == 0 and res.metrics.records_total == 0
    assert S.journal(db, "sqlbatch_runs", res.run_id)[0]["status"] == "completed"
