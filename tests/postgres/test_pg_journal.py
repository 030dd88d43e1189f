"""The journal's PostgreSQL tables have SQLite's columns, keys and defaults, and its time form."""

from __future__ import annotations

import datetime as dt
import re
import threading

import apsw
import psycopg

from sqlbatch._journal_ddl import TABLES as SCHEMA
from sqlbatch._pg.journal import ensure_journal
from sqlbatch._undo import SCHEMA as UNDO_SCHEMA


def sqlite_journal() -> dict[str, list[tuple]]:
    conn = apsw.Connection(":memory:")
    conn.execute(SCHEMA + UNDO_SCHEMA)
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    out = {}
    for table in tables:
        # name, NOT NULL (a primary key column counts), has a default (a rowid alias counts)
        cols = conn.execute(f"PRAGMA table_info({table})").fetchall()
        rowid_alias = (
            [c[1] for c in cols if c[5] and c[2].upper() == "INTEGER"] if sum(c[5] > 0 for c in cols) == 1 else []
        )
        out[table] = [(c[1], bool(c[3] or c[5]), c[4] is not None or c[1] in rowid_alias, c[5]) for c in cols]
    return out


def pg_journal(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    rows = conn.execute(
        "SELECT c.relname, a.attname, a.attnotnull, a.atthasdef OR a.attidentity <> '',"
        " coalesce(array_position(i.indkey::int2[], a.attnum) + 1, 0)"
        " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
        " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped"
        " LEFT JOIN pg_index i ON i.indrelid = c.oid AND i.indisprimary"
        " WHERE n.nspname = 'public' AND c.relkind = 'r' ORDER BY c.relname, a.attnum"
    ).fetchall()
    out: dict[str, list[tuple]] = {}
    for table, *col in rows:
        out.setdefault(table, []).append(tuple(col))
    return out


def test_same_tables_columns_keys_and_defaults_as_sqlite(pg_conn: psycopg.Connection) -> None:
    ensure_journal(pg_conn)
    ensure_journal(pg_conn)  # idempotent
    pg_conn.commit()
    assert pg_journal(pg_conn) == sqlite_journal()


def test_times_have_sqlites_form_and_keys_are_assigned(pg_conn: psycopg.Connection) -> None:
    ensure_journal(pg_conn)
    run_id, started = pg_conn.execute(
        "INSERT INTO sqlbatch_runs (mode, strategy, on_failure, batch_size, status)"
        " VALUES ('batched', 'savepoint', 'isolate', 50, 'running') RETURNING run_id, started_at"
    ).fetchone()
    assert run_id == 1
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", started)
    sqlite_now = apsw.Connection(":memory:").execute("SELECT strftime('%Y-%m-%dT%H:%M:%fZ','now')").fetchone()[0]
    gap = dt.datetime.fromisoformat(sqlite_now) - dt.datetime.fromisoformat(started)
    assert abs(gap.total_seconds()) < 60  # the same clock, UTC on both
    pg_conn.execute("INSERT INTO sqlbatch_runs (run_id, mode, strategy, on_failure, batch_size, status)"
                    " VALUES (7, 'batched', 'memory', 'isolate', 50, 'completed')")  # fmt: skip
    pg_conn.commit()


def test_two_first_runs_create_it_at_once(pg_conn: psycopg.Connection, pg_url: str) -> None:
    errors: list[BaseException] = []

    def first_run() -> None:
        try:
            with psycopg.connect(pg_url) as conn:
                ensure_journal(conn)
                conn.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=first_run) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(pg_journal(pg_conn)) == 5
