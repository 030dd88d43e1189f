"""Checks every reliability scenario runs on the database afterwards (issue 6).

``assert_sound`` opens its own read-only connection (after the writer is closed or killed)
and checks: ``PRAGMA integrity_check`` is ok, ``PRAGMA foreign_key_check`` is empty, no
partial meeting (each stored hearing has exactly the committee links and witness
appearances its payload maps to), and the journal agrees with the data (each committed
batch's good records are stored, each stored hearing lies in some committed batch).
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import apsw

from adapters.hearings.mapping import meeting_rows
from adapters.hearings.models import parse_meeting

from .db import reopen

# Natural keys of the data tables: surrogate ids (AUTOINCREMENT) are replaced by them.
NATURAL_DUMP = {
    "hearings": "SELECT * FROM hearings ORDER BY event_id",
    "hearing_committees": "SELECT h.event_id, c.system_code, hc.is_primary FROM hearing_committees hc "
    "JOIN hearings h USING (hearing_id) JOIN committees c USING (committee_id) ORDER BY 1, 2",
    "witness_appearances": "SELECT h.event_id, w.full_name, w.organization, a.position, a.appearance_order "
    "FROM witness_appearances a JOIN hearings h USING (hearing_id) JOIN witnesses w USING (witness_id) "
    "ORDER BY 1, 2, 3, 4, 5",
    "witnesses": "SELECT full_name, first_name, last_name, title, organization FROM witnesses ORDER BY 1, 2, 3, 4, 5",
    "witness_documents": "SELECT h.event_id, w.full_name, d.document_type, d.title, d.document_url, d.format_type "
    "FROM witness_documents d JOIN witness_appearances a USING (appearance_id) JOIN hearings h USING (hearing_id) "
    "JOIN witnesses w USING (witness_id) ORDER BY 1, 2, 3, 4, 5, 6",
    "supporting_documents": "SELECT h.event_id, d.document_type, d.title, d.description, d.document_url, "
    "d.format_type FROM supporting_documents d JOIN hearings h USING (hearing_id) ORDER BY 1, 2, 3, 4, 5, 6",
    "hearing_transcripts": "SELECT h.event_id, t.jacket_number, t.title, t.document_url, t.pdf_url, t.html_url, "
    "t.format_type FROM hearing_transcripts t JOIN hearings h USING (hearing_id) ORDER BY 1, 2, 3, 4",
    "committees": "SELECT system_code, name, chamber FROM committees ORDER BY system_code",
}
# Columns that record *when* a row was written, not what it holds.
_CLOCK_COLUMNS = ("hearing_id", "created_at", "updated_at")


def expected_shape(payload: Any) -> tuple[int, int] | None:
    """``(committee links, appearances)`` the payload maps to, or None if it cannot be parsed."""
    try:
        rows = meeting_rows(parse_meeting(payload))
    except Exception:  # noqa: BLE001 - any failure means the record cannot be stored
        return None
    return len(rows.committees or ()), len(rows.witnesses or ())


def natural_dump(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The data tables by natural keys, without surrogate ids or write times."""
    conn = reopen(path)
    try:
        out: dict[str, list[tuple[Any, ...]]] = {}
        for table, sql in NATURAL_DUMP.items():
            cursor = conn.execute(sql)
            try:
                names = [d[0] for d in cursor.getdescription()]
            except apsw.ExecutionCompleteError:  # no rows
                out[table] = []
                continue
            keep = [i for i, n in enumerate(names) if n not in _CLOCK_COLUMNS]
            out[table] = [tuple(row[i] for i in keep) for row in cursor]
        return out
    finally:
        conn.close()


def dump_all_tables(path: Path) -> str:
    """Every row of every table (journal included) as text, for searching."""
    conn = reopen(path)
    try:
        tables = [n for (n,) in conn.execute("SELECT name FROM sqlite_schema WHERE type='table'")]
        return "\n".join(f"{t}: {row!r}" for t in tables for row in conn.execute(f'SELECT * FROM "{t}"'))
    finally:
        conn.close()


def assert_sound(
    path: Path,
    payloads: Mapping[str, Any] | None = None,
    *,
    positions: Mapping[int, str | None] | None = None,
) -> dict[str, int]:
    """Assert the four checks; returns a few counts for the caller's figures.

    ``payloads`` maps event id -> the payload the input held for it (for the shape check);
    ``positions`` maps 1-based input position -> event id of a *good* record (``None`` for
    a bad one): with it the journal is checked against the data both ways.
    """
    conn = reopen(path)
    try:
        assert [tuple(r) for r in conn.execute("PRAGMA integrity_check")] == [("ok",)]
        assert list(conn.execute("PRAGMA foreign_key_check")) == []
        stored = _stored_shapes(conn)
        if payloads is not None:
            partial = {}
            for event_id, got in stored.items():
                if event_id not in payloads:
                    continue
                want = expected_shape(payloads[event_id])
                if got != want:
                    partial[event_id] = (got, want)
            assert not partial, f"partial or wrong meetings: {dict(list(partial.items())[:5])}"
        journaled = 0
        if positions is not None and _has_journal(conn):
            journaled = _assert_journal(conn, stored, positions)
        return {"hearings": len(stored), "journaled_records": journaled}
    finally:
        conn.close()


def _has_journal(conn: apsw.Connection) -> bool:
    return bool(list(conn.execute("SELECT 1 FROM sqlite_schema WHERE name = 'sqlbatch_batches'")))


def _stored_shapes(conn: apsw.Connection) -> dict[str, tuple[int, int]]:
    rows = conn.execute(
        "SELECT h.event_id, (SELECT count(*) FROM hearing_committees c WHERE c.hearing_id = h.hearing_id), "
        "(SELECT count(*) FROM witness_appearances a WHERE a.hearing_id = h.hearing_id) FROM hearings h"
    )
    return {event_id: (links, appearances) for event_id, links, appearances in rows}


def _assert_journal(conn: apsw.Connection, stored: Mapping[str, Any], positions: Mapping[int, str | None]) -> int:
    spans = list(
        conn.execute(
            "SELECT run_id, batch_no, first_position, last_position FROM sqlbatch_batches "
            "WHERE committed > 0 AND first_position IS NOT NULL"
        )
    )
    covered: set[str] = set()
    live = "SELECT record_key FROM sqlbatch_quarantine WHERE status = 'quarantined'"
    quarantined = {k for (k,) in conn.execute(live)}
    for run_id, batch_no, first, last in spans:
        for pos in range(first, last + 1):
            event_id = positions.get(pos)
            if event_id is None:
                continue
            covered.add(event_id)
            assert event_id in stored, f"run {run_id} batch {batch_no} is committed but {event_id} is not stored"
    inputs = set(filter(None, positions.values()))
    unjournaled = [e for e in stored if e in inputs and e not in covered]
    assert not unjournaled, f"stored without a committed batch: {unjournaled[:5]}"
    assert not (quarantined & set(stored)), "a record is both stored and quarantined"
    return len(covered)


def record_figures(name: str, figures: Mapping[str, Any]) -> None:
    """Append the scenario's figures to ``$RELIABILITY_FIGURES`` (a JSON-lines file) when set."""
    target = os.environ.get("RELIABILITY_FIGURES")
    if target:
        with open(target, "a", encoding="utf-8") as out:
            out.write(json.dumps({"scenario": name, **figures}) + "\n")
