"""A detail response is the whole record: removals are journaled and revertable, a blanking
update is quarantined with its rule, placeholders still store, text is repaired (issue 11)."""

from __future__ import annotations

import copy
import shutil
from pathlib import Path
from typing import Any

import pytest

import sqlbatch
from adapters.hearings.sources import read_path
from adapters.hearings.store import read_meeting_state
from sqlbatch import revert
from tests.support.data import records_of, write_ndjson
from tests.support.db import STRATEGIES, query, reopen
from tests.support.hearings import update
from tests.support.live_shape import DOCUMENTED, VIDEO_URL, full_payload


def _state(path: Path, event_id: str) -> dict[str, Any] | None:
    conn = reopen(path)
    try:
        return read_meeting_state(conn, event_id)
    finally:
        conn.close()


@pytest.fixture(params=["new", "earlier"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    if request.param == "new":
        return tmp_path / "new.db"
    shutil.copyfile(request.getfixturevalue("earlier_db_source"), tmp_path / "earlier.db")
    return tmp_path / "earlier.db"


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_removed_children_are_removed_journaled_and_revertable(db: Path, strategy: str) -> None:
    full = full_payload()
    assert update(db, records_of([full]), strategy=strategy).metrics.records_added == 1
    before = _state(db, full["eventId"])
    assert before is not None and len(before["witnesses"]) == 3 and before["treaties"]

    removed = copy.deepcopy(full)
    del removed["witnesses"][2]  # John Williams leaves; his statement goes with him
    removed["witnessDocuments"] = [d for d in removed["witnessDocuments"] if "WilliamsJ" not in d["url"]]
    removed["meetingDocuments"] = removed["meetingDocuments"][:1]
    removed["relatedItems"] = {"bills": removed["relatedItems"]["bills"][:1]}  # treaties, nominations: left out
    for element in ("location", "videos", "continuations", "hearingTranscript"):
        del removed[element]  # the API leaves empty elements out
    second = update(db, records_of([removed]), strategy=strategy)

    assert second.quarantined == [] and second.metrics.records_updated == 1
    after = _state(db, full["eventId"])
    assert after is not None
    assert [w["full_name"] for w in after["witnesses"]] == ["Bryan Newland", "Marcellus Osceola"]
    assert [d[1] for d in after["supporting_documents"]] == ["Hearing Notice"]
    assert [b[2] for b in after["bills"]] == [1532]
    assert (after["treaties"], after["nominations"], after["continuations"], after["transcripts"]) == ([], [], [], [])
    assert (after["hearing"]["location"], after["hearing"]["jacket_number"]) == (None, None)
    assert query(db, "SELECT count(*) FROM witnesses WHERE full_name = 'John Williams'") == [(0,)]
    assert query(db, "SELECT count(*) FROM bills") == [(2,)]  # a bill is a fact about Congress: it stays
    conn = sqlbatch.connect(db)
    try:
        result = revert(conn, second.run_id, strategy=strategy)
    finally:
        conn.close()
    # the removals were journaled like any change: the revert restores each table's rows
    restored = {"witness_appearances", "witness_documents", "witnesses", "supporting_documents", "hearing_bills",
                "hearing_treaties", "hearing_nominations", "hearing_continuations", "hearing_transcripts"}  # fmt: skip
    assert restored <= set(result.tables) and result.rows_restored > 0
    assert _state(db, full["eventId"]) == before
    assert query(db, "PRAGMA foreign_key_check") == []


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_blanking_update_is_quarantined_with_its_rule_and_placeholders_store(db: Path, strategy: str) -> None:
    stored = [full_payload(str(event_id), "Hearing") for event_id in (115601, 115602, 115603, 115604)]
    assert update(db, records_of(stored), strategy=strategy).metrics.records_added == 4
    before = {p["eventId"]: _state(db, p["eventId"]) for p in stored}
    no_title, no_date, neither, good = (copy.deepcopy(p) for p in stored)
    del no_title["title"]  # a dated meeting without a title
    del no_date["date"]
    del neither["title"], neither["date"]  # would be a placeholder, but replaces a stored title and date
    good["meetingStatus"] = "Postponed"
    placeholder = {k: v for k, v in copy.deepcopy(DOCUMENTED).items() if k not in ("title", "date")}
    placeholder["eventId"] = "115699"

    result = update(db, records_of([no_title, no_date, neither, good, placeholder]), strategy=strategy)

    assert {(q.record_key, q.rule, q.field) for q in result.quarantined} == {
        ("115601", "title_present", "title"), ("115602", "date_kept", "date"), ("115603", "title_kept", "title"),
    }  # fmt: skip
    for p in (no_title, no_date, neither):
        assert _state(db, p["eventId"]) == before[p["eventId"]]  # nothing blanked, nothing written
    assert _state(db, "115604")["hearing"]["status"] == "Postponed"  # type: ignore[index]
    stub = _state(db, "115699")
    assert stub is not None and (stub["hearing"]["title"], stub["hearing"]["hearing_date"]) == ("", None)
    assert len(stub["witnesses"]) == 3  # the placeholder keeps everything else it carries
    warned = {(w.record, w.rule) for w in result.warnings}
    assert {("115699", "title_present"), ("115699", "date_present")} <= warned
    assert result.metrics.records_added == 1 and result.metrics.records_updated == 1


def test_nameless_witness_dropped_and_windows_1252_repaired_through_a_file(tmp_path: Path) -> None:
    nameless = full_payload("115701", "Hearing")
    nameless["witnesses"].append({"position": "Chief", "organization": "Some Tribe"})  # no name: "may include"
    quoted = full_payload("115702", "Hearing")
    quoted["title"] = "The Nation\x92s Water \x96 a hearing"
    quoted["witnesses"][0]["organization"] = "Bureau of Indian Affairs\x92"
    bell = {**full_payload("115703", "Hearing"), "title": "Ring \x07 the bell"}
    undefined = {**full_payload("115704", "Hearing"), "title": "Windows-1252 leaves \x81 undefined"}
    path = write_ndjson(tmp_path / "m.ndjson", [{"committeeMeeting": p} for p in (nameless, quoted, bell, undefined)])

    result = update(tmp_path / "t.db", list(read_path(path)))

    assert {(q.record_key, q.rule, q.field) for q in result.quarantined} == {
        ("115703", "no_control_chars", "title"), ("115704", "no_control_chars", "title"),
    }  # fmt: skip
    assert [w["full_name"] for w in _state(tmp_path / "t.db", "115701")["witnesses"]] == [  # type: ignore[index]
        "Bryan Newland", "Marcellus Osceola", "John Williams",
    ]  # fmt: skip
    repaired = _state(tmp_path / "t.db", "115702")
    assert repaired is not None and repaired["hearing"]["title"] == "The Nation\u2019s Water \u2013 a hearing"
    assert repaired["witnesses"][0]["organization"] == "Bureau of Indian Affairs\u2019"
    warned = {(w.record, w.rule, w.field) for w in result.warnings}
    assert ("115701", "witness_name_present", "witnesses[3].name") in warned
    assert {("115702", "text_repaired", "title"), ("115702", "text_repaired", "witnesses[0].organization")} <= warned
    message = next(w.message for w in result.warnings if w.field == "title")
    assert "U+0092, U+0096" in message


def _with_video_columns(source: Path, target: Path) -> Path:
    """The earlier database as its later schema has it (migration 001 and the video_type column)."""
    shutil.copyfile(source, target)
    conn = sqlbatch.connect(target)
    try:
        for column in ("video_url", "youtube_video_id", "video_type"):
            conn.raw.execute(f"ALTER TABLE hearings ADD COLUMN {column} TEXT")
    finally:
        conn.close()
    return target


@pytest.mark.parametrize("variant", ["video_columns", "no_video_columns"])
def test_videos_fill_the_later_columns_where_they_exist(tmp_path: Path, earlier_db_source: Path, variant: str) -> None:
    if variant == "video_columns":
        path = _with_video_columns(earlier_db_source, tmp_path / "later.db")
    else:
        path = tmp_path / "earlier.db"
        shutil.copyfile(earlier_db_source, path)
    full = full_payload()
    full["videos"].append({"name": "Second part", "url": "https://www.senate.gov/isvp/?comm=x&filename=y"})
    assert update(path, records_of([full])).metrics.records_added == 1
    state = _state(path, full["eventId"])
    assert state is not None
    videos = [(d[1], d[3]) for d in state["supporting_documents"] if d[0] == "Video"]
    if variant == "video_columns":
        hearing = state["hearing"]
        assert (hearing["video_url"], hearing["youtube_video_id"], hearing["video_type"]) == (
            VIDEO_URL, "yv8VUIRAm7k", "youtube",
        )  # fmt: skip
        assert videos == [("Second part", full["videos"][1]["url"])]  # the one the columns cannot hold
    else:
        assert "video_url" not in state["hearing"]
        assert [url for _, url in videos] == [VIDEO_URL, full["videos"][1]["url"]]
    without = {k: v for k, v in full.items() if k != "videos"}
    assert update(path, records_of([without])).metrics.records_updated == 1
    state = _state(path, full["eventId"])
    assert state is not None and not [d for d in state["supporting_documents"] if d[0] == "Video"]
    if variant == "video_columns":
        assert (state["hearing"]["video_url"], state["hearing"]["video_type"]) == (None, None)
