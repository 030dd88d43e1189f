"""The hearings schema on PostgreSQL: ``sql/postgresql.sql`` on an empty database, an existing
schema used as it is.

The DDL is the SQLite schema in PostgreSQL's dialect (the same tables, columns, constraints
and index names; ``tests/postgres/test_pg_hearings_schema.py`` holds them equal). On a
database that already has the hearings tables nothing is changed but what SQLite's
:func:`~adapters.hearings.schema.ensure_schema` adds too: a table of the file that is
missing (the additive treaties, nominations and continuations of an earlier database) with
its indexes, and the two columns the earlier system's ``ALTER TABLE`` added.

Every function takes a psycopg connection (``%s`` placeholders), in the caller's transaction.
"""

from __future__ import annotations

import re
from typing import Any

from .ddl import statements

__all__ = ["PG_ADDED_COLUMNS", "pg_columns", "pg_create", "pg_extend", "pg_user_tables"]

_TABLE = re.compile(r"CREATE TABLE (\w+)")
_INDEX_ON = re.compile(r"CREATE INDEX \w+ ON (\w+)")

# the columns of schema._ADDED_COLUMNS in PostgreSQL's types (as sql/postgresql.sql has them)
PG_ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("hearings", "hearing_date_only", "date"),
    ("hearings", "hearing_time", "time"),
)


def pg_user_tables(pg: Any) -> set[str]:
    """The tables of the current schema, but the journal's (``sqlbatch_*``)."""
    rows = pg.execute(
        "SELECT relname FROM pg_class WHERE relnamespace = to_regnamespace(current_schema()) AND relkind IN ('r', 'p')"
    ).fetchall()
    return {name for (name,) in rows if not name.startswith("sqlbatch_")}


def pg_columns(pg: Any, table: str) -> set[str]:
    rows = pg.execute(
        "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
        (table,),
    ).fetchall()
    return {name for (name,) in rows}


def pg_create(pg: Any) -> None:
    """Every statement of ``sql/postgresql.sql`` (an empty database)."""
    for statement in statements("postgresql.sql"):
        pg.execute(statement)


def pg_extend(pg: Any, tables: set[str]) -> None:
    """On an existing hearings schema: the file's missing tables (and their indexes), the added columns."""
    missing = set()
    for statement in statements("postgresql.sql"):
        table = _TABLE.match(statement)
        if table and table.group(1) not in tables:
            missing.add(table.group(1))
            pg.execute(statement)
        index = _INDEX_ON.match(statement)
        if index and index.group(1) in missing:
            pg.execute(statement)
    for table, column, decl in PG_ADDED_COLUMNS:
        if column not in pg_columns(pg, table):
            pg.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}")
