"""Domain rules: each rule on real and edited payloads; the real snapshot passes."""

from __future__ import annotations

import json
import re
from collections import Counter
from datetime import date
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.hearings.models import RecordInvalid, parse_meeting
from adapters.hearings.rules import (
    RuleConfig,
    check_meeting,
    current_congress,
    may_hold_control_chars,
    validate_meeting,
)
from adapters.hearings.sources.timestamps import parse_api_datetime
from sqlbatch import Issue

BASE: dict[str, Any] = {
    "eventId": "117773",
    "updateDate": "2025-05-01T12:00:00Z",
    "congress": 119,
    "chamber": "House",
    "type": "Hearing",
    "title": "A hearing",
    "meetingStatus": "Scheduled",
    "date": "2025-05-21T14:00:00Z",
    "committees": [{"systemCode": "hsif00", "name": "Energy and Commerce Committee"}],
    "witnesses": [{"name": "Jane Doe", "position": "Director", "organization": "Org"}],
}


def issues_of(**changes: Any) -> list[Issue]:
    payload = {**BASE, **changes}
    return check_meeting(parse_meeting(payload), today=date(2025, 10, 1))


def rules_of(**changes: Any) -> set[tuple[str, str, str]]:
    return {(i.field, i.rule, i.severity) for i in issues_of(**changes)}


def test_clean_meeting_has_no_issue() -> None:
    assert issues_of() == []


def test_every_real_meeting_passes_with_only_the_placeholder_warnings(
    real_payloads: list[dict[str, Any]],
) -> None:
    found: Counter[tuple[str, str]] = Counter()
    for payload in real_payloads:
        meeting = parse_meeting(payload)
        warnings = validate_meeting(meeting)  # raises on any error
        assert all(w.severity == "warning" for w in warnings)
        found.update((w.rule, w.field) for w in warnings)
        if warnings:
            assert meeting.title == "" and meeting.date is None
    assert found == {("title_present", "title"): 20, ("date_present", "date"): 20}


@pytest.mark.parametrize("chamber", ["House", "Senate", "NoChamber"])
def test_allowed_chambers(chamber: str) -> None:
    assert rules_of(chamber=chamber) == set()


@pytest.mark.parametrize("chamber", ["Joint", "house", "", None])
def test_other_chambers_are_errors(chamber: str | None) -> None:
    assert rules_of(chamber=chamber) == {("chamber", "chamber_valid", "error")}


@pytest.mark.parametrize(("field", "good", "bad", "rule"), [
    ("type", ["Hearing", "Meeting", "Markup"], "Roundtable", "type_valid"),
    ("meetingStatus", ["Scheduled", "Canceled", "Postponed", "Rescheduled"], "Cancelled", "status_valid"),
])  # fmt: skip
def test_enumerated_fields(field: str, good: list[str], bad: str, rule: str) -> None:
    for value in good:
        assert rules_of(**{field: value}) == set()
    assert rules_of(**{field: bad}) == {(field, rule, "error")}


def test_congress_range_default_is_first_to_next_congress() -> None:
    assert current_congress(date(2025, 10, 1)) == 119
    assert current_congress(date(2027, 1, 2)) == 119  # the 120th begins on 3 January 2027
    assert current_congress(date(2027, 1, 3)) == 120
    assert rules_of(congress=1) == set()
    assert rules_of(congress=120) == set()  # announced for the next Congress
    assert rules_of(congress=121) == {("congress", "congress_range", "error")}
    assert rules_of(congress=0) == {("congress", "congress_range", "error")}


def test_congress_range_is_configurable() -> None:
    meeting = parse_meeting({**BASE, "congress": 112})
    config = RuleConfig(congress_min=113, congress_max=119)
    assert [i.rule for i in check_meeting(meeting, config)] == ["congress_range"]
    assert check_meeting(parse_meeting(BASE), config) == []


def test_title_length_is_unlimited_by_default_and_configurable(
    real_payloads: list[dict[str, Any]],
) -> None:
    longest = max(real_payloads, key=lambda p: len(p["title"]))
    assert len(longest["title"]) == 4233
    assert check_meeting(parse_meeting(longest)) == []
    config = RuleConfig(title_max_length=500)
    too_long = [p for p in real_payloads if check_meeting(parse_meeting(p), config) and len(p["title"]) > 500]
    assert len(too_long) == 94  # what the earlier "title <= 500" rule would have thrown away
    issue = check_meeting(parse_meeting(longest), config)[0]
    assert (issue.rule, issue.severity, issue.message) == (
        "title_length",
        "error",
        "4233 characters, more than the limit of 500 (TITLE_MAX_LENGTH)",
    )


def test_neither_title_nor_date_is_the_placeholder_a_dated_meeting_needs_a_title() -> None:
    placeholder = {("title", "title_present", "warning"), ("date", "date_present", "warning")}
    assert rules_of(title="", date=None) == placeholder
    without = {k: v for k, v in BASE.items() if k not in ("title", "date")}  # the API leaves them out
    assert {(i.field, i.rule, i.severity) for i in check_meeting(parse_meeting(without))} == placeholder
    assert validate_meeting(parse_meeting({**BASE, "title": "  ", "date": None})) != []  # kept, not raised
    assert rules_of(title=None) == {("title", "title_present", "error")}
    assert rules_of(title="  ") == {("title", "title_present", "error")}
    assert {k for k in BASE if k == "title"} and rules_of(date=None) == {("date", "date_present", "warning")}
    with pytest.raises(RecordInvalid) as caught:
        validate_meeting(parse_meeting({k: v for k, v in BASE.items() if k != "title"}))
    assert (caught.value.field, caught.value.rule) == ("title", "title_present")


