"""Updates of real meetings land correctly: status, title, location, witnesses, committees.

A base database holds real meetings; changed payloads are run through ``run_update`` and the
rows are read back through a new connection after the run's connection is closed.
"""

from __future__ import annotations

import copy
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import apsw
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.hearings.mapping import clean_name, witness_key
from adapters.hearings.store import read_meeting_state
from tests.support.data import records_of
from tests.support.db import STRATEGIES, query, reopen
from tests.support.hearings import update

SENTINEL = "2000-01-01 00:00:00"
NEW_WITNESS = {"name": "Dr. Jane Q. Newperson", "position": "Director", "organization": "Example Institute"}
ROOM = {"room": "2154", "building": "Rayburn House Office Building"}


def _distinct_witnesses(payload: dict[str, Any]) -> int:
    return len({witness_key(w["name"], w.get("organization")) for w in payload["witnesses"]})


@pytest.fixture(scope="module")
def chosen(real_payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """24 real meetings with a title, a date, one committee and at least three distinct witnesses."""
    found = [
        p
        for p in real_payloads
        if p["title"] and p["date"] and len(p["committees"]) == 1 and _distinct_witnesses(p) >= 3
    ]
    assert len(found) >= 24
    return copy.deepcopy(found[:24])


@pytest.fixture(scope="module")
def other_committee(real_payloads: list[dict[str, Any]], chosen: list[dict[str, Any]]) -> str:
    """A real committee code none of the chosen meetings uses."""
    used = {c["systemCode"] for p in chosen for c in p["committees"]}
    return next(c["systemCode"] for p in real_payloads for c in p["committees"] if c["systemCode"] not in used)


@pytest.fixture(scope="module")
def base_db(tmp_path_factory: pytest.TempPathFactory, chosen: list[dict[str, Any]]) -> Path:
    """A new database holding the chosen meetings, every ``updated_at`` set to a sentinel."""
    path = tmp_path_factory.mktemp("base") / "base.db"
    result = update(path, records_of(chosen))
    assert result.metrics.records_added == len(chosen)
    conn = apsw.Connection(str(path))
    conn.execute("UPDATE hearings SET updated_at = ?", (SENTINEL,))
    conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    conn.close()
    return path


def _copy(base: Path, target: Path) -> Path:
    shutil.copyfile(base, target)
    return target


def _state(path: Path, event_id: str) -> dict[str, Any]:
    conn = reopen(path)
    try:
        state = read_meeting_state(conn, event_id)
    finally:
        conn.close()
    assert state is not None
    return state


def _comparable(state: dict[str, Any]) -> dict[str, Any]:
    """A meeting's state without ids, wall-clock columns and the (gap-tolerant) appearance numbers."""
    hearing = {k: v for k, v in state["hearing"].items() if k not in ("hearing_id", "created_at", "updated_at")}
    witnesses = [{k: v for k, v in w.items() if k != "appearance_order"} for w in state["witnesses"]]
    return {**state, "hearing": hearing, "witnesses": witnesses}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_status_title_location_witnesses_and_committees_land(
    tmp_path: Path, base_db: Path, chosen: list[dict[str, Any]], other_committee: str, strategy: str
) -> None:
    path = _copy(base_db, tmp_path / "h.db")
    payloads = copy.deepcopy(chosen)
    first, second = payloads[0], payloads[1]
    dropped = first["witnesses"][0]
    first.update(
        meetingStatus="Canceled",
        title="Oversight of the Example Program (changed)",
        location=ROOM,
        witnesses=[*first["witnesses"][1:], NEW_WITNESS],
        committees=[{"systemCode": other_committee, "name": "another committee"}],
    )
    second.update(meetingStatus="Postponed", location={"address": "1 Main Street, Springfield, IL"})
    before_second = _state(path, second["eventId"])

    result = update(path, records_of(payloads), strategy=strategy)

    m = result.metrics
    assert (result.status, m.records_added, m.records_updated, m.records_unchanged) == (
        "completed",
        0,
        2,
        len(payloads) - 2,
    )
    state = _state(path, first["eventId"])
    h = state["hearing"]
    assert (h["status"], h["title"], h["location"]) == (
        "Canceled",
        "Oversight of the Example Program (changed)",
        "Room 2154, Rayburn House Office Building",
    )
    assert state["committees"] == [(other_committee, 1)]
    names = [w["full_name"] for w in state["witnesses"]]
    assert names[-1] == "Jane Q. Newperson" and len(names) == _distinct_witnesses(first)
    dropped_key = witness_key(dropped["name"], dropped.get("organization"))
    assert clean_name(dropped["name"]) not in names
    # the dropped witness row goes with its last appearance (kept if another meeting lists it)
    elsewhere = any(
        witness_key(w["name"], w.get("organization")) == dropped_key for p in payloads[1:] for w in p["witnesses"]
    )
    kept = query(path, "SELECT count(*) FROM witnesses WHERE full_name = ?", (clean_name(dropped["name"]),))
    assert kept == [(int(elsewhere),)]
    appearances = query(
        path,
        "SELECT count(*) FROM witness_appearances a JOIN witnesses w USING (witness_id)"
        " JOIN hearings h USING (hearing_id) WHERE h.event_id = ?",
        (first["eventId"],),
    )
    assert appearances == [(len(names),)]
    assert query(path, "PRAGMA foreign_key_check") == []
    # the second meeting: only status and location changed
    after_second = _state(path, second["eventId"])
    assert after_second["hearing"]["location"] == "1 Main Street, Springfield, IL"
    assert after_second["hearing"]["status"] == "Postponed"
    assert after_second["witnesses"] == before_second["witnesses"]
    assert after_second["committees"] == before_second["committees"]
    # updated_at moved for exactly the two changed meetings
    bumped = {e for (e,) in query(path, "SELECT event_id FROM hearings WHERE updated_at IS NOT ?", (SENTINEL,))}
    assert bumped == {first["eventId"], second["eventId"]}

    again = update(path, records_of(payloads), strategy=strategy)
    assert again.metrics.records_unchanged == len(payloads)


# what a payload that lacks a field means: the API leaves empty elements out, so a detail is the
# whole record; NOT NULL columns the payload lacks keep their value; a title or date that would
# become nothing is refused (the meeting is quarantined, nothing written)
LACKS = ("title", "date", "committees", "meetingStatus", "type", "chamber", "location", "witnesses")


def _refusal(missing: tuple[str, ...]) -> str | None:
    """The rule that refuses a payload lacking these fields, in the order they are checked."""
    if "title" in missing and "date" not in missing:
        return "title_present"  # a dated meeting without a title
    if "committees" in missing:
        return "committee_present"
    if "title" in missing:
        return "title_kept"  # neither title nor date is a placeholder, but this one has a stored title
    return "date_kept" if "date" in missing else None


@pytest.mark.parametrize("missing", [LACKS, ("title", "date"), *((f,) for f in LACKS)])
def test_a_field_the_payload_lacks_is_none_now_or_kept_or_refused(
    tmp_path: Path, base_db: Path, chosen: list[dict[str, Any]], missing: tuple[str, ...]
) -> None:
    path = _copy(base_db, tmp_path / "h.db")
    full = {**chosen[2], "location": ROOM}
    assert update(path, records_of([full])).metrics.records_updated == 1
    before = _state(path, full["eventId"])
    partial = {k: v for k, v in full.items() if k not in missing}

    result = update(path, records_of([partial]))

    after = _state(path, full["eventId"])
    refused = _refusal(missing)
    if refused:
        assert [(q.record_key, q.rule) for q in result.quarantined] == [(full["eventId"], refused)]
        assert after == before  # updated_at included: nothing was written
        return
    assert result.quarantined == []
    if set(missing) <= {"meetingStatus", "type", "chamber"}:
        assert result.metrics.records_unchanged == 1 and after == before
        return
    assert result.metrics.records_updated == 1
    assert after["hearing"]["location"] == (None if "location" in missing else before["hearing"]["location"])
    assert after["witnesses"] == ([] if "witnesses" in missing else before["witnesses"])
    for column in ("status", "hearing_type", "chamber", "title", "hearing_date"):
        assert after["hearing"][column] == before["hearing"][column]


# -- property: an update of the stored meetings == a fresh import of what the payloads say ------

EDITS = ("status", "title", "location", "drop_witness", "add_witness", "committee", "lacks_location", "lacks_status",
         "lacks_witnesses")  # fmt: skip
KEPT_WHEN_ABSENT = ("congress", "chamber", "type", "meetingStatus", "updateDate")


def _apply_edit(payload: dict[str, Any], edit: str, other_committee: str) -> None:
    if edit == "status":
        payload["meetingStatus"] = "Rescheduled"
    elif edit == "title":
        payload["title"] = payload.get("title", "") + " (revised)"
    elif edit == "location":
        payload["location"] = ROOM
    elif edit == "drop_witness" and payload.get("witnesses"):
        payload["witnesses"] = payload["witnesses"][1:]
    elif edit == "add_witness":
        payload["witnesses"] = [*payload.get("witnesses", []), NEW_WITNESS]
    elif edit == "committee":
        payload["committees"] = [*payload.get("committees", []), {"systemCode": other_committee, "name": "x"}]
    elif edit == "lacks_location":
        payload.pop("location", None)
    elif edit == "lacks_status":
        payload.pop("meetingStatus", None)
    elif edit == "lacks_witnesses":
        payload.pop("witnesses", None)


def _effective(original: dict[str, Any], changed: dict[str, Any]) -> dict[str, Any]:
    """What the database should hold: the changed payload (the whole record), the NOT NULL
    fields it lacks taken from the original."""
    return {**{k: original[k] for k in KEPT_WHEN_ABSENT if k in original}, **changed}


def _states(path: Path, event_ids: list[str]) -> Iterator[dict[str, Any]]:
    for event_id in event_ids:
        yield _comparable(_state(path, event_id))


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    edits=st.dictionaries(st.integers(0, 23), st.lists(st.sampled_from(EDITS), min_size=1, max_size=4), max_size=6),
    strategy=st.sampled_from(STRATEGIES),
    batch_size=st.sampled_from([1, 5, 50]),
)
def test_update_equals_fresh_import_of_the_effective_payloads(
    tmp_path_factory: pytest.TempPathFactory,
    base_db: Path,
    chosen: list[dict[str, Any]],
    other_committee: str,
    edits: dict[int, list[str]],
    strategy: str,
    batch_size: int,
) -> None:
    work = tmp_path_factory.mktemp("prop")
    path = _copy(base_db, work / "updated.db")
    changed = copy.deepcopy(chosen)
    for index, steps in edits.items():
        for edit in steps:
            _apply_edit(changed[index], edit, other_committee)
    event_ids = [p["eventId"] for p in chosen]
    base_states = list(_states(base_db, event_ids))

    result = update(path, records_of(changed), strategy=strategy, batch_size=batch_size)

    fresh = work / "fresh.db"
    update(fresh, records_of([_effective(o, c) for o, c in zip(chosen, changed, strict=True)]))
    updated_states = list(_states(path, event_ids))
    assert updated_states == list(_states(fresh, event_ids))
    differs = sum(1 for a, b in zip(base_states, updated_states, strict=True) if a != b)
    m = result.metrics
    assert (result.quarantined, m.records_added, m.records_updated) == ([], 0, differs)
    assert m.records_unchanged == len(chosen) - differs
    bumped = query(path, "SELECT count(*) FROM hearings WHERE updated_at IS NOT ?", (SENTINEL,))
    assert bumped == [(differs,)]
    assert query(path, "PRAGMA foreign_key_check") == []
