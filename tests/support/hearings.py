"""Library runs of the hearings updater and what they leave in the hearings tables.

Every check here opens its own, new connection on the database file (after the run's
connection is closed), so what is asserted is what was committed to disk.
"""

from __future__ import annotations

import copy
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlbatch
from adapters.hearings.updater import UpdateOptions, prepare_database, run_update
from adapters.hearings.witness_type import witness_type

from .data import records_of, write_ndjson
from .db import query, reopen

# The tables the updater writes (the journal ``sqlbatch_*`` tables are not data).
DATA_TABLES = (
    "committees",
    "hearings",
    "hearing_committees",
    "witnesses",
    "witness_appearances",
    "witness_documents",
    "supporting_documents",
    "hearing_transcripts",
)

Dump = dict[str, list[tuple[Any, ...]]]


def update(path: Path, records: Iterable[Any], strategy: str | None = None, **options: Any) -> sqlbatch.RunResult:
    """One library run of ``records`` (RawRecords, or payloads: copied) on ``path`` with its own
    connection, closed before returning."""
    if strategy is not None:
        options["strategy"] = strategy
    conn = sqlbatch.connect(path)
    try:
        prepare_database(conn)
        return run_update(conn, records_of(records), UpdateOptions(**options), source="test")
    finally:
        conn.close()


def dump_data(path: Path) -> Dump:
    """Every row of the data tables (and their AUTOINCREMENT counters), in rowid order."""
    conn = reopen(path)
    try:
        out: Dump = {t: [tuple(r) for r in conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid')] for t in DATA_TABLES}
        out["sqlite_sequence"] = sorted(
            tuple(r) for r in conn.execute("SELECT name, seq FROM sqlite_sequence WHERE name NOT LIKE 'sqlbatch%'")
        )
        return out
    finally:
        conn.close()


def counts(path: Path) -> dict[str, int]:
    conn = reopen(path)
    try:
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in DATA_TABLES}
    finally:
        conn.close()


def schema_shape(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Each table's columns as ``PRAGMA table_info`` gives them (name, type, notnull, default, pk)."""
    conn = reopen(path)
    try:
        tables = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: [tuple(r)[1:] for r in conn.execute(f'PRAGMA table_info("{t}")')] for t in tables}
    finally:
        conn.close()


def quarantine_rows(path: Path) -> dict[str, tuple[Any, ...]]:
    """``record_key -> (status, rule, field, reason)`` of the quarantine table."""
    rows = query(path, "SELECT record_key, status, rule, field, reason FROM sqlbatch_quarantine")
    return {row[0]: row[1:] for row in rows}


@dataclass
class FaultFile:
    path: Path
    good: list[str]  # event ids that must commit
    bad: dict[str, tuple[str, str | None]]  # record key -> (rule, field)
    records: int  # records in the file (blank lines excluded)
    fixed: list[dict[str, Any]]  # the keyed bad records, corrected
    pattern: list[bool]  # per record in file order: is it bad?

    def failing_batches(self, size: int) -> int:
        return sum(any(self.pattern[i : i + size]) for i in range(0, len(self.pattern), size))


def make_fault_file(directory: Path, payloads: list[dict[str, Any]]) -> FaultFile:
    """Lines: 3 good, unknown committee, blank, bad date, broken JSON, bad chamber, no eventId, 5 good."""
    source = copy.deepcopy([p for p in payloads if p["title"] and p["date"]][:13])
    good = source[:3] + source[8:]
    unknown = {**source[3], "committees": [{"systemCode": "zzzz99", "name": "No such committee"}]}
    bad_date = {**source[4], "date": "2025-13-45T10:00:00Z"}
    bad_chamber = {**source[5], "chamber": "Moon"}
    no_id = {k: v for k, v in source[6].items() if k != "eventId"}
    lines: list[dict[str, Any] | str] = [
        *({"committeeMeeting": p} for p in good[:3]),  # lines 1-3 (wrapped, as the API returns them)
        {"committeeMeeting": unknown},  # 4
        "   ",  # 5: blank, not a record
        bad_date,  # 6 (the inner object, also accepted)
        '{"committeeMeeting": {"eventId": "999", ',  # 7: not valid JSON
        bad_chamber,  # 8
        no_id,  # 9
        *good[3:],  # 10-14
    ]
    path = write_ndjson(directory / "update.ndjson", lines)
    bad = {
        unknown["eventId"]: ("committee_exists", "committees[0].systemCode"),
        bad_date["eventId"]: ("date_parses", "date"),
        "#7": ("readable", None),
        bad_chamber["eventId"]: ("chamber_valid", "chamber"),
        "#9": ("required", "eventId"),
    }
    fixed = [source[3], source[4], source[5]]
    pattern = [False] * 3 + [True] * 5 + [False] * 5
    return FaultFile(path, [p["eventId"] for p in good], bad, len(lines) - 1, fixed, pattern)


def meetings_whose_witness_type_changes(conn: Any) -> set[str]:
    """The stored meetings with an appearance whose ``witness_type`` the rule sets otherwise.

    The earlier system typed every appearance by its own guess (anything unmatched
    ``Private``); an update sets the rule's type where the rule places the witness and keeps
    the stored one where it does not.
    """
    rows = conn.execute(
        "SELECT h.event_id, w.organization, a.position, a.witness_type FROM witness_appearances a "
        "JOIN witnesses w USING (witness_id) JOIN hearings h USING (hearing_id)"
    )
    changed = set()
    for event_id, organization, position, stored in rows:
        derived = witness_type(organization, position)
        if derived is not None and derived != stored:
            changed.add(event_id)
    return changed
