"""The ``postgresql`` backend: what differs from SQLite behind the core's seam (psycopg 3).

* transactions: ``BEGIN`` (row locks are taken as rows are written; there is no database
  write lock to take first, unlike SQLite's ``BEGIN IMMEDIATE``), savepoints by name;
  a ``COMMIT`` of a failed transaction is refused here, never turned into a silent rollback;
* ``retryable_errors``: serialization failure ``40001``, deadlock ``40P01`` and
  ``55P03`` lock not available, psycopg's classes for exactly those SQLSTATEs (so matching
  is by SQLSTATE, never by text); the whole batch is retried;
* the lease: a session advisory lock per job (:class:`~sqlbatch._pg.lease.AdvisoryLease`);
* the scoped foreign-key check: the transaction's pending deferred checks, run at once
  (``SET CONSTRAINTS ALL IMMEDIATE`` in a rolled-back savepoint); dangling rows by query;
* restores (revert, post-run compensation) from JSON images through ``jsonb_populate_record``,
  without user triggers or foreign-key actions where the role may set
  ``session_replication_role``;
* no file backup before an all-or-nothing run: the run is one transaction (nothing of it
  stays if it fails), and a committed one is undone later from its undo journal
  (``sqlbatch_undo``) with ``revert``, or from the server's own backups / point-in-time
  recovery.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TYPE_CHECKING, Any

import psycopg
from psycopg import errors as pgerrors
from psycopg import sql

from .._backend import Dangling
from .._changes import Change
from .._errors import TransactionLost
from .errors import describe, retryable, sqlstate
from .fkcheck import dangling_rows, pending_foreign_key_problem
from .journal import JOURNAL_DDL, UNDO_DDL
from .lease import AdvisoryLease
from .strategies import check_strategy, tracker_for
from .tables import TableShape, compensate, table_shape

if TYPE_CHECKING:
    from .connection import PgConnection

__all__ = ["POSTGRES", "PostgresBackend"]


class PostgresBackend:
    """PostgreSQL through psycopg 3."""

    name = "postgresql"
    # serialised: two first runs on an empty database would race on CREATE TABLE IF NOT EXISTS
    journal_ddl = "SELECT pg_advisory_xact_lock(hashtext('sqlbatch.journal.ensure'));" + JOURNAL_DDL
    undo_ddl = UNDO_DDL
    retryable_errors: tuple[type[BaseException], ...] = (
        pgerrors.SerializationFailure,
        pgerrors.DeadlockDetected,
        pgerrors.LockNotAvailable,
    )
    database_errors: tuple[type[BaseException], ...] = (psycopg.Error,)
    # not a record's fault: the connection, the server's resources, a lost transaction
    # (psycopg's OperationalError covers the retryable ones and class 08, 53, 57)
    fatal_errors: tuple[type[BaseException], ...] = (
        psycopg.OperationalError,
        psycopg.InterfaceError,
        TransactionLost,
        MemoryError,
    )

    def begin(self, conn: PgConnection) -> None:
        conn.raw.execute("BEGIN")

    def commit(self, conn: PgConnection) -> None:
        if conn.transaction_failed:  # the server would answer COMMIT with a silent ROLLBACK
            conn.raw.execute("ROLLBACK")
            raise TransactionLost("COMMIT refused: a statement failed in this transaction; nothing was kept")
        conn.raw.execute("COMMIT")

    def rollback(self, conn: PgConnection) -> None:
        if conn.in_transaction:
            conn.raw.execute("ROLLBACK")

    def savepoint(self, conn: PgConnection, name: str) -> None:
        conn.raw.execute(f"SAVEPOINT {name}")

    def release(self, conn: PgConnection, name: str) -> None:
        conn.raw.execute(f"RELEASE SAVEPOINT {name}")

    def rollback_to(self, conn: PgConnection, name: str) -> None:
        conn.raw.execute(f"ROLLBACK TO SAVEPOINT {name}")

    def lease(self, conn: PgConnection, job: str = "default") -> AdvisoryLease:
        return conn.advisory_lease(job)

    def tracker(self, conn: PgConnection, strategy: Any) -> Any:
        return tracker_for(conn, strategy)

    def check_strategy(self, strategy: Any) -> None:
        check_strategy(strategy)

    def backup(self, conn: PgConnection, folder: Path | None, retention: int) -> Path | None:
        return None  # see the module's docstring: one transaction, the undo journal, revert

    # -- catalog --------------------------------------------------------------------------------
    def tables(self, conn: PgConnection) -> list[str]:
        rows = conn.raw.execute(
            "SELECT relname FROM pg_class WHERE relnamespace = to_regnamespace(current_schema())"
            " AND relkind IN ('r', 'p') ORDER BY relname"
        ).fetchall()
        return [r[0] for r in rows]

    def table_exists(self, conn: PgConnection, name: str) -> bool:
        return conn.query_value("SELECT to_regclass(%s) IS NOT NULL", (name,)) is True

    def table_columns(self, conn: PgConnection, table: str) -> set[str]:
        rows = conn.raw.execute(
            "SELECT attname FROM pg_attribute WHERE attrelid = to_regclass(%s) AND attnum > 0 AND NOT attisdropped",
            (table,),
        ).fetchall()
        return {r[0] for r in rows}

    # -- rows by their images ---------------------------------------------------------------------
    def current_row(self, conn: PgConnection, change: Change) -> dict[str, Any] | None:
        """The row ``change`` keys, as JSON by column name (as the images are recorded)."""
        shape = self._shape(conn, change.table)
        query = sql.SQL(
            "SELECT to_jsonb(t) FROM {t} t WHERE ({pk}) = (SELECT {pk} FROM jsonb_populate_record(NULL::{t}, %s))"
        ).format(t=shape.ident, pk=sql.SQL(", ").join(map(sql.Identifier, change.key_columns)))
        row = conn.raw.execute(query, (json.dumps(dict(zip(change.key_columns, change.key, strict=True))),)).fetchone()
        return row[0] if row else None

    def restore_changes(self, conn: PgConnection, changes: list[Change]) -> None:
        """Undo ``changes`` newest first in the open transaction, without user triggers where allowed."""
        quiet = conn.query_value(
            "SELECT rolsuper OR (current_setting('server_version_num')::int >= 150000"
            " AND has_parameter_privilege('session_replication_role', 'SET'))"
            " FROM pg_roles WHERE rolname = current_user"
        )
        if quiet:
            conn.raw.execute("SELECT set_config('session_replication_role', 'replica', true)")
        try:
            shapes: dict[str, TableShape] = {}
            with conn.raw.cursor() as cur:
                for c in reversed(changes):
                    shape = shapes.get(c.table) or shapes.setdefault(c.table, self._shape(conn, c.table))
                    after = c.after if c.after is not None else dict(zip(c.key_columns, c.key, strict=True))
                    before = json.dumps(c.before) if c.before is not None else None
                    compensate(cur, shape, c.op, before, json.dumps(after))
        finally:
            if quiet and not conn.transaction_failed:
                conn.raw.execute("SELECT set_config('session_replication_role', 'origin', true)")

    def _shape(self, conn: PgConnection, table: str) -> TableShape:
        return table_shape(conn.raw, conn.query_value("SELECT current_schema()"), table)

    # -- foreign keys -----------------------------------------------------------------------------
    def foreign_key_check(self, conn: PgConnection, table: str) -> list[tuple[Any, ...]]:
        """``(table, key, parent, constraint)`` of each row of ``table`` referring to a missing row."""
        return [(d.table, d.key, d.parent, d.constraint) for d in dangling_rows(conn.raw) if d.table == table]

    def dangling(self, conn: PgConnection, tables: set[str] | None = None) -> list[Dangling]:
        return dangling_rows(conn.raw, tables)

    def pending_foreign_keys(self, conn: PgConnection) -> list[str] | None:
        """The scoped check of what this transaction wrote: the first violated key, if any."""
        problem = pending_foreign_key_problem(conn.raw)
        return [problem.message] if problem else []

    def describe_fatal(self, exc: BaseException) -> str | None:
        if sqlstate(exc) is None:
            return None
        if retryable(exc):
            return (
                f"other sessions kept conflicting with this run beyond the retry budget ({describe(exc)}):"
                " run again later; committed batches are kept"
            )
        if isinstance(exc, psycopg.OperationalError):
            return f"the server stopped the run ({describe(exc)}); committed batches are kept, run again to resume"
        return None

    def __repr__(self) -> str:
        return "PostgresBackend()"


POSTGRES = PostgresBackend()
