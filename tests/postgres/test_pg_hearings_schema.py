"""adapters/hearings/sql/postgresql.sql loads on a real server and has SQLite's shape."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import apsw
import psycopg
import pytest

from adapters.hearings.schema import ensure_schema

DDL = Path(__file__).resolve().parents[2] / "adapters" / "hearings" / "sql" / "postgresql.sql"


def sqlite_shape() -> dict[str, dict]:
    conn = apsw.Connection(":memory:")
    ensure_schema(conn)
    shape: dict[str, dict] = {}
    tables = conn.execute(
        "SELECT name, sql FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name"
    ).fetchall()
    for table, ddl in tables:
        cols = conn.execute(f"PRAGMA table_info({table})").fetchall()  # cid, name, type, notnull, dflt, pk
        fks: dict[int, list] = {}
        for fk_id, _, parent, col, pcol, *_ in conn.execute(f"PRAGMA foreign_key_list({table})").fetchall():
            fks.setdefault(fk_id, []).append((col, parent, pcol))
        indexes = conn.execute(f"PRAGMA index_list({table})").fetchall()  # seq, name, unique, origin, partial
        shape[table] = {
            "columns": [c[1] for c in cols],
            "not_null": {c[1] for c in cols if c[3] or c[5]},
            "defaults": {c[1] for c in cols if c[4] is not None},
            "pk": tuple(c[1] for c in sorted(cols, key=lambda c: c[5]) if c[5]),
            "unique": {_index_cols(conn, i[1]) for i in indexes if i[3] == "u"},
            "fks": {(tuple(c for c, _, _ in f), f[0][1], tuple(p for _, _, p in f)) for f in fks.values()},
            "checks": len(re.findall(r"\bCHECK\s*\(", ddl)),
            "indexes": {i[1] for i in indexes if i[3] == "c"},
        }
    return shape


def _index_cols(conn: apsw.Connection, index: str) -> tuple[str, ...]:
    return tuple(r[2] for r in conn.execute(f"PRAGMA index_info({index})").fetchall())


PG_COLUMNS = """
SELECT a.attname, a.attnotnull, a.atthasdef FROM pg_attribute a
WHERE a.attrelid = %s::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum
"""
PG_CONSTRAINTS = """
SELECT k.contype, k.condeferrable, k.condeferred, confrelid::regclass::text,
       ARRAY(SELECT attname FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
             JOIN pg_attribute ON attrelid = k.conrelid AND attnum = u.n ORDER BY u.i),
       ARRAY(SELECT attname FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
             JOIN pg_attribute ON attrelid = k.confrelid AND attnum = u.n ORDER BY u.i)
FROM pg_constraint k WHERE k.conrelid = %s::regclass
"""
PG_INDEXES = """
SELECT c.relname FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
WHERE i.indrelid = %s::regclass AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)
"""


def pg_shape(conn: psycopg.Connection) -> tuple[dict[str, dict], set[tuple[bool, bool]]]:
    shape: dict[str, dict] = {}
    deferral = set()
    tables = [r[0] for r in conn.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
    for table in sorted(tables):
        cols = conn.execute(PG_COLUMNS, (table,)).fetchall()
        cons = conn.execute(PG_CONSTRAINTS, (table,)).fetchall()
        deferral |= {(c[1], c[2]) for c in cons if c[0] == "f"}
        shape[table] = {
            "columns": [c[0] for c in cols],
            "not_null": {c[0] for c in cols if c[1]},
            "defaults": {c[0] for c in cols if c[2]},
            "pk": next(tuple(c[4]) for c in cons if c[0] == "p"),
            "unique": {tuple(c[4]) for c in cons if c[0] == "u"},
            "fks": {(tuple(c[4]), c[3], tuple(c[5])) for c in cons if c[0] == "f"},
            "checks": sum(1 for c in cons if c[0] == "c"),
            "indexes": {r[0] for r in conn.execute(PG_INDEXES, (table,))},
        }
    return shape, deferral


@pytest.fixture
def hearings_db(pg_conn: psycopg.Connection) -> psycopg.Connection:
    pg_conn.execute(DDL.read_text(encoding="utf-8"))
    pg_conn.commit()
    return pg_conn


def test_same_tables_columns_keys_checks_and_indexes_as_sqlite(hearings_db: psycopg.Connection) -> None:
    expected = sqlite_shape()
    got, deferral = pg_shape(hearings_db)
    assert sorted(got) == sorted(expected)
    for table, want in expected.items():
        for aspect, value in want.items():
            assert got[table][aspect] == value, f"{table}.{aspect}"
    assert deferral == {(True, True)}  # every foreign key: DEFERRABLE INITIALLY DEFERRED
    assert len(expected) >= 18 and "hearing_continuations" in got


def test_checks_hold_and_foreign_keys_are_checked_when_asked(hearings_db: psycopg.Connection) -> None:
    conn = hearings_db
    with pytest.raises(psycopg.errors.CheckViolation, match="hearings_chamber_check"):
        conn.execute(
            "INSERT INTO hearings (event_id, congress, chamber, title, hearing_type, status)"
            " VALUES ('1', 119, 'Moon', 't', 'Hearing', 'Scheduled')"
        )
    conn.rollback()
    conn.execute("INSERT INTO hearing_committees (hearing_id, committee_id) VALUES (41, 42)")  # deferred: accepted
    with pytest.raises(psycopg.errors.ForeignKeyViolation, match="hearing_committees"):
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")  # the scoped check: this transaction's rows
    conn.rollback()


def test_values_as_the_store_writes_them(hearings_db: psycopg.Connection) -> None:
    conn = hearings_db
    conn.execute("SET TIME ZONE 'America/New_York'")  # defaults are UTC whatever the session says
    row = conn.execute(
        "INSERT INTO hearings (event_id, congress, chamber, title, hearing_type, status, hearing_date,"
        " update_date, hearing_date_only, hearing_time) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s)"
        " RETURNING hearing_id, hearing_date, update_date, hearing_time, created_at",
        ("118001", 119, "House", "A title", "Hearing", "Scheduled", "2025-06-12", "2025-06-12 17:33:11",
         "2025-06-12", "10:00:00"),
    ).fetchone()  # fmt: skip
    hearing_id, date, updated, time, created = row
    assert (date, updated, time) == (dt.date(2025, 6, 12), dt.datetime(2025, 6, 12, 17, 33, 11), dt.time(10))
    utc_now = dt.datetime.now(dt.UTC).replace(tzinfo=None)
    assert abs((created - utc_now).total_seconds()) < 60
    conn.execute(
        "INSERT INTO committees (system_code, name, chamber, type, congress, is_current)"
        " VALUES ('hsif00', 'Energy', 'House', 'Standing', 118, %s)",
        (False,),
    )
    conn.execute(
        "INSERT INTO hearing_committees (hearing_id, committee_id)"
        " SELECT %s, committee_id FROM committees WHERE system_code = 'hsif00'",
        (hearing_id,),
    )
    conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
    assert conn.execute("SELECT is_primary FROM hearing_committees").fetchone() == (True,)
    conn.execute("INSERT INTO committees (committee_id, system_code, name, chamber, type, congress) VALUES"
                 " (500, 'ssaf00', 'Agriculture', 'Senate', 'Standing', 118)")  # fmt: skip
    conn.commit()  # an explicit key (restore, revert, a copy from SQLite) is accepted
