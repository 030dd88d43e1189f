"""The earlier system's schema: create it on a new database, use an existing one as it is.

:func:`ensure_schema` creates, on an empty database, the full schema of the real earlier
database (``hearings-119-until-2025-08-31.db``) statement for statement, its DDL text
(``sql/earlier_schema.sql``, read by :mod:`.ddl`) copied verbatim from that database's
``sqlite_master`` (so ``hearing_date_only`` and
``hearing_time`` sit where its ``ALTER TABLE`` put them, and no ``ON DELETE CASCADE``).
On a database that already has the schema it changes nothing destructive: it only adds
what is missing (those two columns, and indexes with ``CREATE INDEX IF NOT EXISTS`` on every
child table's foreign-key column, which undo and link replacement need, plus one on
``witnesses(full_name COLLATE NOCASE)`` for the witness lookup, ``sql/store_indexes.sql``),
and on both the additive tables of ``schema_related`` (treaties, nominations, continuations).
No data: the committees are the run's (:mod:`.committees`).

A database holding other tables and no ``hearings(event_id)`` raises
:class:`SchemaMismatch`. Tables named ``sqlite_*`` and ``sqlbatch_*`` (the journal) do not
make a database non-empty.

On PostgreSQL the same checks hold; the schema is ``sql/postgresql.sql`` (:mod:`.schema_pg`).
"""

from __future__ import annotations

from typing import Literal

from .ddl import EARLIER_INDEXES, EARLIER_TABLES, statements
from .schema_pg import pg_columns, pg_create, pg_extend, pg_user_tables
from .schema_related import ensure_related_tables
from .schema_types import Executes, postgres_session
from .sqlrows import all_rows as _rows

__all__ = ["REQUIRED_COLUMNS", "SchemaMismatch", "ensure_schema", "is_hearings_schema", "schema_problems"]


class SchemaMismatch(RuntimeError):
    """The database has tables, but not the hearings schema this updater writes."""


# Indexes on every child table's foreign-key column (undo and link replacement look rows up
# by them): the earlier schema's own, added where an earlier database lacks them.
_FOREIGN_KEY_INDEXES = (
    "idx_committees_parent",
    "idx_hearing_committees_hearing",
    "idx_hearing_committees_committee",
    "idx_appearances_witness",
    "idx_appearances_hearing",
    "idx_witness_docs_appearance",
    "idx_supporting_docs_hearing",
    "idx_transcripts_hearing",
    "idx_hearing_bills_hearing",
    "idx_hearing_bills_bill",
    "idx_jurisdictions_committee",
    "idx_jurisdictions_policy",
    "idx_memberships_committee",
    "idx_memberships_member",
    "idx_leadership_member",
)


def _additive_indexes() -> tuple[str, ...]:
    """``CREATE INDEX IF NOT EXISTS`` of the foreign-key indexes, then the store's own."""
    by_name = {statement.split()[2]: statement for statement in EARLIER_INDEXES}
    earlier = tuple(
        by_name[name].replace("CREATE INDEX ", "CREATE INDEX IF NOT EXISTS ", 1) for name in _FOREIGN_KEY_INDEXES
    )
    return (*earlier, *statements("store_indexes.sql"))


_ADDITIVE_INDEXES = _additive_indexes()

# Columns a later version of the earlier system added with ALTER TABLE.
_ADDED_COLUMNS: tuple[tuple[str, str, str], ...] = (
    ("hearings", "hearing_date_only", "DATE"),
    ("hearings", "hearing_time", "TIME"),
)

