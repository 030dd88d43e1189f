"""A batch written through :class:`BatchReads` (its stored state read in a few queries) stores
exactly what the same meetings written one by one store, with the same outcomes, including
where one meeting of the batch depends on another's write."""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

import apsw

from adapters.hearings.committees import load_bundled_committees, seed_committees
from adapters.hearings.mapping import MeetingRows, meeting_rows
from adapters.hearings.models import parse_meeting
from adapters.hearings.rules import validate_meeting
from adapters.hearings.schema import ensure_schema
from adapters.hearings.store import write_meeting
from adapters.hearings.store_batch import BatchReads
from tests.support.db import open_raw

Dump = Callable[[apsw.Connection], dict[str, list[tuple[Any, ...]]]]


def _rows(payload: dict[str, Any]) -> MeetingRows:
    meeting = parse_meeting(payload)
    validate_meeting(meeting)
    return meeting_rows(meeting)


def _db(path: Path) -> apsw.Connection:
    conn = open_raw(path)
    ensure_schema(conn)
    seed_committees(conn, load_bundled_committees())
    return conn


def _batch(payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Meetings that lean on each other within one batch."""
    with_witnesses = [p for p in payloads if len(p.get("witnesses") or []) >= 2]
    first, second = copy.deepcopy(with_witnesses[0]), copy.deepcopy(with_witnesses[1])
    shared = {"name": "Ada Example", "position": "Director", "organization": "Example Institute"}
    first["witnesses"].append(dict(shared))
    second["witnesses"].append(dict(shared))  # a witness the batch itself inserts, found again
    again = copy.deepcopy(first)
    again["title"] = "A changed title"  # the same meeting again: must see its first write
    dropped = copy.deepcopy(first)
    dropped["witnesses"] = dropped["witnesses"][:1]  # deletes witnesses only it named...
    back = copy.deepcopy(second)
    back["witnesses"] = [dict(first["witnesses"][-2])]  # ...and one named again after
    return [*payloads[:20], first, second, again, dropped, back]


def _stored(conn: apsw.Connection, dump: Dump) -> dict[str, list[tuple[Any, ...]]]:
    """Every row, with the clock's columns set aside (the two files are written seconds apart)."""
    with conn:
        for (table,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall():
            for column in ("created_at", "updated_at"):
                if column in {row[1] for row in conn.execute(f'PRAGMA table_info("{table}")')}:
                    conn.execute(f'UPDATE "{table}" SET {column} = NULL')
    return dump(conn)


def _write_each(conn: apsw.Connection, batch: list[MeetingRows]) -> list[str]:
    with conn:
        return [write_meeting(conn, rows) for rows in batch]


def _write_batch(conn: apsw.Connection, batch: list[MeetingRows]) -> list[str]:
    with conn:
        reads = BatchReads(conn, batch)
        return [write_meeting(reads, rows) for rows in batch]


def test_batch_reads_store_what_one_by_one_stores(tmp_path: Path, payloads: list[dict[str, Any]], dump: Dump) -> None:
    batch = [_rows(p) for p in _batch(payloads)]
    each, whole = _db(tmp_path / "each.db"), _db(tmp_path / "batch.db")
    # a new database, then the same batch again over what it stored (every meeting stored)
    for _ in range(2):
        outcomes = _write_each(each, batch)
        assert _write_batch(whole, batch) == outcomes
        assert _stored(whole, dump) == _stored(each, dump)
    assert "updated" in outcomes and "unchanged" in outcomes
