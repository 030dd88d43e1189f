"""Payload models and the pure mapping to rows."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.hearings import mapping
from adapters.hearings.ddl import WITNESS_DOCUMENT_TYPES
from adapters.hearings.mapping import (
    clean_name,
    location_text,
    meeting_rows,
    split_name,
    supporting_source,
    witness_document_type,
    witness_key,
)
from adapters.hearings.models import Location, RecordInvalid, parse_meeting

BASE: dict[str, Any] = {
    "eventId": "118296",
    "updateDate": "2025-05-20T17:03:11Z",
    "congress": 119,
    "chamber": "House",
    "type": "Hearing",
    "title": "Markup",
    "meetingStatus": "Scheduled",
    "date": "2025-05-21T14:00:00Z",
    "committees": [
        {"systemCode": "hsgo00", "name": "Oversight", "url": "https://api.congress.gov/v3/committee/house/hsgo00"},
        {"systemCode": "hsgo12", "name": "Cybersecurity Subcommittee"},
    ],
    "location": {"room": "2154", "building": "Rayburn House Office Building"},
    "witnesses": [],
    "witnessDocuments": [],
    "meetingDocuments": [],
    "hearingTranscript": [],
    "videos": [],
}


def rows_of(**changes: Any) -> Any:
    return meeting_rows(parse_meeting({**BASE, **changes}))


# -- models --------------------------------------------------------------------------------


def test_every_real_meeting_parses_and_maps(real_payloads: list[dict[str, Any]]) -> None:
    assert len(real_payloads) == 1168
    for payload in real_payloads:
        rows = meeting_rows(parse_meeting(payload))
        assert rows.event_id == payload["eventId"]
        assert rows.committees and rows.witnesses is not None


def test_event_id_accepts_int_and_is_text() -> None:
    assert parse_meeting({**BASE, "eventId": 117773}).event_id == "117773"
    with pytest.raises(RecordInvalid) as caught:
        parse_meeting({**BASE, "eventId": True})
    assert (caught.value.field, caught.value.rule) == ("eventId", "type")


@pytest.mark.parametrize("payload", [None, [], "text", 5])
def test_non_object_payload(payload: object) -> None:
    with pytest.raises(RecordInvalid) as caught:
        parse_meeting(payload)
    assert (caught.value.field, caught.value.rule) == ("(record)", "type")


def test_missing_event_id_is_required() -> None:
    payload = {k: v for k, v in BASE.items() if k != "eventId"}
    with pytest.raises(RecordInvalid) as caught:
        parse_meeting(payload)
    assert str(caught.value) == "field 'eventId': rule 'required': the field is required"


def test_wrong_types_name_the_first_failing_path() -> None:
    witnesses = [{"name": "A B"}, {"name": "C D"}, {"name": 7}]
    with pytest.raises(RecordInvalid) as caught:
        parse_meeting({**BASE, "witnesses": witnesses})
    error = caught.value
    assert (error.field, error.rule, error.key) == ("witnesses[2].name", "type", "118296")
    assert str(error).startswith("eventId 118296: field 'witnesses[2].name': rule 'type': 7: ")
    for field, value, path in [
        ("title", 5, "title"),
        ("congress", "one hundred", "congress"),
        ("congress", 119.5, "congress"),
        ("committees", "hsgo00", "committees"),
        ("committees", [{"name": "no code"}], "committees[0].systemCode"),
        ("location", 12, "location"),
        ("hearingTranscript", [{"jacketNumber": [1]}], "hearingTranscript[0].jacketNumber"),
    ]:
        with pytest.raises(RecordInvalid) as caught:
            parse_meeting({**BASE, field: value})
        assert caught.value.field == path, (field, value)
        assert caught.value.rule in {"type", "required"}


def test_extra_fields_are_ignored_and_absent_is_not_null() -> None:
    meeting = parse_meeting({"eventId": "1", "relatedItems": {"bills": []}, "location": None, "unknown": 1})
    assert meeting.has("location") and meeting.location is None
    assert not meeting.has("title") and not meeting.has("witnesses")
    assert meeting.congress is None and "unknown" not in meeting.model_dump(by_alias=True)
    assert meeting.related_items is not None and meeting.related_items.bills == []


def test_null_lists_are_present_and_empty() -> None:
    meeting = parse_meeting({**BASE, "witnesses": None})
    assert meeting.has("witnesses") and meeting.witnesses == []


# -- hearing columns -----------------------------------------------------------------------


def test_hearing_columns_follow_the_earlier_database() -> None:
    hearing = rows_of().hearing
    assert hearing == {
        "event_id": "118296",
        "congress": 119,
        "chamber": "House",
        "title": "Markup",
        "hearing_type": "Hearing",
        "status": "Scheduled",
        "hearing_date": "2025-05-21",
        "hearing_date_only": "2025-05-21",
        "hearing_time": "14:00:00",
        "location": "Room 2154, Rayburn House Office Building",
        "jacket_number": None,
        "update_date": "2025-05-20 17:03:11",
        "url": "https://api.congress.gov/v3/committee-meeting/119/house/118296?format=json",
    }


def test_time_is_kept_and_offsets_become_utc() -> None:
    hearing = rows_of(date="2025-05-21T22:30:00-04:00").hearing
    assert (hearing["hearing_date"], hearing["hearing_time"]) == ("2025-05-22", "02:30:00")
    hearing = rows_of(date="2025-05-21").hearing
    assert (hearing["hearing_date"], hearing["hearing_time"]) == ("2025-05-21", None)
    hearing = rows_of(date=None, title="").hearing
    assert (hearing["hearing_date"], hearing["hearing_date_only"], hearing["hearing_time"]) == (None, None, None)
    assert hearing["title"] == ""


def test_unparseable_date_in_mapping_is_record_invalid() -> None:
    with pytest.raises(RecordInvalid) as caught:
        rows_of(date="not-a-date")
    assert str(caught.value) == "eventId 118296: field 'date': rule 'date_parses': 'not-a-date' is not an ISO date-time"


def test_url_from_payload_wins_and_is_derived_otherwise() -> None:
    assert rows_of(url="https://example.test/x").hearing["url"] == "https://example.test/x"
    assert rows_of(chamber="Senate").hearing["url"].endswith("/119/senate/118296?format=json")


def test_a_payload_is_the_whole_record_except_the_columns_that_cannot_be_blanked() -> None:
    """The API leaves empty elements out: absent title, date, location, lists mean none now;
    congress, chamber, type, meetingStatus, updateDate (NOT NULL or the cursor) only when present."""
    hearing = meeting_rows(parse_meeting({"eventId": "9", "meetingStatus": "Canceled"})).hearing
    assert hearing == {
        "event_id": "9", "status": "Canceled", "title": "", "hearing_date": None, "hearing_date_only": None,
        "hearing_time": None, "location": None, "jacket_number": None,
    }  # fmt: skip  # no url: congress/chamber absent
    rows = meeting_rows(parse_meeting({"eventId": "9"}))
    assert rows.committees == () and rows.witnesses == () and rows.transcripts == () and rows.bills == ()
    assert rows.supporting == {"witness": (), "meeting": (), "video": ()}


@pytest.mark.parametrize(("location", "text"), [
    ({"room": "2154", "building": "Rayburn House Office Building"}, "Room 2154, Rayburn House Office Building"),
    ({"room": "SD-366", "building": "Dirksen Senate Office Building"}, "Room SD-366, Dirksen Senate Office Building"),
    ({"room": "WEBEX", "building": "----------"}, "WEBEX"),
    ({"room": "216", "building": None}, "Room 216"),
    ({"address": "Boise City Hall, 150 N Capitol Blvd, Boise, ID 83702"},
     "Boise City Hall, 150 N Capitol Blvd, Boise, ID 83702"),
    ({"address": {"city": "Boise", "state": "ID", "postalCode": "83702", "streetAddress": "150 N Capitol Blvd",
                  "building": "Boise City Hall"}},
     "Boise City Hall, 150 N Capitol Blvd, Boise, ID, 83702"),
    ("Field hearing, Boise, Idaho", "Field hearing, Boise, Idaho"),
    ({}, None),
    (None, None),
])  # fmt: skip
def test_location_formats(location: Any, text: str | None) -> None:
    assert rows_of(location=location).hearing["location"] == text


def test_location_text_never_shows_a_dict() -> None:
    text = location_text(Location(room=" 1324 ", building="Longworth  House Office Building"))
    assert text == "Room 1324, Longworth House Office Building"


def test_jacket_number_from_first_transcript() -> None:
    rows = rows_of(
        hearingTranscript=[{"jacketNumber": 58765, "url": "https://api.congress.gov/v3/hearing/119/house/58765"}]
    )
    assert rows.hearing["jacket_number"] == "58765"
    assert [(t.jacket_number, t.document_url) for t in rows.transcripts] == [
        ("58765", "https://api.congress.gov/v3/hearing/119/house/58765")
    ]


# -- committees ----------------------------------------------------------------------------


def test_committees_in_order_all_primary_duplicates_dropped() -> None:
    committees = [*BASE["committees"], {"systemCode": "hsgo00"}]
    links = rows_of(committees=committees).committees
    assert [(c.system_code, c.is_primary, c.index) for c in links] == [("hsgo00", True, 0), ("hsgo12", True, 1)]
    links = meeting_rows(parse_meeting(BASE), first_only_primary=True).committees
    assert [(c.system_code, c.is_primary) for c in links] == [("hsgo00", True), ("hsgo12", False)]


# -- witnesses -----------------------------------------------------------------------------


@pytest.mark.parametrize(("raw", "clean"), [
    ("Mr. Thomas DiNanno", "Thomas DiNanno"),
    ("The Honorable  Jane   Doe", "Jane Doe"),
    ("Hon. Jane Doe", "Jane Doe"),
    ("Dr. Ms. Jane Doe", "Jane Doe"),
    ("Sen. John Smith", "John Smith"),
    ("Rep John Smith", "John Smith"),
    ("MIchael Woody", "Michael Woody"),
    ("JB Pritzker", "JB Pritzker"),
    ("Drew Endy", "Drew Endy"),
    ("Judge Glock, Ph.D.", "Judge Glock, Ph.D."),
    ("General Stephen Purdy, Jr.", "General Stephen Purdy, Jr."),
    ("Mr.", "Mr."),
])  # fmt: skip
def test_clean_name(raw: str, clean: str) -> None:
    assert clean_name(raw) == clean


@pytest.mark.parametrize(("name", "first", "last"), [
    ("Samuel Hammond", "Samuel", "Hammond"),
    ("Edward R. Reese, Jr.", "Edward", "Reese"),
    ("Rear Admiral Upper Half Mark Montgomery", "Mark", "Montgomery"),
    ("Brigadier General Daniel Duncan", "Daniel", "Duncan"),
    ("Judge Glock, Ph.D.", "Judge", "Glock"),
    ('James "Jim" R. Swartz', "James", "Swartz"),
    ("Emily de La Bruyère", "Emily", "de La Bruyère"),
    ("James Smith II", "James", "Smith"),
    ("Cher", None, "Cher"),
])  # fmt: skip
def test_split_name(name: str, first: str | None, last: str) -> None:
    assert split_name(name) == (first, last)


def test_witnesses_deduplicated_by_name_without_honorifics_and_case() -> None:
    witnesses = [
        {"name": "Dr. Jane Doe", "position": "Director", "organization": "Acme  Corp"},
        {"name": "John Roe", "position": "CEO", "organization": None},
        {"name": "jane doe", "position": "Chief", "organization": "ACME Corp"},
        {"name": "Jane Doe", "position": "Member", "organization": "Other Org"},
        {"name": "MIchael Woody", "position": "Board", "organization": "NC Bail Agents"},
    ]
    rows = rows_of(witnesses=witnesses).witnesses
    assert [(w.full_name, w.organization, w.position, w.order) for w in rows] == [
        ("Jane Doe", "Acme  Corp", "Director", 1),
        ("John Roe", None, "CEO", 2),
        ("Jane Doe", "Other Org", "Member", 3),
        ("Michael Woody", "NC Bail Agents", "Board", 4),
    ]
    assert rows[0].key == witness_key("MS. JANE DOE", "acme corp") == "jane doe|acme corp"
    assert (rows[3].first_name, rows[3].last_name, rows[3].raw_name) == ("Michael", "Woody", "MIchael Woody")


def test_real_duplicate_witness_lists_collapse(real_payloads: list[dict[str, Any]]) -> None:
    payload = next(p for p in real_payloads if p["eventId"] == "118379")
    assert len(payload["witnesses"]) == 8
    rows = meeting_rows(parse_meeting(payload)).witnesses
    assert [w.full_name for w in rows] == ["Tim Walz", "Kathy Hochul", "JB Pritzker", "Skye Perryman"]


@pytest.mark.parametrize(("api", "stored"), [
    ("Witness Statement", "Statement"),
    ("Witness Biography", "Biography"),
    ("Witness Truth in Testimony", "Truth Statement"),
    ("Witness Supporting Document", "Supplemental"),
    ("Witness Questions for the Record", "Questions for Record"),
    ("Something new", "Supplemental"),
    (None, "Supplemental"),
])  # fmt: skip
def test_witness_document_types_satisfy_the_check(api: str | None, stored: str) -> None:
    assert witness_document_type(api) == stored
    assert stored in WITNESS_DOCUMENT_TYPES


def test_witness_documents_attach_by_file_name_else_meeting_level() -> None:
    prefix = "https://www.congress.gov/118/meeting/house/115538/witnesses/HHRG-118-II24"
    witnesses = [
        {"name": "Mr. Bryan Newland", "position": "Assistant Secretary", "organization": "Interior"},
        {"name": "Marcellus Osceola", "position": "Chairman", "organization": "Seminole Tribe"},
        {"name": "Mary Osceola", "position": "Member", "organization": "Seminole Tribe"},
    ]
    docs = [
        {"documentType": "Witness Statement", "format": "PDF", "url": f"{prefix}-Wstate-NewlandB-20230324.pdf"},
        {"documentType": "Witness Biography", "format": "PDF", "url": f"{prefix}-Bio-NewlandB-20230324.pdf"},
        {"documentType": "Witness Truth in Testimony", "format": "PDF", "url": f"{prefix}-TTF-OsceolaM-20230324.pdf"},
        {"documentType": "Witness Supporting Document", "format": "PDF", "url": f"{prefix}-SD001.pdf"},
    ]
    rows = rows_of(witnesses=witnesses, witnessDocuments=docs)
    newland, marcellus, mary = rows.witnesses
    assert [(d.document_type, d.title, d.format_type) for d in newland.documents] == [
        ("Statement", "Witness Statement", "PDF"),
        ("Biography", "Witness Biography", "PDF"),
    ]
    assert marcellus.documents == () and mary.documents == ()  # "OsceolaM" names two witnesses
    loose = rows.supporting["witness"]
    assert [(d.document_type, d.document_url.rsplit("-", 2)[-2]) for d in loose] == [
        ("Witness Truth in Testimony", "OsceolaM"),
        ("Witness Supporting Document", "II24"),
    ]
    assert {supporting_source(d.document_type) for d in loose} == {"witness"}


def test_witness_documents_without_witnesses_are_meeting_level() -> None:
    payload = {k: v for k, v in BASE.items() if k != "witnesses"}
    rows = meeting_rows(parse_meeting({**payload, "witnessDocuments": [{"documentType": "Witness Statement"}]}))
    assert rows.witnesses == ()
    assert [d.document_type for d in rows.supporting["witness"]] == ["Witness Statement"]


def test_a_witness_without_a_name_is_left_out() -> None:
    named = {"name": "Dr. Ada Lovelace", "position": "Professor", "organization": "University of London"}
    rows = rows_of(witnesses=[{"position": "Chief", "organization": "Nowhere Inc."}, named, {"name": "  "}])
    assert [(w.full_name, w.order, w.witness_type) for w in rows.witnesses] == [("Ada Lovelace", 1, "Academic")]


# -- documents and videos ------------------------------------------------------------------


def test_meeting_documents_and_videos_become_supporting_documents() -> None:
    rows = rows_of(
        meetingDocuments=[
            {"name": "Hearing Notice", "documentType": "Support Document ", "description": "", "format": "PDF",
             "url": "https://www.congress.gov/118/meeting/house/115538/documents/HHRG-118-II24-20230324-SD001.pdf"},
            {"name": "Roster", "documentType": None, "description": "members", "format": "PDF", "url": "u2"},
        ],
        videos=[{"name": "Full hearing", "url": "https://www.congress.gov/committees/video/x/hsii24/abc"}],
    )  # fmt: skip
    meeting = rows.supporting["meeting"]
    assert [(d.document_type, d.title, d.description, d.format_type) for d in meeting] == [
        ("Support Document", "Hearing Notice", None, "PDF"),
        ("Generic Document", "Roster", "members", "PDF"),
    ]
    video = rows.supporting["video"]
    assert [(d.document_type, d.title, d.document_url) for d in video] == [
        ("Video", "Full hearing", "https://www.congress.gov/committees/video/x/hsii24/abc")
    ]
    assert {supporting_source(d.document_type) for d in meeting} == {"meeting"}
    assert supporting_source("Video") == "video"


@settings(max_examples=300, deadline=None)
@given(st.one_of(st.dates(), st.datetimes(), st.datetimes(timezones=st.just(UTC))))
def test_date_texts_are_strftimes(when: date) -> None:
    """The fast texts of a date and a time are exactly what ``strftime`` wrote, any year."""
    assert mapping._day(when) == when.strftime("%Y-%m-%d")
    if isinstance(when, datetime):
        assert mapping._day_clock(when) == (when.strftime("%Y-%m-%d"), when.strftime("%H:%M:%S"))
