"""Committee meetings as the live API sends them land in their tables (issue 11).

The payloads follow the documented detail response (LibraryOfCongress/api.congress.gov,
``Documentation/openapi.json``, ``GET /committee-meeting/118/house/115538``, quoted below),
with the elements the documentation lists beyond that example (``continuations``,
``treaties``, ``nominations``, a video, a transcript), and with empty elements left out as
the ChangeLog says the API does. They go through the fake API (in process) and through
files (NDJSON, directory), into a new database and into a copy of the earlier one, with
every rollback strategy.
"""

from __future__ import annotations

import copy
import json
import shutil
from pathlib import Path
from typing import Any

import pytest

from adapters.hearings.sources import CongressClient, RawRecord, read_path
from adapters.hearings.store import read_meeting_state
from tests.support.data import write_ndjson
from tests.support.db import STRATEGIES, reopen
from tests.support.hearings import update
from tests.support.http_api import IN_PROCESS_URL, FakeCongressApi
from tests.support.live_shape import DOCS, DOCUMENTED, VIDEO_URL, full_payload, lean_documented

KEY = "test-key-123"
# -- the three sources ----------------------------------------------------------------------


def _from_http(payloads: list[dict[str, Any]], tmp: Path) -> list[RawRecord]:
    api = FakeCongressApi(payloads, key=KEY)
    with CongressClient(KEY, IN_PROCESS_URL, transport=api.transport(), sleep=lambda s: None) as client:
        return list(client.iter_meetings(118))


def _from_ndjson(payloads: list[dict[str, Any]], tmp: Path) -> list[RawRecord]:
    return list(read_path(write_ndjson(tmp / "meetings.ndjson", [{"committeeMeeting": p} for p in payloads])))


def _from_directory(payloads: list[dict[str, Any]], tmp: Path) -> list[RawRecord]:
    folder = tmp / "responses"
    folder.mkdir()
    for p in payloads:
        body = {"committeeMeeting": p, "request": {"congress": "118", "chamber": "house", "format": "json"}}
        (folder / f"{p['eventId']}.json").write_text(json.dumps(body), encoding="utf-8")
    return list(read_path(folder))


SOURCES = {"http": _from_http, "ndjson": _from_ndjson, "directory": _from_directory}


@pytest.fixture(params=["new", "earlier"])
def db(request: pytest.FixtureRequest, tmp_path: Path) -> Path:
    """A path to a new database file, or to a copy of the real earlier database."""
    if request.param == "new":
        return tmp_path / "new.db"
    source = request.getfixturevalue("earlier_db_source")
    shutil.copyfile(source, tmp_path / "earlier.db")
    return tmp_path / "earlier.db"


def _state(path: Path, event_id: str) -> dict[str, Any]:
    conn = reopen(path)
    try:
        state = read_meeting_state(conn, event_id)
    finally:
        conn.close()
    assert state is not None, event_id
    return state


def _witness_rows(state: dict[str, Any]) -> list[tuple[Any, ...]]:
    return [
        (w["full_name"], w["organization"], w["position"], w["witness_type"], w["appearance_order"],
         [(d[0], d[2].rsplit("-", 2)[-2]) for d in w["documents"]])
        for w in state["witnesses"]
    ]  # fmt: skip


EXPECTED_WITNESSES = [
    ("Bryan Newland", "Bureau of Indian Affairs", "Assistant Secretary", "Government", 1, [("Statement", "NewlandB")]),
    ("Marcellus Osceola", "Seminole Tribe of Florida", "Chairman", "Government", 2, [("Statement", "OsceolaM")]),
    ("John Williams", "United Auburn Rancheria", "Vice Chairman", None, 3, [("Statement", "WilliamsJ")]),
]
BILLS = [
    (118, "HR", 1532, "https://api.congress.gov/v3/bill/118/hr/1532?format=json"),
    (118, "HR", 1246, "https://api.congress.gov/v3/bill/118/hr/1246?format=json"),
]
MEETING_DOCUMENTS = [
    ("Support Document", "Hearing Notice", None, f"{DOCS}/documents/HHRG-118-II24-20230324-SD001.pdf", "PDF"),
    ("Bills and Resolutions", DOCUMENTED["meetingDocuments"][1]["name"], None,
     f"{DOCS}/documents/BILLS-118HR1532ih.pdf", "PDF"),
    ("Support Document", "Hearing Memo", None, f"{DOCS}/documents/HHRG-118-II24-20230324-SD002.pdf", "PDF"),
]  # fmt: skip


