"""The backend seam: what differs between database engines, and nothing more.

The processor, the journal and the run lease never call the engine directly for these; they
ask the connection's :class:`Backend`:

* transactions: ``begin`` (a write transaction that takes the write lock at once: SQLite's
  ``BEGIN IMMEDIATE``), ``commit``, ``rollback``, and savepoints (open, release, roll back to);
* ``retryable_errors``: lock contention worth retrying (SQLite: busy, locked), matched by
  class; ``fatal_errors``: errors that are not a record's fault and end the run;
  ``database_errors``: the driver's base error class(es);
* ``lease(conn, job)``: the run lease (SQLite: an OS file lock beside the database file,
  for every job; PostgreSQL: an advisory lock per job);
* ``tracker(conn, strategy)``: a unit of work's rollback strategy as the engine runs it, and
  ``check_strategy(strategy)``: refuse at construction one the engine does not have;
* ``foreign_key_check(conn, table)``: one table's dangling references; ``dangling(conn,
  tables)``: every row referring to a missing row, by key; ``pending_foreign_keys(conn)``:
  the engine's own scoped check of what the open transaction wrote (``None``: it has none,
  the validator checks the recorded changes itself);
* ``current_row`` / ``restore_changes``: a row by its recorded key, and before-images put
  back (revert, compensation); ``tables`` / ``table_exists`` / ``table_columns``: catalog;
* ``backup(conn, folder, retention)``: the copy taken before an all-or-nothing run, if any;
* ``describe_fatal(exc)``: what a fatal error means for the operator, or ``None``;
* ``journal_ddl`` / ``undo_ddl``: the ``sqlbatch_*`` tables in the engine's dialect.

SQL the core writes itself is otherwise common to both engines (``?`` placeholders, which
the PostgreSQL connection translates; ``ON CONFLICT`` upserts; ``RETURNING``).
:class:`SqliteBackend` (APSW) is here; ``sqlbatch._pg.backend.PostgresBackend`` (psycopg) is
imported only by a PostgreSQL connection. :func:`backend_for` gives a connection's.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple, Protocol

import apsw

from ._errors import TransactionLost
from ._journal_ddl import JOURNAL_DDL
from ._lease import FileLease, Lease, NoLease
from ._schema import quote
from ._undo import SCHEMA as UNDO_SCHEMA

if TYPE_CHECKING:
    from ._changes import Change
    from ._connection import Connection

__all__ = ["SQLITE", "Backend", "Dangling", "SqliteBackend", "backend_for"]


class Dangling(NamedTuple):
    """A row whose foreign key names a missing parent row."""

    table: str
    key_columns: tuple[str, ...]  # ("rowid",) on a SQLite rowid table
    key: tuple
    parent: str
    columns: tuple[str, ...]  # the foreign-key columns of ``table``
    values: tuple  # their values in the row
    parent_key: tuple[tuple[str, Any], ...]  # (parent column, value) of the missing row, if known
    constraint: Any  # SQLite: the foreign key's index; PostgreSQL: its name


class Backend(Protocol):
    name: str
    journal_ddl: str
    undo_ddl: str
    retryable_errors: tuple[type[BaseException], ...]
    fatal_errors: tuple[type[BaseException], ...]
    database_errors: tuple[type[BaseException], ...]

    def begin(self, conn: Connection) -> None: ...

    def commit(self, conn: Connection) -> None: ...

    def rollback(self, conn: Connection) -> None: ...

    def savepoint(self, conn: Connection, name: str) -> None: ...

    def release(self, conn: Connection, name: str) -> None: ...

    def rollback_to(self, conn: Connection, name: str) -> None: ...

    def lease(self, conn: Connection, job: str = "default") -> Lease: ...

    def tracker(self, conn: Connection, strategy: Any) -> Any: ...

    def check_strategy(self, strategy: Any) -> None: ...

    def backup(self, conn: Connection, folder: Path | None, retention: int) -> Path | None: ...

    def tables(self, conn: Connection) -> list[str]: ...

    def table_exists(self, conn: Connection, name: str) -> bool: ...

    def table_columns(self, conn: Connection, table: str) -> set[str]: ...

    def current_row(self, conn: Connection, change: Change) -> dict[str, Any] | None: ...

    def restore_changes(self, conn: Connection, changes: list[Change]) -> None: ...

    def foreign_key_check(self, conn: Connection, table: str) -> list[tuple[Any, ...]]: ...

    def dangling(self, conn: Connection, tables: set[str] | None = None) -> list[Dangling]: ...

    def pending_foreign_keys(self, conn: Connection) -> list[str] | None: ...

    def describe_fatal(self, exc: BaseException) -> str | None: ...


class SqliteBackend:
    """SQLite through APSW."""

    name = "sqlite"
    journal_ddl = JOURNAL_DDL
    undo_ddl = UNDO_SCHEMA
    retryable_errors: tuple[type[BaseException], ...] = (apsw.BusyError, apsw.LockedError)
    database_errors: tuple[type[BaseException], ...] = (apsw.Error,)
    fatal_errors: tuple[type[BaseException], ...] = (
        apsw.FullError,
        apsw.IOError,
        apsw.CorruptError,
        apsw.NotADBError,
        apsw.CantOpenError,
        apsw.ReadOnlyError,
        apsw.BusyError,
        apsw.LockedError,
        apsw.InterruptError,
        TransactionLost,
        MemoryError,
    )

    def begin(self, conn: Connection) -> None:
        conn.raw.execute("BEGIN IMMEDIATE")

    def commit(self, conn: Connection) -> None:
        conn.raw.execute("COMMIT")

    def rollback(self, conn: Connection) -> None:
        """Roll back the open transaction; nothing when SQLite already ended it."""
        if not conn.raw.get_autocommit():
            conn.raw.execute("ROLLBACK")

    def savepoint(self, conn: Connection, name: str) -> None:
        conn.raw.execute(f"SAVEPOINT {name}")

    def release(self, conn: Connection, name: str) -> None:
        conn.raw.execute(f"RELEASE {name}")

    def rollback_to(self, conn: Connection, name: str) -> None:
        conn.raw.execute(f"ROLLBACK TO {name}")

    def lease(self, conn: Connection, job: str = "default") -> Lease:
        """One run at a time on the file, whatever the job (SQLite has one writer anyway)."""
        name = conn.raw.filename  # the resolved path, also for ``file:`` URIs; "" in memory
        return FileLease(name) if name else NoLease()

    def tracker(self, conn: Connection, strategy: Any) -> Any:
        return strategy(conn)

    def check_strategy(self, strategy: Any) -> None:
        return None  # every strategy runs on SQLite

    def backup(self, conn: Connection, folder: Path | None, retention: int) -> Path | None:
        from ._backup import backup

        return backup(conn, folder, retention)

    def tables(self, conn: Connection) -> list[str]:
        return [r[0] for r in conn.raw.execute("SELECT name FROM sqlite_schema WHERE type='table' ORDER BY name")]

    def table_exists(self, conn: Connection, name: str) -> bool:
        return bool(conn.query_value("SELECT 1 FROM sqlite_schema WHERE type='table' AND name=?", (name,)))

    def table_columns(self, conn: Connection, table: str) -> set[str]:
        return {row[1] for row in conn.raw.execute(f"PRAGMA table_info({quote(table)})")}

    def current_row(self, conn: Connection, change: Change) -> dict[str, Any] | None:
        from ._sqlite_restore import current_row

        return current_row(conn, change)

    def restore_changes(self, conn: Connection, changes: list[Change]) -> None:
        from ._sqlite_restore import restore_changes

        restore_changes(conn, changes)

    def foreign_key_check(self, conn: Connection, table: str) -> list[tuple[Any, ...]]:
        """``(table, rowid, parent, fk index)`` of each row of ``table`` referring to a missing row."""
        return [tuple(r) for r in conn.raw.execute(f"PRAGMA foreign_key_check({quote(table)})")]

    def dangling(self, conn: Connection, tables: set[str] | None = None) -> list[Dangling]:
        """``PRAGMA foreign_key_check`` over ``tables`` and the tables referring to them (all: None)."""
        from ._sqlite_restore import dangling

        return dangling(conn, tables)

    def pending_foreign_keys(self, conn: Connection) -> list[str] | None:
        return None  # no queue of pending checks to run early: the validator checks the changes

    def describe_fatal(self, exc: BaseException) -> str | None:
        if isinstance(exc, apsw.FullError):
            return "the disk is full (SQLITE_FULL): free space, then run again; committed batches are kept"
        if isinstance(exc, self.retryable_errors):
            return (
                "the database stayed locked by another process beyond the retry budget: run again later;"
                " committed batches are kept"
            )
        if isinstance(exc, apsw.IOError):
            return f"an I/O error stopped the run ({exc}): check the disk, then run again; committed batches are kept"
        if isinstance(exc, apsw.ReadOnlyError):
            return "the database is read-only: give a writable file"
        return None

    def __repr__(self) -> str:
        return "SqliteBackend()"


SQLITE = SqliteBackend()


def backend_for(conn: Connection) -> Backend:
    """The backend of ``conn``: its ``backend`` attribute (SQLite for a plain APSW wrapper)."""
    return getattr(conn, "backend", SQLITE)
