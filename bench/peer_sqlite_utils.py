"""The peer of ``bench/peers.py``: the same meetings loaded the way a sqlite-utils user would.

Six plain tables keyed by natural keys (eventId, systemCode, witness name and organisation),
``upsert_all`` per table, no validation, no journal, no before-images. ``--chunk N`` commits
every N meetings (0: one transaction); ``--floor`` writes the same rows with the standard
``sqlite3`` module's ``executemany`` in one transaction instead.

    python bench/peer_sqlite_utils.py DB MEETINGS.ndjson [--chunk N | --floor]
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
from collections.abc import Iterator
from itertools import islice
from typing import Any

TABLES: dict[str, tuple[str, ...]] = {
    "hearings": ("event_id",),
    "committees": ("system_code",),
    "hearing_committees": ("event_id", "system_code"),
    "witnesses": ("name", "organization"),
    "witness_appearances": ("event_id", "name", "organization"),
    "documents": ("event_id", "url"),
}


def meetings(path: str) -> Iterator[dict[str, Any]]:
    with open(path, encoding="utf-8") as lines:
        for line in lines:
            if line.strip():
                record = json.loads(line)
                yield record.get("committeeMeeting", record)


def rows(meeting: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """One meeting as rows of the six tables."""
    event = str(meeting["eventId"])
    location = meeting.get("location") or {}
    out: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
    out["hearings"].append(
        {
            "event_id": event,
            "congress": meeting.get("congress"),
            "chamber": meeting.get("chamber"),
            "title": meeting.get("title"),
            "hearing_type": meeting.get("type"),
            "status": meeting.get("meetingStatus"),
            "date": meeting.get("date"),
            "location": " ".join(str(v) for v in location.values() if v) or None,
            "update_date": meeting.get("updateDate"),
        }
    )
    for c in meeting.get("committees") or []:
        out["committees"].append({"system_code": c["systemCode"], "name": c.get("name"), "url": c.get("url")})
        out["hearing_committees"].append({"event_id": event, "system_code": c["systemCode"]})
    for order, w in enumerate(meeting.get("witnesses") or [], 1):
        name, org = w.get("name") or "", w.get("organization") or ""
        out["witnesses"].append({"name": name, "organization": org})
        out["witness_appearances"].append(
            {
                "event_id": event,
                "name": name,
                "organization": org,
                "position": w.get("position"),
                "appearance_order": order,
            }
        )
    for kind in ("meetingDocuments", "witnessDocuments"):
        for d in meeting.get(kind) or []:
            out["documents"].append({"event_id": event, "url": d.get("url"), "kind": kind, "name": d.get("name")})
    return out


def chunks(path: str, size: int) -> Iterator[dict[str, list[dict[str, Any]]]]:
    """Rows of ``size`` meetings at a time (all of them when ``size`` is 0)."""
    source = meetings(path)
    while True:
        group = list(islice(source, size)) if size else list(source)
        if not group:
            return
        merged: dict[str, list[dict[str, Any]]] = {name: [] for name in TABLES}
        for meeting in group:
            for name, table_rows in rows(meeting).items():
                merged[name].extend(table_rows)
        yield merged
        if not size:
            return


def with_sqlite_utils(db_path: str, path: str, chunk: int) -> None:
    import sqlite_utils

    db = sqlite_utils.Database(db_path)
    for group in chunks(path, chunk):
        with db.conn:
            for name, pk in TABLES.items():
                if group[name]:
                    db[name].upsert_all(group[name], pk=pk if len(pk) > 1 else pk[0], alter=True)


def with_sqlite3(db_path: str, path: str) -> None:
    conn = sqlite3.connect(db_path)
    group = next(chunks(path, 0), {name: [] for name in TABLES})
    with conn:
        for name, pk in TABLES.items():
            if not group[name]:
                continue
            columns = list(group[name][0])
            conn.execute(f"CREATE TABLE IF NOT EXISTS {name} ({', '.join(columns)}, PRIMARY KEY ({', '.join(pk)}))")
            updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in pk) or None
            conflict = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
            conn.executemany(
                f"INSERT INTO {name} ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)}) "
                f"ON CONFLICT ({', '.join(pk)}) {conflict}",
                [tuple(row[c] for c in columns) for row in group[name]],
            )
    conn.close()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db")
    parser.add_argument("meetings")
    parser.add_argument("--chunk", type=int, default=0)
    parser.add_argument("--floor", action="store_true")
    args = parser.parse_args(argv)
    if args.floor:
        with_sqlite3(args.db, args.meetings)
    else:
        with_sqlite_utils(args.db, args.meetings, args.chunk)
    return 0


if __name__ == "__main__":
    sys.exit(main())
