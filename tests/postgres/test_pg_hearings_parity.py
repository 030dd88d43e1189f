"""The hearings job on SQLite and on PostgreSQL, fed the same input, leaves the same thing.

The real sample, a daily update with faults injected (:func:`make_fault_file`), then the
faulty meetings corrected and revised: the data
by natural keys (not by ids, which each engine numbers its own way), the quarantine and the
run's counts must be equal on both engines.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import sqlbatch
from tests.support.cli import run_json
from tests.support.data import load_meetings, write_meetings
from tests.support.engines import Engine, PostgresEngine, SqliteEngine, engine
from tests.support.hearings import DATA_TABLES, make_fault_file

# each data table by its natural key: what a row says, with the ids it holds read as the keys they name
NATURAL = {
    "committees": "SELECT c.system_code, c.name, c.chamber, c.type, p.system_code, c.url, c.congress, c.is_current"
    " FROM committees c LEFT JOIN committees p ON p.committee_id = c.parent_committee_id",
    "hearings": "SELECT event_id, congress, chamber, title, hearing_type, status, hearing_date, location,"
    " jacket_number, url, congress_gov_url, update_date, hearing_date_only, hearing_time FROM hearings",
    "hearing_committees": "SELECT h.event_id, c.system_code, hc.is_primary FROM hearing_committees hc"
    " JOIN hearings h ON h.hearing_id = hc.hearing_id JOIN committees c ON c.committee_id = hc.committee_id",
    "witnesses": "SELECT first_name, last_name, full_name, title, organization FROM witnesses",
    "witness_appearances": "SELECT h.event_id, w.full_name, w.organization, a.position, a.witness_type,"
    " a.appearance_order FROM witness_appearances a JOIN hearings h ON h.hearing_id = a.hearing_id"
    " JOIN witnesses w ON w.witness_id = a.witness_id",
    "witness_documents": "SELECT h.event_id, w.full_name, a.appearance_order, d.document_type, d.title,"
    " d.document_url, d.format_type FROM witness_documents d"
    " JOIN witness_appearances a ON a.appearance_id = d.appearance_id"
    " JOIN hearings h ON h.hearing_id = a.hearing_id JOIN witnesses w ON w.witness_id = a.witness_id",
    "supporting_documents": "SELECT h.event_id, d.document_type, d.title, d.description, d.document_url,"
    " d.format_type FROM supporting_documents d JOIN hearings h ON h.hearing_id = d.hearing_id",
    "hearing_transcripts": "SELECT h.event_id, t.jacket_number, t.title, t.document_url, t.pdf_url, t.html_url,"
    " t.format_type FROM hearing_transcripts t JOIN hearings h ON h.hearing_id = t.hearing_id",
    "hearing_continuations": "SELECT h.event_id, c.continuation_date, c.continuation_time"
    " FROM hearing_continuations c JOIN hearings h ON h.hearing_id = c.hearing_id",
}
assert set(DATA_TABLES) <= set(NATURAL)

__all__ = ["engine"]  # the fixture, imported for this module's tests

COUNTS = ("records_total", "records_added", "records_updated", "records_unchanged", "records_quarantined")


def _plain(value: Any) -> Any:
    """A value as SQLite holds it: booleans 1/0, dates and times as their ISO text."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, dt.datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return value


def _rows(engine: Engine, sql: str) -> list[tuple[Any, ...]]:
    return sorted((tuple(_plain(v) for v in row) for row in engine.query(sql)), key=repr)


def _run(engine: Engine, *source: str | Path, cwd: Path) -> dict[str, Any]:
    """One run of the command line (the bundled sample without ``source``); its counts."""
    code, data = run_json("run", "--db", engine.target, "--batch-size", "50", *source, cwd=cwd)
    return {"exit": code, **{k: data[k] for k in COUNTS}}


def _left(engine: Engine) -> dict[str, Any]:
    return {
        "data": {table: _rows(engine, sql) for table, sql in NATURAL.items()},
        "quarantine": _rows(engine, "SELECT record_key, status, rule, field FROM sqlbatch_quarantine"),
    }


def test_the_sample_and_a_faulty_update_leave_the_same_on_both_engines(pg_url: str, tmp_path: Path) -> None:
    faults = make_fault_file(tmp_path, load_meetings())
    # the quarantined meetings corrected, with a changed title and later days: updates, and
    # resolved quarantine; the same file again changes nothing (dates read back equal the input's)
    days = [{"continuationDate": "2025-05-22T14:00:00Z"}, {"continuationDate": "2025-05-23"}]
    revised = write_meetings(
        tmp_path / "fixed.ndjson",
        [{**m, "title": f"{m['title']} (revised)", "continuations": days} for m in faults.fixed],
    )
    engines = (SqliteEngine(tmp_path / "parity.db"), PostgresEngine(pg_url))
    got = {}
    for one in engines:
        runs = [
            _run(one, cwd=tmp_path),
            *(_run(one, "--source", f, cwd=tmp_path) for f in (faults.path, revised, revised)),
        ]
        got[one.name] = {"runs": runs, **_left(one)}
    sqlite, pg = got["sqlite"], got["postgresql"]
    assert sqlite["runs"][0]["records_added"] > 1000 and sqlite["runs"][1]["records_quarantined"] == len(faults.bad)
    assert sqlite["runs"][2]["records_updated"] == len(faults.fixed)
    assert (pg["runs"][3]["records_updated"], pg["runs"][3]["records_unchanged"]) == (0, len(faults.fixed))
    assert {q[1] for q in sqlite["quarantine"]} == {"quarantined", "resolved"}
    assert pg["runs"] == sqlite["runs"]
    assert pg["quarantine"] == sqlite["quarantine"]
    assert len(sqlite["data"]["hearing_continuations"]) == 2 * len(faults.fixed)
    for table in NATURAL:
        assert len(pg["data"][table]) == len(sqlite["data"][table]), table
        assert pg["data"][table] == sqlite["data"][table], table


def test_a_committee_flag_is_seeded_changed_and_kept_alike_on_both_engines(engine: Engine) -> None:
    """``isCurrent`` true/false/absent: the same counts, and the flag read back as 1/0 (SQLite stores integers)."""
    from adapters.hearings.committees import seed_committees
    from adapters.hearings.schema import ensure_schema

    conn = sqlbatch.connect(engine.target)
    try:
        with conn:
            ensure_schema(conn.raw)
        one = {
            "systemCode": "hsif00",
            "name": "Energy and Commerce",
            "chamber": "House",
            "committeeTypeCode": "Standing",
        }
        seen = []
        for flag in (False, False, True, None):
            with conn:
                item = one if flag is None else {**one, "isCurrent": flag}
                seen.append(seed_committees(conn, [item]))
        stored = engine.query("SELECT is_current FROM committees")
    finally:
        conn.close()
    assert [max(c, key=c.get) for c in seen] == ["added", "unchanged", "updated", "unchanged"]
    assert [tuple(_plain(v) for v in r) for r in stored] == [(1,)]
    if engine.name == "sqlite":
        assert engine.query("SELECT typeof(is_current) FROM committees") == [("integer",)]
