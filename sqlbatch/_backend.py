"""The backend seam: what differs between database engines, and nothing more.

The processor, the journal and the run lease never call the engine directly for these; they
ask the connection's :class:`Backend`:

* transactions: ``begin`` (a write transaction that takes the write lock at once: SQLite's
  ``BEGIN IMMEDIATE``), ``commit``, ``rollback``, and savepoints (open, release, roll back to);
* ``retryable_errors``: lock contention worth retrying (SQLite: busy, locked), matched by
  class; ``fatal_errors``: errors that are not a record's fault and end the run;
  ``database_errors``: the driver's base error class(es);
* ``lease(conn)``: the run lease (SQLite: an OS file lock beside the database file);
* ``foreign_key_check(conn, table)``: the scoped check, one table's dangling references;
* ``describe_fatal(exc)``: what a fatal error means for the operator, or ``None``;
* ``journal_ddl``: the ``sqlbatch_*`` tables in the engine's dialect.

:class:`SqliteBackend` (APSW) is the only implementation; :func:`backend_for` picks it.
Units of work and their rollback strategies stay engine-specific and are not part of it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any, Protocol

import apsw

from ._errors import TransactionLost
from ._journal_ddl import JOURNAL_DDL
from ._lease import FileLease, Lease, NoLease
from ._schema import quote

if TYPE_CHECKING:
    from ._connection import Connection

__all__ = ["SQLITE", "Backend", "SqliteBackend", "backend_for"]


class Backend(Protocol):
    name: str
    journal_ddl: str
    retryable_errors: tuple[type[BaseException], ...]
    fatal_errors: tuple[type[BaseException], ...]
    database_errors: tuple[type[BaseException], ...]

    def begin(self, conn: Connection) -> None: ...

    def commit(self, conn: Connection) -> None: ...

    def rollback(self, conn: Connection) -> None: ...

    def savepoint(self, conn: Connection, name: str) -> None: ...

    def release(self, conn: Connection, name: str) -> None: ...

    def rollback_to(self, conn: Connection, name: str) -> None: ...

    def lease(self, conn: Connection) -> Lease: ...

    def foreign_key_check(self, conn: Connection, table: str) -> list[tuple[Any, ...]]: ...

    def describe_fatal(self, exc: BaseException) -> str | None: ...


class SqliteBackend:
    """SQLite through APSW."""

    name = "sqlite"
    journal_ddl = JOURNAL_DDL
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

    def lease(self, conn: Connection) -> Lease:
        name = conn.raw.filename  # the resolved path, also for ``file:`` URIs; "" in memory
        return FileLease(name) if name else NoLease()

    def foreign_key_check(self, conn: Connection, table: str) -> list[tuple[Any, ...]]:
        """``(table, rowid, parent, fk index)`` of each row of ``table`` referring to a missing row."""
        return [tuple(r) for r in conn.raw.execute(f"PRAGMA foreign_key_check({quote(table)})")]

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
    """The backend of ``conn`` (SQLite: the only one so far)."""
    return SQLITE
