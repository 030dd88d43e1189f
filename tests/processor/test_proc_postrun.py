"""The post-run cross-batch check: the batches behind a failure are found and compensated.

A rule that only shows once every batch is in (a name two batches each wrote once, a parent
a batch removed while foreign keys were off) is checked after the last commit. The batches
that wrote the rows the check names are undone from their stored before-images, their
records quarantined with the reason; everything else stays. Checked through a second
connection after close.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import sqlbatch
from sqlbatch import Issue
from tests.support.processor import (
    INTERVALS,
    STRATEGIES,
    assert_records_stored,
    assert_sound,
    build_db,
    dump,
    journal,
    query,
    records,
    run,
)


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return build_db(tmp_path / "post.db")


def unique_names(conn: sqlbatch.Connection) -> list[Issue]:
    """Cross-batch rule: no two parents share a name; the later row (higher id) is at fault."""
    rows = conn.raw.execute(
        "SELECT p.id, p.name FROM parent p WHERE EXISTS (SELECT 1 FROM parent q WHERE q.name = p.name AND q.id < p.id)"
    ).fetchall()
    return [
        Issue("unique_name", f"name {name!r} is already used", f"r{pid:04d}", "name", rows=(("parent", {"id": pid}),))
        for pid, name in rows
    ]


def with_duplicate_name(n: int, dup: int, of: int) -> list[dict[str, Any]]:
    recs = records(n)
    recs[dup - 1]["name"] = recs[of - 1]["name"]
    return recs


@pytest.mark.parametrize("interval", INTERVALS)
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_batch_behind_a_cross_batch_failure_is_compensated(db: Path, strategy: str, interval: float) -> None:
    recs = with_duplicate_name(200, dup=60, of=10)  # record 60 is in batch 2, record 10 in batch 1
    result = run(db, recs, strategy, interval, final_validators=[unique_names])

    assert result.status == "completed_with_quarantine"
    m = result.metrics
    assert (m.batches_compensated, m.records_compensated, m.records_quarantined) == (1, 50, 50)
    assert m.records_committed == 150 and m.batches_succeeded == 3 and m.batches_failed == 1
    quarantined = {q.record_key: q for q in result.quarantined}
    assert set(quarantined) == {f"r{i:04d}" for i in range(51, 101)}
    assert quarantined["r0060"].rule == "unique_name" and quarantined["r0061"].rule == "post_run_check"

    kept = [r for r in recs if not 51 <= r["id"] <= 100]
    assert_records_stored(db, kept)
    assert query(db, "SELECT count(*) FROM parent WHERE id BETWEEN 51 AND 100") == [(0,)]
    assert query(db, "SELECT count(*) FROM child WHERE parent_id BETWEEN 51 AND 100") == [(0,)]
    assert_sound(db)
    batches = {b["batch_no"]: b for b in journal(db, "sqlbatch_batches", result.run_id)}
    assert batches[2]["status"] == "compensated" and "post-run check" in batches[2]["error"]
    assert [b for b, row in batches.items() if row["status"] == "committed"] == [1, 3, 4]
    assert {u["batch_no"] for u in journal(db, "sqlbatch_undo", result.run_id, "batch_no")} == {1, 3, 4}
    rows = journal(db, "sqlbatch_quarantine")
    assert len(rows) == 50 and {r["run_id"] for r in rows} == {result.run_id}
    assert {r["rule"] for r in rows if r["record_key"] == "r0060"} == {"unique_name"}


def test_compensated_records_apply_on_the_next_run(db: Path) -> None:
    recs = with_duplicate_name(200, dup=60, of=10)
    run(db, recs, final_validators=[unique_names])
    fixed = records(200)
    second = run(db, fixed, final_validators=[unique_names])
    assert second.status == "completed"
    assert second.metrics.records_added == 50 and second.metrics.records_resolved == 50
    assert_records_stored(db, fixed)
    assert query(db, "SELECT count(*) FROM sqlbatch_quarantine WHERE status='quarantined'") == [(0,)]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_later_batch_touching_the_same_rows_is_compensated_too(db: Path, strategy: str) -> None:
    recs = with_duplicate_name(150, dup=60, of=10)
    # batch 3 (records 101-150) also rewrites record 70 of batch 2: undoing batch 2 alone
    # would overwrite batch 3's newer version of that row, so batch 3 goes too
    later = dict(recs[69], key="r0070-again", ts="t999999")
    recs = [*recs[:100], later, *recs[100:149]]
    before = dump(db)
    result = run(db, recs, strategy, final_validators=[unique_names])
    batches = {b["batch_no"]: b["status"] for b in journal(db, "sqlbatch_batches", result.run_id)}
    assert batches == {1: "committed", 2: "compensated", 3: "compensated"}
    assert result.metrics.batches_compensated == 2
    after = dump(db)
    first_batch = {r["id"] for r in recs[:50]}
    assert {r[0] for r in after["parent"]} == {r[0] for r in before["parent"]} | first_batch
    assert_sound(db)


def test_cursor_goes_back_to_the_compensated_batch(db: Path) -> None:
    recs = with_duplicate_name(200, dup=60, of=10)
    run(db, recs, final_validators=[unique_names])
    conn = sqlbatch.connect(db)
    try:
        # newest committed cursor is t000200, but batch 2 (t000051..t000100) was undone
        assert sqlbatch.Journal(conn).last_cursor("default") == "t000051"
    finally:
        conn.close()


def test_parent_removed_with_foreign_keys_off_is_put_back(db: Path) -> None:
    """``foreign_key_check`` names the orphan and the parent it misses; the batch that deleted
    the parent (foreign keys off on its connection) is found by the parent's before-image."""

    def delete_some(uow: Any, batch: list[dict[str, Any]]) -> list[str]:
        for r in batch:
            uow.execute("INSERT INTO category(id, label) VALUES (?, ?)", (r["id"], r["key"]))
            if r.get("drop"):
                uow.execute("DELETE FROM category WHERE id=?", (r["drop"],))
        return ["added"] * len(batch)

    recs = [{"key": f"k{i}", "id": 10 + i, "ts": f"t{i:03d}"} for i in range(1, 31)]
    recs[17]["drop"] = 1  # category 1 still has parents pointing at it (the seeded row)
    before = dump(db)
    conn = sqlbatch.connect(db, foreign_keys=False)
    try:
        proc = sqlbatch.Processor(
            conn,
            delete_some,
            batch_size=10,
            key=lambda r: r["key"],
            cursor=lambda r: r["ts"],
            final_validators=[sqlbatch.foreign_key_check],
        )
        result = proc.run(recs, source="fk")
    finally:
        conn.close()
    assert result.metrics.batches_compensated == 1
    assert {q.record_key for q in result.quarantined} == {f"k{i}" for i in range(11, 21)}
    assert query(db, "SELECT * FROM category WHERE id=1") == before["category"][:1]
    assert query(db, "SELECT count(*) FROM category WHERE id BETWEEN 21 AND 30") == [(0,)]
    assert query(db, "SELECT count(*) FROM category WHERE id > 10") == [(20,)]
    assert_sound(db)


