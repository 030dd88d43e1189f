"""Scenario 5: a catalogue of bad input, each kind between good neighbours.

Every bad record yields one quarantine entry naming the record (its eventId, or ``#N`` for a
record without a usable one), the field (``None`` when the whole record is unusable) and
the rule; the good neighbours commit whole; SQL-looking text is stored verbatim.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from adapters.hearings.rules import RuleConfig
from adapters.hearings.sources import read_path
from tests.support import reliability as R
from tests.support.cli import run_cli
from tests.support.data import load_meetings, write_ndjson
from tests.support.db import query
from tests.support.hearings import counts, quarantine_rows, update

BAD_ID = "7000001"
Line = dict[str, Any] | str | bytes


def _meeting(base: dict[str, Any], **changes: Any) -> dict[str, Any]:
    meeting = {**copy.deepcopy(base), "eventId": BAD_ID}
    for name, value in changes.items():
        if value is ...:
            meeting.pop(name, None)
        else:
            meeting[name] = value
    return meeting


def _nested(depth: int) -> dict[str, Any]:
    junk: dict[str, Any] = {}
    for _ in range(depth):
        junk = {"x": [junk]}
    return junk


def _change(**changes: Any) -> Callable[[dict[str, Any]], Line]:
    return lambda base: _meeting(base, **changes)


def _text(text: str | bytes) -> Callable[[dict[str, Any]], Line]:
    return lambda base: text


# name -> (bad line from a good base meeting, rule, field, keyed by position)
CATALOGUE: dict[str, tuple[Callable[[dict[str, Any]], Line], str, str | None, bool]] = {
    "congress not a number": (_change(congress="abc"), "type", "congress", False),
    "congress a fraction": (_change(congress=119.5), "type", "congress", False),
    "congress a boolean": (_change(congress=True), "type", "congress", False),
    "chamber a number": (_change(chamber=5), "type", "chamber", False),
    "title a list": (_change(title=["a"]), "type", "title", False),
    "title deeply nested junk": (_change(title=_nested(60)), "type", "title", False),
    "committees a string": (_change(committees="hsag00"), "type", "committees", False),
    "committee item a number": (_change(committees=[1]), "type", "committees[0]", False),
    "witnesses an object": (_change(witnesses={"name": "x"}), "type", "witnesses", False),
    "witness documents a string": (_change(witnessDocuments="none"), "type", "witnessDocuments", False),
    "video url a number": (_change(videos=[{"url": 5}]), "type", "videos[0].url", False),
    "eventId an object": (_change(eventId={"a": 1}), "type", "eventId", True),
    "eventId missing": (_change(eventId=...), "required", "eventId", True),
    "eventId empty": (_change(eventId=""), "event_id_present", "eventId", True),
    "chamber missing": (_change(chamber=...), "required", "chamber", False),
    "congress missing": (_change(congress=...), "required", "congress", False),
    "title missing": (_change(title=...), "title_present", "title", False),  # a dated meeting needs one
    "impossible date 2025-02-30": (_change(date="2025-02-30T10:00:00Z"), "date_parses", "date", False),
    "date not a date": (_change(date="yesterday"), "date_parses", "date", False),
    "update date month 13": (_change(updateDate="2025-13-01T00:00:00Z"), "update_date_parses", "updateDate", False),
    "unknown chamber": (_change(chamber="Moon"), "chamber_valid", "chamber", False),
    "unknown meeting type": (_change(type="Hearingz"), "type_valid", "type", False),
    "unknown status": (_change(meetingStatus="Exploded"), "status_valid", "meetingStatus", False),
    "congress 0": (_change(congress=0), "congress_range", "congress", False),
    "congress 9999": (_change(congress=9999), "congress_range", "congress", False),
    "unknown committee": (
        _change(committees=[{"systemCode": "zzzz99", "name": "No such"}]),
        "committee_exists",
        "committees[0].systemCode",
        False,
    ),
    "no committee": (_change(committees=[]), "committee_present", "committees", False),
    "witness list of non-objects": (_change(witnesses=[" "]), "type", "witnesses[0]", False),
    "C0 control character": (_change(title="Hearing\u0007 on bells"), "no_control_chars", "title", False),
    # U+0081: a C1 character Windows-1252 leaves undefined (the others are read as Windows-1252)
    "C1 control character": (_change(title="Hearing \u0081 on escapes"), "no_control_chars", "title", False),
    "invalid UTF-8 bytes": (
        _text(b'{"committeeMeeting": {"eventId": "7000001", "title": "caf\xe9"}}'),
        "readable",
        None,
        True,
    ),
    "broken JSON": (_text('{"committeeMeeting": {"eventId": '), "readable", None, True),
    "NaN literal": (_text('{"eventId": "7000001", "congress": NaN}'), "readable", None, True),
    "BOM in mid-file": (lambda base: "\ufeff" + json.dumps(_meeting(base)), "readable", None, True),
    "array nested 100,000 deep": (_text("[" * 100_000 + "]" * 100_000), "readable", None, True),
    "a JSON list": (_text("[1, 2]"), "object", None, True),
    "a JSON number": (_text("42"), "object", None, True),
    "a JSON string": (_text('"hello"'), "object", None, True),
    "a JSON null": (_text("null"), "object", None, True),
}


@pytest.fixture(scope="module")
def bases() -> list[dict[str, Any]]:
    """Five real meetings with a title, a date and witnesses: one to spoil, four neighbours."""
    return [m for m in load_meetings() if m["title"] and m["date"] and m["witnesses"]][:5]


def _neighbours(bases: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [{**copy.deepcopy(m), "eventId": str(6_000_000 + i)} for i, m in enumerate(bases[1:])]


@pytest.mark.parametrize("kind", list(CATALOGUE))
def test_bad_record_is_quarantined_and_neighbours_commit(
    tmp_path: Path, bases: list[dict[str, Any]], kind: str
) -> None:
    build, rule, field, by_position = CATALOGUE[kind]
    good = _neighbours(bases)
    source = write_ndjson(tmp_path / "in.ndjson", [good[0], good[1], build(bases[0]), good[2], good[3]])
    db = tmp_path / "h.db"
    result = update(db, read_path(source))
    key = "#3" if by_position else BAD_ID
    assert {k: (r, f) for k, (_s, r, f, _m) in quarantine_rows(db).items()} == {key: (rule, field)}
    assert result.metrics.records_quarantined == 1 and result.metrics.records_committed == 4
    figures = R.assert_sound(
        db, {m["eventId"]: m for m in good}, positions={1: "6000000", 2: "6000001", 4: "6000002", 5: "6000003"}
    )
    assert figures["hearings"] == 4


def test_duplicate_event_id_with_conflicting_content_keeps_the_first(
    tmp_path: Path, bases: list[dict[str, Any]]
) -> None:
    good = _neighbours(bases)
    first = _meeting(bases[0])
    second = _meeting(bases[0], title="A different title for the same eventId")
    source = write_ndjson(tmp_path / "in.ndjson", [good[0], first, good[1], second, good[2]])
    db = tmp_path / "h.db"
    update(db, read_path(source), batch_size=2)  # the two copies land in different batches
    ((status, rule, field, reason),) = quarantine_rows(db).values()
    assert (status, rule, field) == ("quarantined", "duplicate_key", "eventId") and "#4" in reason
    assert query(db, "SELECT title FROM hearings WHERE event_id = ?", (BAD_ID,)) == [(first["title"],)]
    R.assert_sound(db, {m["eventId"]: m for m in [*good, first]})
    assert counts(db)["hearings"] == 4


def test_duplicate_event_id_with_the_same_content_is_a_harmless_repeat(
    tmp_path: Path, bases: list[dict[str, Any]]
) -> None:
    good = _neighbours(bases)
    first = _meeting(bases[0])
    source = write_ndjson(tmp_path / "in.ndjson", [good[0], first, good[1], copy.deepcopy(first), good[2]])
    db = tmp_path / "h.db"
    result = update(db, read_path(source), batch_size=2)
    assert quarantine_rows(db) == {}
    m = result.metrics
    assert (m.records_added, m.records_unchanged, m.records_quarantined) == (4, 1, 0)
    R.assert_sound(db, {m["eventId"]: m for m in [*good, first]})


def test_oversized_title_beyond_the_configured_limit(tmp_path: Path, bases: list[dict[str, Any]]) -> None:
    good = _neighbours(bases)
    source = write_ndjson(tmp_path / "in.ndjson", [good[0], _meeting(bases[0], title="x" * 2_000_000), good[1]])
    db = tmp_path / "h.db"
    update(db, read_path(source), rules=RuleConfig(title_max_length=1000))
    assert {k: v[1:3] for k, v in quarantine_rows(db).items()} == {BAD_ID: ("title_length", "title")}
    assert R.assert_sound(db, {m["eventId"]: m for m in good})["hearings"] == 2


SQL_TITLES = [
    "Robert'); DROP TABLE hearings;--",
    "1 OR 1=1; DELETE FROM hearing_committees WHERE '1'='1",
    '"; UPDATE hearings SET title = NULL; --',
    "x' UNION SELECT sqlite_version(), NULL --",
]


def test_sql_looking_text_is_stored_verbatim_through_the_cli(tmp_path: Path, bases: list[dict[str, Any]]) -> None:
    meetings = [
        {**copy.deepcopy(bases[i % len(bases)]), "eventId": str(5_000_000 + i), "title": title, "location": None}
        for i, title in enumerate(SQL_TITLES)
    ]
    meetings[0]["witnesses"][0]["organization"] = "Acme'; DROP TABLE witnesses; --"
    source = write_ndjson(tmp_path / "in.ndjson", meetings)
    db = tmp_path / "h.db"
    proc = run_cli("run", "--db", db, "--source", source, "--json", cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    stored = dict(query(db, "SELECT event_id, title FROM hearings"))
    assert stored == {m["eventId"]: m["title"] for m in meetings}
    assert query(db, "SELECT count(*) FROM witnesses WHERE organization = ?", ("Acme'; DROP TABLE witnesses; --",)) == [
        (1,)
    ]
    R.assert_sound(db, {m["eventId"]: m for m in meetings})


def test_whole_catalogue_in_one_file_through_the_cli(tmp_path: Path, bases: list[dict[str, Any]]) -> None:
    """Every kind in one NDJSON file, each between good neighbours: exit 1, every bad one listed."""
    lines: list[Line] = []
    expected: dict[str, tuple[str, str | None]] = {}
    good: dict[str, dict[str, Any]] = {}
    good_at: set[int] = set()
    for n, (build, rule, field, by_position) in enumerate(CATALOGUE.values()):
        neighbour = {**copy.deepcopy(bases[1 + n % 4]), "eventId": str(6_100_000 + n)}
        lines.append(neighbour)
        good_at.add(len(lines))
        good[neighbour["eventId"]] = neighbour
        line = build(bases[0])
        if isinstance(line, dict) and line.get("eventId") == BAD_ID:
            line["eventId"] = str(7_100_000 + n)
        elif isinstance(line, str | bytes) and not by_position:
            raise AssertionError(f"{n}: a text line must be keyed by position")
        if isinstance(line, bytes):
            line = line.replace(BAD_ID.encode(), str(7_100_000 + n).encode())
        key = f"#{len(lines) + 1}" if by_position else str(7_100_000 + n)
        lines.append(line)
        expected[key] = (rule, field)
    source = write_ndjson(tmp_path / "all.ndjson", lines)
    db = tmp_path / "h.db"
    proc = run_cli("run", "--db", db, "--source", source, "--batch-size", "8", "--json", cwd=tmp_path)
    assert proc.returncode == 1, proc.stderr
    result = json.loads(proc.stdout)
    assert {q["record_key"] for q in result["quarantined"]} == set(expected)
    assert {k: (r, f) for k, (_s, r, f, _m) in quarantine_rows(db).items()} == expected
    positions = {i: ln.get("eventId") if i in good_at else None for i, ln in enumerate(lines, 1)}  # type: ignore[union-attr]
    figures = R.assert_sound(db, good, positions=positions)
    assert figures["hearings"] == len(good) == result["records_committed"]
    R.record_figures("bad_input", {"kinds": len(CATALOGUE) + 3, "records": len(lines), "quarantined": len(expected)})
