"""What the schema and store modules share: anything that executes SQL, and which engine it is."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["Executes", "postgres_session"]


class Executes(Protocol):
    """Anything with ``execute(sql, params)`` returning an iterable of row tuples, and
    ``executemany(sql, rows)``."""

    def execute(self, sql: str, bindings: Any = ..., /) -> Any: ...

    def executemany(self, sql: str, sequenceofbindings: Any, /) -> Any: ...


def postgres_session(conn: Any) -> Any | None:
    """The psycopg connection behind ``conn`` when it is a PostgreSQL one (a sqlbatch
    connection on a server, or a psycopg connection itself), else None (SQLite: APSW). A
    unit of work or the store's batch reader is asked through the connection it wraps."""
    inner = getattr(conn, "conn", None)
    if inner is not None and inner is not conn:
        return postgres_session(inner)
    if getattr(getattr(conn, "backend", None), "name", None) == "postgresql":
        return conn.raw
    if type(conn).__module__.startswith("psycopg"):  # no psycopg import for a SQLite run
        return conn
    return None