@pytest.mark.parametrize("value", ["2025-05-21T14:00:00Z", "2025-05-21", "2025-05-21T10:00:00-04:00",
                                   "2025-05-21 14:00:00+00:00", "2025-05-21T14:00"])  # fmt: skip
def test_dates_that_parse(value: str) -> None:
    assert rules_of(date=value, updateDate=value) == set()


@pytest.mark.parametrize("value", ["not-a-date", "2025-13-01", "21/05/2025", "2025-05-21T25:00:00Z", ""])
def test_dates_that_do_not_parse(value: str) -> None:
    assert rules_of(date=value) == {("date", "date_parses", "error")}
    assert rules_of(updateDate=value) == {("updateDate", "update_date_parses", "error")}


def test_parse_api_datetime_normalises_to_utc() -> None:
    assert parse_api_datetime("2025-05-21T10:00:00-04:00").isoformat() == "2025-05-21T14:00:00+00:00"
    assert parse_api_datetime("2025-05-21") == date(2025, 5, 21)


def test_validate_raises_the_first_error_with_the_documented_message() -> None:
    meeting = parse_meeting({**BASE, "date": "not-a-date"})
    with pytest.raises(RecordInvalid) as caught:
        validate_meeting(meeting)
    assert str(caught.value) == "eventId 117773: field 'date': rule 'date_parses': 'not-a-date' is not an ISO date-time"
    assert (caught.value.field, caught.value.rule, caught.value.key) == ("date", "date_parses", "117773")


def test_committees_empty_or_absent_is_an_error() -> None:
    assert rules_of(committees=[]) == {("committees", "committee_present", "error")}
    payload = {k: v for k, v in BASE.items() if k != "committees"}
    assert [(i.field, i.rule) for i in check_meeting(parse_meeting(payload))] == [("committees", "committee_present")]


def test_a_witness_without_a_name_is_a_warning_not_an_error() -> None:
    witnesses = [{"name": "A B"}, {"name": "A C"}, {"name": "  ", "organization": "X"}, {"position": "Chief"}]
    assert rules_of(witnesses=witnesses) == {
        ("witnesses[2].name", "witness_name_present", "warning"),
        ("witnesses[3].name", "witness_name_present", "warning"),
    }


def test_control_characters_are_errors_but_tab_cr_lf_are_not() -> None:
    assert rules_of(title="line one\r\n\tline two") == set()
    issues = issues_of(title="bad\x07bell")
    assert [(i.field, i.rule) for i in issues] == [("title", "no_control_chars")]
    assert "U+0007 at position 3" in issues[0].message
    witnesses = [{"name": "Jane\x00Doe", "organization": "Org"}]
    assert ("witnesses[0].name", "no_control_chars", "error") in rules_of(witnesses=witnesses)


def test_event_id_must_not_be_empty() -> None:
    assert rules_of(eventId="  ") == {("eventId", "event_id_present", "error")}


def test_a_bare_payload_is_judged_as_the_whole_record() -> None:
    """Absent is empty: no committee (error), no title and no date (the placeholder warnings)."""
    meeting = parse_meeting({"eventId": "1"})
    assert {(i.rule, i.severity) for i in check_meeting(meeting)} == {
        ("committee_present", "error"), ("title_present", "warning"), ("date_present", "warning"),
    }  # fmt: skip


def test_related_items_rules() -> None:
    bills = [
        {"congress": 118, "number": "1532", "type": "HR", "url": "https://api.congress.gov/v3/bill/118/hr/1532"},
        {"congress": 118, "number": "12", "type": "H.J.Res."},  # spelled with dots: HJRES
        {"congress": 118, "number": "7", "type": "PL"},
        {"number": "8", "type": "S"},
    ]
    related = {"bills": bills, "treaties": [{"congress": 118, "number": "5"}, {"part": "A"}], "nominations": []}
    assert rules_of(relatedItems=related) == {
        ("relatedItems.bills[2].type", "bill_type_valid", "error"),
        ("relatedItems.bills[3]", "related_item_complete", "warning"),
        ("relatedItems.treaties[1]", "related_item_complete", "warning"),
    }
    continuations = [{"continuationDate": "2025-05-22T14:00:00Z"}, {"continuationDate": "soon"}, {}]
    assert rules_of(continuations=continuations) == {
        ("continuations[1].continuationDate", "continuation_parses", "error"),
        ("continuations[2].continuationDate", "continuation_parses", "warning"),
    }


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=st.characters(max_codepoint=0x2FF), max_size=40))
def test_control_precheck_never_misses(text: str) -> None:
    """The pre-check lets the full walk be skipped only when no field can hold a control
    character the rule refuses (C0 but tab, CR, LF; DEL; C1), whatever the text."""
    dumped = json.dumps({"title": text, "witnesses": [{"name": text[::-1]}]}, ensure_ascii=False)
    if re.search(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]", text):
        assert may_hold_control_chars(dumped)
    if not may_hold_control_chars(dumped):
        assert check_meeting(parse_meeting(_with_title(text)), text_checked=False) == check_meeting(
            parse_meeting(_with_title(text)), text_checked=True
        )


def _with_title(text: str) -> dict[str, Any]:
    return {
        "eventId": "1",
        "title": text or "t",
        "date": "2025-01-02T10:00:00Z",
        "committees": [{"systemCode": "hsag00"}],
    }