def test_compensation_that_does_not_help_is_rolled_back(db: Path) -> None:
    """A failure the run did not cause (it names a row no batch wrote) compensates nothing."""

    def always(conn: sqlbatch.Connection) -> list[Issue]:
        return [Issue("house_rule", "the seeded parent is always wrong", rows=(("parent", {"id": 100000}),))]

    recs = records(100)
    result = run(db, recs, final_validators=[always])
    assert result.status == "completed"  # older damage is reported, not blamed on this run
    assert result.metrics.batches_compensated == 0 and result.metrics.records_committed == 100
    assert_records_stored(db, recs)
    found = journal(db, "sqlbatch_issues", result.run_id)
    assert [(i["rule"], i["severity"]) for i in found] == [("house_rule", "warning")]
    assert "did not write" in found[0]["message"]


def test_a_finding_naming_no_rows_keeps_the_run_in_error(db: Path) -> None:
    def vague(conn: sqlbatch.Connection) -> list[Issue]:
        return [Issue("vague", "something is off somewhere")]

    recs = records(60)
    result = run(db, recs, final_validators=[vague])
    assert result.status == "completed_with_errors" and result.metrics.batches_compensated == 0
    assert_records_stored(db, recs)
    assert [(i["rule"], i["severity"]) for i in journal(db, "sqlbatch_issues", result.run_id)] == [("vague", "error")]


def test_undoing_does_not_fix_it_so_nothing_is_undone(db: Path) -> None:
    """The check names a row batch 1 wrote but still fails without it: the undo is rolled back."""

    def stubborn(conn: sqlbatch.Connection) -> list[Issue]:
        return [Issue("stubborn", "fails whatever happens", rows=(("parent", {"id": 5}),))]

    recs = records(100)
    result = run(db, recs, final_validators=[stubborn])
    assert result.status == "completed_with_errors"
    assert result.metrics.batches_compensated == 0
    assert_records_stored(db, recs)
    assert {b["status"] for b in journal(db, "sqlbatch_batches", result.run_id)} == {"committed"}


def test_warnings_of_the_final_check_are_kept_not_acted_on(db: Path) -> None:
    def advisory(conn: sqlbatch.Connection) -> list[Issue]:
        return [Issue("advice", "just so you know", "r0001", severity="warning", rows=(("parent", {"id": 1}),))]

    result = run(db, records(60), final_validators=[advisory])
    assert result.status == "completed" and result.metrics.batches_compensated == 0
    assert [(i["rule"], i["severity"]) for i in journal(db, "sqlbatch_issues", result.run_id)] == [
        ("advice", "warning")
    ]


def test_foreign_key_check_names_child_and_parent(db: Path) -> None:
    conn = sqlbatch.connect(db, foreign_keys=False)
    try:
        conn.execute("DELETE FROM parent WHERE id=100000")
        issues = sqlbatch.foreign_key_check(conn)
    finally:
        conn.close()
    assert len(issues) == 2 and {i.rule for i in issues} == {"foreign_key"}
    assert all(i.field == "parent_id" for i in issues)
    assert all(i.rows[1] == ("parent", {"id": 100000}) and i.rows[0][0] == "child" for i in issues)


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_all_or_nothing_runs_the_final_check_before_its_commit(db: Path, strategy: str) -> None:
    before = dump(db)
    recs = with_duplicate_name(120, dup=60, of=10)
    result = run(db, recs, strategy, all_or_nothing=True, backup_dir=db.parent / "bk", final_validators=[unique_names])
    assert result.status == "rolled_back"
    assert [(q.record_key, q.rule) for q in result.quarantined] == [("r0060", "unique_name")]
    assert dump(db) == before
    clean = run(
        db, records(120), strategy, all_or_nothing=True, backup_dir=db.parent / "bk", final_validators=[unique_names]
    )
    assert clean.status == "completed"
    assert_records_stored(db, records(120))
