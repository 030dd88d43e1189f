"""Additive tables for what the earlier schema has no place for: treaties, nominations and
the continuation days of a meeting. Created with ``IF NOT EXISTS`` on a new database and on
the earlier one alike (nothing of the earlier schema changes).

Each table hangs off ``hearings(hearing_id)`` like the earlier child tables (no ``ON DELETE
CASCADE``, an index on the foreign key, ``AUTOINCREMENT`` keys) and holds the API's item as
given: ``congress``, ``number`` and ``part`` as the API writes them, ``url`` its API link.
"""

from __future__ import annotations

from .schema_types import Executes

__all__ = ["RELATED_TABLES", "VIDEO_COLUMNS", "ensure_related_tables", "has_video_columns"]

RELATED_TABLES: tuple[str, ...] = (
    """CREATE TABLE IF NOT EXISTS hearing_treaties (
    hearing_treaty_id INTEGER PRIMARY KEY AUTOINCREMENT,
    hearing_id INTEGER NOT NULL,
    congress INTEGER,                         -- the Congress the treaty was submitted in
    treaty_number TEXT NOT NULL,
    part TEXT,                                -- part of a partitioned treaty (e.g. "A")
    url TEXT,                                 -- API reference URL
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    FOREIGN KEY (hearing_id) REFERENCES hearings(hearing_id)
)""",
    """CREATE TABLE IF NOT EXISTS hearing_nominations (
    hearing_nomination_id INTEGER PRIMARY KEY AUTOINCREMENT,
    hearing_id INTEGER NOT NULL,
    congress INTEGER,                         -- the Congress the nomination was received in
    nomination_number TEXT NOT NULL,
    part TEXT,                                -- "00" when the nomination is not partitioned
    url TEXT,                                 -- API reference URL
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    FOREIGN KEY (hearing_id) REFERENCES hearings(hearing_id)
)""",
    """CREATE TABLE IF NOT EXISTS hearing_continuations (
    continuation_id INTEGER PRIMARY KEY AUTOINCREMENT,
    hearing_id INTEGER NOT NULL,
    continuation_date DATE NOT NULL,          -- a later day of a multi-day meeting (UTC)
    continuation_time TIME,                   -- HH:MM:SS (UTC), NULL when only a date is given
    created_at TIMESTAMP DEFAULT CURRENT_TIMESTAMP,

    FOREIGN KEY (hearing_id) REFERENCES hearings(hearing_id)
)""",
    "CREATE INDEX IF NOT EXISTS idx_hearing_treaties_hearing ON hearing_treaties(hearing_id)",
    "CREATE INDEX IF NOT EXISTS idx_hearing_nominations_hearing ON hearing_nominations(hearing_id)",
    "CREATE INDEX IF NOT EXISTS idx_hearing_continuations_hearing ON hearing_continuations(hearing_id)",
)

VIDEO_COLUMNS = ("video_url", "youtube_video_id", "video_type")
"""The earlier system's later ``hearings`` columns (its migration ``001_add_video_fields``
and schema): filled where they exist, never added here."""


def ensure_related_tables(conn: Executes) -> None:
    """Create the additive tables and their indexes where missing."""
    for statement in RELATED_TABLES:
        conn.execute(statement, ())


def has_video_columns(conn: Executes) -> bool:
    """Whether ``hearings`` has all three of the earlier system's video columns."""
    names = {row[0] for row in conn.execute("SELECT name FROM pragma_table_info('hearings')", ())}
    return all(column in names for column in VIDEO_COLUMNS)
