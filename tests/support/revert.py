"""The revert tests' run A / run B inputs and natural-key snapshots.

Every check goes through a *second*, plain
:class:`apsw.Connection` opened after the updater's connection is closed.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apsw

from sqlbatch import RunResult

# What the revert tests call through this module, defined once elsewhere.
from .cli import run_cli as cli
from .cli import run_json as cli_json
from .data import find_earlier_db
from .data import load_meetings as real_payloads
from .data import write_meetings as write_ndjson
from .db import STRATEGIES, execute, query, reopen
from .hearings import update

__all__ = [
    "AB",
    "NATURAL",
    "NEW_IN_B",
    "RUN_A",
    "STRATEGIES",
    "cli",
    "cli_json",
    "counts_of",
    "data_tables",
    "find_earlier_db",
    "exact_snapshot",
    "execute",
    "natural_snapshot",
    "net_diff",
    "query",
    "real_payloads",
    "run_b_payloads",
    "update",
    "write_ndjson",
]

RUN_A = 600  # the first meetings of the sample, run A
NEW_IN_B = 80  # meetings after those, new in run B


def _bump(payload: dict[str, Any]) -> None:
    payload["updateDate"] = "2025-10-02T12:00:00Z"


def run_b_payloads(payloads: list[dict[str, Any]]) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """Run B: changes to some of run A's meetings (status, title, witnesses, committee links,
    documents, transcript, location), then new meetings. Returns the payloads and, by kind of
    change, the event ids changed."""
    a = payloads[:RUN_A]
    with_witnesses = [p for p in a if len(p.get("witnesses") or []) >= 2]
    plain = [p for p in a if p.get("title") and p.get("date") and p not in with_witnesses]
    codes = sorted({c["systemCode"] for p in payloads for c in p["committees"]})
    changed: dict[str, list[str]] = {"status": [], "title": [], "witnesses": [], "committees": [], "documents": []}
    out = []
    for p in plain[:6]:
        p = copy.deepcopy(p)
        p["meetingStatus"] = "Canceled"
        changed["status"].append(p["eventId"])
        out.append(p)
    for p in plain[6:12]:
        p = copy.deepcopy(p)
        p["title"] = p["title"] + " (revised)"
        p["location"] = {"room": "2123", "building": "Rayburn House Office Building"}
        changed["title"].append(p["eventId"])
        out.append(p)
    for p in with_witnesses[:6]:
        p = copy.deepcopy(p)
        ws = p["witnesses"]
        ws[0]["position"] = (ws[0].get("position") or "") + " (acting)"
        del ws[1]  # an appearance (and maybe a witness) deleted
        ws.append({"name": "Dr. Test Witness", "position": "Professor", "organization": "Revert University"})
        changed["witnesses"].append(p["eventId"])
        out.append(p)
    for p in plain[12:18]:
        p = copy.deepcopy(p)
        have = {c["systemCode"] for c in p["committees"]}
        extra = next(c for c in codes if c not in have)
        p["committees"] = [*p["committees"][1:], {"systemCode": extra}]  # one link replaced
        if not p["committees"][:-1]:
            p["committees"].insert(0, {"systemCode": next(c for c in codes if c not in have and c != extra)})
        changed["committees"].append(p["eventId"])
        out.append(p)
    for n, p in enumerate(with_witnesses[6:10]):
        p = copy.deepcopy(p)
        base = f"https://www.congress.gov/119/meeting/x/{p['eventId']}/witnesses/HHRG-119-XX{n:02d}"
        p["witnesses"][0]["name"] = "Ann Quill"  # one new witness shared by these meetings
        statement = {"documentType": "Witness Statement", "format": "PDF", "url": f"{base}-Wstate-QuillA-2025.pdf"}
        notice = {"name": "Hearing Notice", "documentType": "Support Document", "format": "PDF", "url": f"{base}-n.pdf"}
        jacket = f"9{n:04d}"
        p["witnessDocuments"], p["meetingDocuments"] = [statement], [notice]
        p["hearingTranscript"] = [
            {"jacketNumber": jacket, "url": f"https://api.congress.gov/v3/hearing/119/x/{jacket}"}
        ]
        changed["documents"].append(p["eventId"])
        out.append(p)
    for p in out:
        _bump(p)
    return out + copy.deepcopy(payloads[RUN_A : RUN_A + NEW_IN_B]), changed


# -- snapshots ---------------------------------------------------------------------------------

#: Each hearings table by its natural key: surrogate ids replaced by what they stand for.
NATURAL: dict[str, str] = {
    "committees": "SELECT c.system_code, c.name, c.chamber, c.type, p.system_code, c.is_current, c.url, c.congress,"
    " c.created_at, c.updated_at FROM committees c LEFT JOIN committees p ON p.committee_id = c.parent_committee_id",
    "hearings": "SELECT * FROM hearings",  # hearing_id dropped below
    "hearing_committees": "SELECT h.event_id, c.system_code, hc.is_primary, hc.created_at FROM hearing_committees hc"
    " JOIN hearings h USING (hearing_id) JOIN committees c USING (committee_id)",
    "witnesses": "SELECT full_name, organization, first_name, last_name, title, created_at, updated_at FROM witnesses",
    "witness_appearances": "SELECT h.event_id, w.full_name, w.organization, a.position, a.witness_type,"
    " a.appearance_order, a.created_at FROM witness_appearances a JOIN hearings h USING (hearing_id)"
    " JOIN witnesses w USING (witness_id)",
    "witness_documents": "SELECT h.event_id, w.full_name, d.document_type, d.title, d.document_url, d.format_type,"
    " d.created_at, d.updated_at FROM witness_documents d JOIN witness_appearances a USING (appearance_id)"
    " JOIN hearings h USING (hearing_id) JOIN witnesses w USING (witness_id)",
    "supporting_documents": "SELECT h.event_id, d.document_type, d.title, d.description, d.document_url,"
    " d.format_type, d.created_at, d.updated_at FROM supporting_documents d JOIN hearings h USING (hearing_id)",
    "hearing_transcripts": "SELECT h.event_id, t.jacket_number, t.title, t.document_url, t.pdf_url, t.html_url,"
    " t.format_type, t.created_at, t.updated_at FROM hearing_transcripts t JOIN hearings h USING (hearing_id)",
}


def data_tables(conn: apsw.Connection) -> list[str]:
    return [
        name
        for (name,) in conn.execute("SELECT name FROM sqlite_schema WHERE type='table' ORDER BY name")
        if not name.startswith(("sqlite_", "sqlbatch_"))
    ]


def _rows(conn: apsw.Connection, sql: str) -> list[tuple[Any, ...]]:
    return sorted((tuple(r) for r in conn.execute(sql)), key=repr)


def natural_snapshot(path: Path, *, timestamps: bool = True) -> dict[str, list[tuple[Any, ...]]]:
    """Every data table's content by natural keys (a multiset of rows), read by a fresh connection.

    ``timestamps=False`` leaves out ``created_at``/``updated_at`` (to compare with a database
    built at another time)."""
    conn = reopen(path)
    try:
        out = {}
        for table in data_tables(conn):
            cur = conn.execute(NATURAL.get(table, f'SELECT * FROM "{table}"'))
            try:
                names = [d[0] for d in cur.getdescription()]
            except apsw.ExecutionCompleteError:  # no row
                out[table] = []
                continue
            drop = {"hearing_id"} if table == "hearings" else set()
            if not timestamps:
                drop |= {"created_at", "updated_at"}
            keep = [i for i, n in enumerate(names) if n not in drop]
            out[table] = sorted((tuple(r[i] for i in keep) for r in cur), key=repr)
        return out
    finally:
        conn.close()


def exact_snapshot(path: Path, *, journal: bool = False) -> dict[str, list[tuple[Any, ...]]]:
    """Every data table (``journal``: the ``sqlbatch_*`` tables too) with rowids, ``sqlite_sequence`` excepted."""
    conn = reopen(path)
    try:
        names = [
            n
            for (n,) in conn.execute("SELECT name FROM sqlite_schema WHERE type='table' ORDER BY name")
            if not n.startswith("sqlite_")
            and (journal or not n.startswith("sqlbatch_"))
            and n != "sqlbatch_file_mode"  # the file's journal-mode note: any command drops it once home
        ]
        return {n: _rows(conn, f'SELECT rowid, * FROM "{n}"') for n in names}
    finally:
        conn.close()


def net_diff(before: dict[str, list[tuple[Any, ...]]], after: dict[str, list[tuple[Any, ...]]]) -> dict[str, Any]:
    """The real net change between two :func:`exact_snapshot`s, by rowid, per data table:
    ``{table: {"inserted": n, "updated": n, "deleted": n}}`` (tables without change left out)."""
    out = {}
    for table in sorted(set(before) | set(after)):
        if table.startswith("sqlbatch_"):
            continue
        old = {r[0]: r for r in before.get(table, [])}
        new = {r[0]: r for r in after.get(table, [])}
        counts = {
            "inserted": len(new.keys() - old.keys()),
            "updated": sum(1 for k in new.keys() & old.keys() if new[k] != old[k]),
            "deleted": len(old.keys() - new.keys()),
        }
        if any(counts.values()):
            out[table] = counts
    return out


def counts_of(tables: dict[str, Any]) -> dict[str, Any]:
    """``{table: {inserted, updated, deleted}}`` of a change report (examples left out)."""
    return {t: {k: s[k] for k in ("inserted", "updated", "deleted")} for t, s in tables.items()}


@dataclass
class AB:
    """A database file after run A (the first meetings) and run B (changes + new meetings)."""

    path: Path
    run_a: RunResult
    run_b: RunResult
    after_a: dict[str, list[tuple[Any, ...]]]  # natural snapshot
    after_b: dict[str, list[tuple[Any, ...]]]
    exact_a: dict[str, list[tuple[Any, ...]]]  # data tables by rowid
    exact_b: dict[str, list[tuple[Any, ...]]]
    changed: dict[str, list[str]]  # event ids B changed, by kind of change
