"""Additive tables for what the earlier schema has no place for: treaties, nominations and
the continuation days of a meeting. Created with ``IF NOT EXISTS`` on a new database and on
the earlier one alike (nothing of the earlier schema changes).

Each table hangs off ``hearings(hearing_id)`` like the earlier child tables (no ``ON DELETE
CASCADE``, an index on the foreign key, ``AUTOINCREMENT`` keys) and holds the API's item as
given: ``congress``, ``number`` and ``part`` as the API writes them, ``url`` its API link.
Their DDL is ``sql/related_tables.sql``.
"""

from __future__ import annotations

from .ddl import RELATED_TABLES
from .schema_types import Executes, postgres_session
from .sqlrows import all_rows

__all__ = [
    "HEARINGS_COLUMNS_SQL",
    "RELATED_TABLES",
    "VIDEO_COLUMNS",
    "ensure_related_tables",
    "has_video_columns",
    "hearings_columns",
]

HEARINGS_COLUMNS_SQL = "SELECT name FROM pragma_table_info('hearings')"

VIDEO_COLUMNS = ("video_url", "youtube_video_id", "video_type")
"""The earlier system's later ``hearings`` columns (its migration ``001_add_video_fields``
and schema): filled where they exist, never added here."""


def ensure_related_tables(conn: Executes) -> None:
    """Create the additive tables and their indexes where missing."""
    for statement in RELATED_TABLES:
        conn.execute(statement, ())


def hearings_columns(conn: Executes) -> set[str]:
    """The names of ``hearings``' columns, on either engine."""
    pg = postgres_session(conn)
    if pg is not None:
        from .schema_pg import pg_columns

        return set(pg_columns(pg, "hearings"))
    return {row[0] for row in all_rows(conn, HEARINGS_COLUMNS_SQL)}


def has_video_columns(conn: Executes) -> bool:
    """Whether ``hearings`` has all three of the earlier system's video columns."""
    names = hearings_columns(conn)
    return all(column in names for column in VIDEO_COLUMNS)