# What the store reads and writes; a database lacking any of it is not usable.
REQUIRED_COLUMNS: dict[str, tuple[str, ...]] = {
    "hearings": (
        "hearing_id", "event_id", "congress", "chamber", "title", "hearing_type", "status",
        "hearing_date", "location", "jacket_number", "url", "update_date", "updated_at",
    ),
    "committees": (
        "committee_id", "system_code", "name", "chamber", "type", "parent_committee_id",
        "is_current", "url", "congress", "updated_at",
    ),
    "hearing_committees": ("hearing_id", "committee_id", "is_primary"),
    "witnesses": ("witness_id", "first_name", "last_name", "full_name", "title", "organization"),
    "witness_appearances": (
        "appearance_id", "witness_id", "hearing_id", "position", "appearance_order",
    ),
    "witness_documents": (
        "document_id", "appearance_id", "document_type", "title", "document_url", "format_type",
    ),
    "supporting_documents": (
        "document_id", "hearing_id", "document_type", "title", "description", "document_url",
        "format_type",
    ),
    "hearing_transcripts": ("transcript_id", "hearing_id", "jacket_number", "title", "document_url"),
}  # fmt: skip


def _user_tables(conn: Executes) -> set[str]:
    pg = postgres_session(conn)
    if pg is not None:
        return pg_user_tables(pg)
    names = _rows(conn, "SELECT name FROM sqlite_master WHERE type = 'table'")
    return {name for (name,) in names if not name.startswith("sqlite_") and not name.startswith("sqlbatch_")}


def _columns(conn: Executes, table: str) -> set[str]:
    pg = postgres_session(conn)
    if pg is not None:
        return pg_columns(pg, table)
    return {name for (name,) in _rows(conn, "SELECT name FROM pragma_table_info(?)", (table,))}


def schema_problems(conn: Executes) -> list[str]:
    """What this database lacks of the hearings schema (empty list: usable)."""
    tables = _user_tables(conn)
    problems = []
    for table, needed in REQUIRED_COLUMNS.items():
        if table not in tables:
            problems.append(f"table {table} is missing")
            continue
        missing = [c for c in needed if c not in _columns(conn, table)]
        if missing:
            problems.append(f"table {table} lacks column(s) {', '.join(missing)}")
    return problems


def is_hearings_schema(conn: Executes) -> bool:
    """Whether the database holds the hearings schema this updater can write into."""
    return not schema_problems(conn)


def ensure_schema(conn: Executes) -> Literal["created", "existing"]:
    """Create the schema on an empty database; on an existing one only add what is missing.

    Raises :class:`SchemaMismatch` when the database holds other tables. Runs inside a
    savepoint, so it is atomic with or without an open transaction. On PostgreSQL (a
    sqlbatch connection to a server, or a psycopg one) the DDL is ``sql/postgresql.sql``.
    """
    tables = _user_tables(conn)
    if tables and ("hearings" not in tables or "event_id" not in _columns(conn, "hearings")):
        shown = ", ".join(sorted(tables)[:8])
        raise SchemaMismatch(
            f"the database holds other tables ({shown}) and no hearings(event_id) table: "
            "it is not a hearings database; use a new file or the earlier system's database"
        )
    if tables:
        problems = schema_problems(conn)
        if problems:
            raise SchemaMismatch("incomplete hearings schema: " + "; ".join(problems))
    pg = postgres_session(conn)
    if pg is not None:
        with pg.transaction():  # a savepoint in the caller's transaction, else one of its own
            if tables:
                pg_extend(pg, tables)
            else:
                pg_create(pg)
        return "existing" if tables else "created"
    conn.execute("SAVEPOINT hearings_ensure_schema", ())
    try:
        if not tables:
            for statement in (*EARLIER_TABLES, *EARLIER_INDEXES):
                conn.execute(statement, ())
        else:
            for table, column, decl in _ADDED_COLUMNS:
                if column not in _columns(conn, table):
                    conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {decl}", ())
        for statement in _ADDITIVE_INDEXES:
            conn.execute(statement, ())
        ensure_related_tables(conn)
    except BaseException:
        conn.execute("ROLLBACK TO hearings_ensure_schema", ())
        conn.execute("RELEASE hearings_ensure_schema", ())
        raise
    conn.execute("RELEASE hearings_ensure_schema", ())
    return "existing" if tables else "created"