def _own(state: dict[str, Any]) -> dict[str, Any]:
    """A meeting's state without the columns that differ between two meetings of equal content."""
    skip = ("hearing_id", "event_id", "url", "created_at", "updated_at")
    return {**state, "hearing": {k: v for k, v in state["hearing"].items() if k not in skip}}


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("source", sorted(SOURCES))
def test_every_documented_field_lands_in_its_table(tmp_path: Path, db: Path, source: str, strategy: str) -> None:
    payloads = [copy.deepcopy(DOCUMENTED), lean_documented(), full_payload()]
    records = SOURCES[source](payloads, tmp_path)

    result = update(db, records, strategy=strategy)

    assert result.quarantined == [] and result.metrics.records_added == 3
    documented, lean, full = (_state(db, p["eventId"]) for p in payloads)
    hearing = documented["hearing"]
    assert {k: hearing[k] for k in ("congress", "chamber", "title", "hearing_type", "status", "location")} == {
        "congress": 118, "chamber": "House", "title": DOCUMENTED["title"], "hearing_type": "Hearing",
        "status": "Scheduled", "location": "Room 1324, Longworth House Office Building",
    }  # fmt: skip
    assert (hearing["hearing_date"], hearing["hearing_date_only"], hearing["hearing_time"]) == (
        "2024-12-02", "2024-12-02", "04:44:57",
    )  # fmt: skip  # UTC, as the API gives it
    assert (hearing["update_date"], hearing["jacket_number"]) == ("2024-12-02 04:44:57", None)
    assert hearing["url"] == "https://api.congress.gov/v3/committee-meeting/118/house/115538?format=json"
    assert documented["committees"] == [("hsii24", 1)]
    assert _witness_rows(documented) == EXPECTED_WITNESSES
    assert documented["supporting_documents"] == MEETING_DOCUMENTS
    assert documented["bills"] == [(*bill, "related") for bill in BILLS]
    assert (documented["transcripts"], documented["treaties"], documented["nominations"]) == ([], [], [])
    # empty elements left out: the same rows
    assert _own(lean) == _own(documented)
    # every element present: a multi-day markup with a transcript, a video, a treaty, a nomination
    assert full["hearing"]["hearing_type"] == "Markup" and full["hearing"]["jacket_number"] == "51234"
    assert full["transcripts"] == [("51234", "https://api.congress.gov/v3/hearing/118/house/51234")]
    assert full["bills"] == [(*bill, "markup") for bill in BILLS]
    assert full["treaties"] == [(118, "3", "A", "https://api.congress.gov/v3/treaty/118/3")]
    assert full["nominations"] == [(118, "2439", "00", "https://api.congress.gov/v3/nomination/118/2439")]
    assert full["continuations"] == [("2025-03-05", "14:30:00"), ("2025-03-06", None)]
    assert full["supporting_documents"][-1] == ("Video", DOCUMENTED_VIDEO_NAME, None, VIDEO_URL, None)
    # one bills row per congress/type/number, shared by the meetings that name it
    bills = [tuple(r) for r in reopen(db).execute("SELECT congress, bill_type, bill_number, url FROM bills")]
    assert sorted(bills) == sorted(BILLS)
    assert update(db, records, strategy=strategy).metrics.records_unchanged == 3  # idempotent


DOCUMENTED_VIDEO_NAME = "Securing Our Communities: Federal Support to High-Risk Urban Areas"
