"""Revert of real hearings runs through the API: run A, run B, revert B == after A; conflicts.

Every state is read by a second, plain connection after the updater's connection is closed,
and compared table by table by natural keys (event ids, committee codes, witness names).
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import sqlbatch
from adapters.hearings.updater import prepare_database
from sqlbatch import RevertError, RevertRefused, RevertResult, revert
from tests.support import revert as rs

#: Every table run B changes (so "equal after revert" is not vacuous).
B_TOUCHES = (
    "hearings",
    "hearing_committees",
    "witnesses",
    "witness_appearances",
    "witness_documents",
    "supporting_documents",
    "hearing_transcripts",
)


def do_revert(path: Path, run_id: int, **kwargs: Any) -> RevertResult:
    conn = sqlbatch.connect(path)
    try:
        return revert(conn, run_id, **kwargs)
    finally:
        conn.close()


@pytest.mark.parametrize("strategy", rs.STRATEGIES)
def test_revert_b_then_revert_the_revert(make_ab: Callable[..., rs.AB], strategy: str) -> None:
    ab = make_ab(strategy)
    for table in B_TOUCHES:
        assert ab.after_a[table] != ab.after_b[table], f"run B changed nothing in {table}"

    result = do_revert(ab.path, ab.run_b.run_id)
    assert result.revert_run is not None and not result.dry_run
    assert rs.natural_snapshot(ab.path) == ab.after_a
    if strategy != "session":
        # The undo log keys rows by rowid: even hidden rowids come back. (A session changeset keys
        # a table with a composite PRIMARY KEY by it, so hearing_committees rows may get new rowids.)
        assert rs.exact_snapshot(ab.path) == ab.exact_a
    run = rs.query(ab.path, "SELECT mode, status, source FROM sqlbatch_runs WHERE run_id=?", (result.revert_run,))
    assert run == [("revert", "completed", f"revert:{ab.run_b.run_id}")]
    assert result.rows_restored == sum(sum(c.values()) for c in rs.counts_of(result.to_dict()["tables"]).values())

    again = do_revert(ab.path, result.revert_run)  # the revert is a run of its own: revert it
    assert again.revert_run is not None and again.revert_run > result.revert_run
    assert rs.natural_snapshot(ab.path) == ab.after_b
    if strategy != "session":
        assert rs.exact_snapshot(ab.path) == ab.exact_b


def test_revert_a_under_b_is_refused_with_the_three_versions(make_ab: Callable[..., rs.AB]) -> None:
    ab = make_ab("memory")
    before = rs.exact_snapshot(ab.path, journal=True)
    with pytest.raises(RevertRefused) as caught:
        do_revert(ab.path, ab.run_a.run_id)
    refused = caught.value
    assert refused.later_runs == [ab.run_b.run_id]
    assert f"revert run {ab.run_b.run_id} first" in str(refused)
    by_event = {c.current["event_id"]: c for c in refused.conflicts if c.table == "hearings" and c.current is not None}
    for event_id in ab.changed["status"]:
        c = by_event[event_id]
        assert c.recorded_before is None  # A inserted the meeting
        assert c.recorded_after is not None and c.recorded_after["status"] == "Scheduled"
        assert c.current["status"] == "Canceled"
        assert c.later_run == ab.run_b.run_id
        assert c.key == (c.current["hearing_id"],)
        assert f"changed since by run {ab.run_b.run_id}" in str(c)
        assert set(c.to_dict()) >= {"table", "key", "before", "after", "current", "later_run"}
    for event_id in ab.changed["title"]:
        assert by_event[event_id].current["title"].endswith("(revised)")
    assert {c.table for c in refused.conflicts} >= {"hearings", "hearing_committees", "witness_appearances"}
    assert rs.exact_snapshot(ab.path, journal=True) == before  # nothing changed, no revert run journaled


def test_a_row_changed_by_hand_conflicts(tmp_path: Path, payloads: list[dict[str, Any]]) -> None:
    path = tmp_path / "hand.db"
    run_a = rs.update(path, payloads[:40])
    event_id = payloads[5]["eventId"]
    rs.execute(path, "UPDATE hearings SET title='edited by hand' WHERE event_id=?", (event_id,))
    before = rs.exact_snapshot(path, journal=True)
    with pytest.raises(RevertRefused) as caught:
        do_revert(path, run_a.run_id)
    (conflict,) = caught.value.conflicts
    assert conflict.table == "hearings" and conflict.later_run is None
    assert conflict.current["title"] == "edited by hand"
    assert conflict.recorded_after["title"] == payloads[5]["title"]
    assert "not by a journaled run" in str(conflict) and caught.value.later_runs == []
    assert rs.exact_snapshot(path, journal=True) == before


def test_a_row_deleted_by_hand_conflicts_with_revert_of_b(make_ab: Callable[..., rs.AB]) -> None:
    ab = make_ab("memory")
    event_id = ab.changed["witnesses"][0]
    rs.execute(
        ab.path,
        "DELETE FROM witness_appearances WHERE appearance_order=1 AND hearing_id="
        "(SELECT hearing_id FROM hearings WHERE event_id=?)",
        (event_id,),
    )
    before = rs.exact_snapshot(ab.path, journal=True)
    with pytest.raises(RevertRefused) as caught:
        do_revert(ab.path, ab.run_b.run_id)
    (conflict,) = caught.value.conflicts
    assert conflict.table == "witness_appearances" and conflict.current is None and conflict.later_run is None
    assert conflict.recorded_after is not None and conflict.recorded_after["position"].endswith("(acting)")
    assert rs.exact_snapshot(ab.path, journal=True) == before


def test_a_later_run_referring_to_a_reverted_row_is_a_conflict(tmp_path: Path, payloads: list[dict[str, Any]]) -> None:
    """Run B adds only a new meeting, whose witness run A created: reverting A would leave B's
    appearance pointing at a deleted witness. Refused, naming B."""
    path = tmp_path / "dangling.db"
    a = [p for p in payloads[: rs.RUN_A] if p["witnesses"]][:5]
    rs.update(path, [])  # the committees first: run A's revert then takes only its meetings' rows
    run_a = rs.update(path, a)
    new = copy.deepcopy(payloads[rs.RUN_A + 100])
    new["witnesses"] = [copy.deepcopy(a[0]["witnesses"][0])]
    run_b = rs.update(path, [new])
    assert run_b.to_dict()["records_added"] == 1
    before = rs.exact_snapshot(path, journal=True)
    with pytest.raises(RevertRefused) as caught:
        do_revert(path, run_a.run_id)
    assert caught.value.later_runs == [run_b.run_id]
    assert [c.table for c in caught.value.conflicts] == ["witness_appearances"]
    assert rs.exact_snapshot(path, journal=True) == before
    assert rs.query(path, "PRAGMA foreign_key_check") == []


def test_revert_of_one_batch_equals_the_run_without_it(
    tmp_path: Path, payloads: list[dict[str, Any]], make_ab: Callable[..., rs.AB]
) -> None:
    ab = make_ab("memory", batch_size=10)
    b_payloads, _ = rs.run_b_payloads(payloads)
    batch = 2
    keys = rs.query(
        ab.path, "SELECT first_key, last_key FROM sqlbatch_batches WHERE run_id=? AND batch_no=?", (ab.run_b.run_id, 2)
    )
    assert keys == [(b_payloads[10]["eventId"], b_payloads[19]["eventId"])]

    result = do_revert(ab.path, ab.run_b.run_id, batch=batch)
    assert result.batch == batch and result.revert_run is not None

    oracle = tmp_path / "oracle.db"  # run A, then run B without that batch's records
    rs.update(oracle, payloads[: rs.RUN_A], batch_size=10)
    rs.update(oracle, b_payloads[:10] + b_payloads[20:], batch_size=10)
    assert rs.natural_snapshot(ab.path, timestamps=False) == rs.natural_snapshot(oracle, timestamps=False)
    assert rs.natural_snapshot(ab.path) != ab.after_a  # the other batches stay


def test_dry_run_reports_and_changes_nothing(make_ab: Callable[..., rs.AB]) -> None:
    ab = make_ab("savepoint")
    before = rs.exact_snapshot(ab.path, journal=True)
    dry = do_revert(ab.path, ab.run_b.run_id, dry_run=True)
    assert dry.dry_run and dry.revert_run is None
    assert rs.exact_snapshot(ab.path, journal=True) == before
    real = do_revert(ab.path, ab.run_b.run_id)
    assert rs.counts_of(dry.to_dict()["tables"]) == rs.counts_of(real.to_dict()["tables"])
    assert dry.rows_restored == real.rows_restored
    assert rs.counts_of(real.to_dict()["tables"]) == rs.net_diff(before, rs.exact_snapshot(ab.path))


def test_unknown_run_and_run_without_changes(make_ab: Callable[..., rs.AB], payloads: list[dict[str, Any]]) -> None:
    ab = make_ab("memory")
    with pytest.raises(RevertError, match="there is no run 99"):
        do_revert(ab.path, 99)
    same = rs.update(ab.path, rs.run_b_payloads(payloads)[0])  # all unchanged: nothing to revert
    assert same.to_dict()["records_unchanged"] == same.to_dict()["records_total"]
    with pytest.raises(RevertError, match="no stored before-images"):
        do_revert(ab.path, same.run_id)


EARLIER_DB = rs.find_earlier_db()


@pytest.mark.skipif(EARLIER_DB is None, reason="the real earlier database is not available")
def test_revert_of_the_daily_update_of_the_real_earlier_database(
    tmp_path: Path, payloads: list[dict[str, Any]]
) -> None:
    path = tmp_path / "earlier.db"
    assert EARLIER_DB is not None
    path.write_bytes(EARLIER_DB.read_bytes())
    conn = sqlbatch.connect(path)
    try:
        prepare_database(conn)  # only adds indexes: the state the update starts from
    finally:
        conn.close()
    start, exact = rs.natural_snapshot(path), rs.exact_snapshot(path)
    run = rs.update(path, payloads)
    assert run.metrics.records_added == 141 and run.metrics.records_updated > 0
    do_revert(path, run.run_id)
    assert rs.natural_snapshot(path) == start
    assert rs.exact_snapshot(path) == exact


@pytest.mark.parametrize("strategy", rs.STRATEGIES)
def test_a_hand_edit_of_another_column_is_never_overwritten(make_ab: Callable[..., rs.AB], strategy: str) -> None:
    """Run B changed a hearing's title; by hand its location changes too. The revert either
    refuses (memory/savepoint record whole rows) or restores the title and keeps the hand edit
    (a session changeset records only the changed columns): never a silent overwrite."""
    ab = make_ab(strategy)
    event_id = ab.changed["status"][0]
    rs.execute(ab.path, "UPDATE hearings SET location='by hand' WHERE event_id=?", (event_id,))
    try:
        do_revert(ab.path, ab.run_b.run_id)
    except RevertRefused as refused:
        assert strategy != "session" and [c.later_run for c in refused.conflicts] == [None]
        assert rs.query(ab.path, "SELECT status FROM hearings WHERE event_id=?", (event_id,)) == [("Canceled",)]
    else:
        assert strategy == "session"
        assert rs.query(ab.path, "SELECT status, location FROM hearings WHERE event_id=?", (event_id,)) == [
            ("Scheduled", "by hand")
        ]
    assert rs.query(ab.path, "SELECT location FROM hearings WHERE event_id=?", (event_id,)) == [("by hand",)]


def test_runs_reverted_in_reverse_order_leave_the_new_database_empty(make_ab: Callable[..., rs.AB]) -> None:
    ab = make_ab("memory")
    do_revert(ab.path, ab.run_b.run_id)
    do_revert(ab.path, ab.run_a.run_id)
    empty = {t: rows for t, rows in rs.natural_snapshot(ab.path).items() if rows}
    assert list(empty) == []  # no meeting left, nor the committees run A's first unit of work seeded
    assert rs.query(ab.path, "PRAGMA foreign_key_check") == []
