"""``connect()``: the APSW connection wrapper the updater uses instead of raw connections.

Set up the way SQLite's own documentation recommends for a single writer with readers:
WAL journal, ``synchronous=NORMAL`` (durable against process crashes; the last commits may
be lost on power failure, never corrupted), foreign keys on, a busy timeout, a 4 MiB page
cache and temporary storage in memory. WAL is a property of the file, so the mode the file came
in is noted first and :meth:`Connection.restore_journal_mode` puts it back at the end of a job
(a rollback-journal file must stay one to open on a read-only file system).

Differences from :mod:`sqlite3` a porter should know:

* ``execute`` returns rows that are tuples *and* readable by column name (``row["title"]``),
  like ``sqlite3.Row`` but always on.
* No implicit transactions: statements autocommit unless inside ``with conn:`` (a
  ``BEGIN IMMEDIATE`` transaction, or a SAVEPOINT when one is already open) or a unit of work.
* ``execute`` runs only one statement when given parameters; ``executescript`` is
  ``execute`` without parameters (APSW runs every statement in the string).
* Errors are APSW's classes (``apsw.ConstraintError``, ``apsw.BusyError``...), not
  ``sqlite3.IntegrityError``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import apsw

from ._backend import SQLITE
from ._errors import CaptureConflictError, OpenError, UnitOfWorkError
from ._schema import SchemaCache
from ._units import UnitHost
from .file_mode import FileModeOutcome, found_mode, note_home, restore

__all__ = ["Connection", "FileModeOutcome", "Row", "connect"]

DEFAULT_BUSY_TIMEOUT_MS = 5_000
# 4 MiB page cache: larger caches ran no faster on the hearings job (20,000 meetings: 3.20 s with
# 64 or 8 MiB; 200,000: 44.7 s with 8 MiB, 43.7 s with 4, 41.9 s with 2) and every MiB is RSS a
# long run keeps (bench/README.md, P4: +22.8 MB with 8 MiB, +18.1 MB with 4 at 200,000).
DEFAULT_CACHE_KIB = 4 * 1024


class Row(tuple):
    """A result row: a tuple whose items can also be read by column name."""

    _names: tuple[str, ...]

    def __new__(cls, values: Sequence[Any], names: tuple[str, ...]) -> Row:
        row = super().__new__(cls, values)
        row._names = names
        return row

    def __getitem__(self, key: Any) -> Any:  # type: ignore[override]
        if isinstance(key, str):
            try:
                return tuple.__getitem__(self, self._names.index(key))
            except ValueError:
                raise KeyError(key) from None
        return tuple.__getitem__(self, key)

    def keys(self) -> tuple[str, ...]:
        return self._names

    def asdict(self) -> dict[str, Any]:
        return dict(zip(self._names, self, strict=True))


def _row_trace(cursor: apsw.Cursor, values: tuple) -> Row:
    return Row(values, tuple(d[0] for d in cursor.get_description()))


class Connection(UnitHost):
    """A thin wrapper over :class:`apsw.Connection`; ``raw`` is the APSW object."""

    def __init__(self, raw: apsw.Connection, path: str) -> None:
        self.raw = raw
        self.path = path
        self.backend = SQLITE
        self.schema = SchemaCache(raw)
        self._capture_owner: object | None = None
        self._capture_hooked = False  # the owner's preupdate hook is registered (under its id)
        self.init_units()
        #: The journal mode the file is kept in, noted before ``connect()`` switched it to WAL
        #: (``None`` for ``:memory:`` and read-only connections, which change nothing).
        self.found_journal_mode: str | None = None

    # -- the familiar surface ------------------------------------------------------------
    def cursor(self) -> apsw.Cursor:
        cur = self.raw.cursor()
        cur.row_trace = _row_trace
        return cur

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> apsw.Cursor:
        return self.cursor().execute(sql, params)

    def executemany(self, sql: str, seq: Iterable[Sequence[Any] | dict[str, Any]]) -> apsw.Cursor:
        return self.cursor().executemany(sql, seq)

    def executescript(self, sql: str) -> None:
        self.raw.execute(sql)

    def query_value(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        """The first column of the first row, or ``None``."""
        for row in self.raw.execute(sql, params):
            return row[0]
        return None

    def dump_rows(self) -> Iterator[str]:
        """Every table's rows as sorted ``"table: (values...)"`` lines, ``sqlite_sequence`` included.

        Not SQL (unlike :meth:`sqlite3.Connection.iterdump`): a stable text to compare two
        databases' contents with.
        """
        tables = [r[0] for r in self.raw.execute("SELECT name FROM sqlite_schema WHERE type='table' ORDER BY name")]
        for table in tables:
            quoted = '"' + table.replace('"', '""') + '"'
            rows = sorted(repr(row) for row in self.raw.execute(f"SELECT * FROM {quoted}"))
            for row in rows:
                yield f"{table}: {row}"

    @property
    def in_transaction(self) -> bool:
        return not self.raw.get_autocommit()

    #: SQLite never keeps a transaction open in a failed state (it undoes the statement, or
    #: ends the transaction); PostgreSQL does until a rollback (``PgConnection``).
    transaction_failed = False

    def total_changes(self) -> int:
        return self.raw.total_changes()

    def changes(self) -> int:
        return self.raw.changes()

    def last_insert_rowid(self) -> int:
        return self.raw.last_insert_rowid()

    def close(self) -> None:
        if self.active_unit is not None:
            raise UnitOfWorkError("close(): a unit of work is still open on this connection")
        self.raw.close()

    def restore_journal_mode(self, wait_s: float = 2.0) -> FileModeOutcome:
        """Checkpoint the WAL and put the file back in the journal mode it came in.

        A rollback-journal (or new) file goes back to ``delete`` and its ``-wal``/``-shm``
        disappear, so it opens on a read-only file system; a WAL file stays WAL, checkpointed.
        Switching out of WAL needs the only connection to the file: while others keep it open
        (up to ``wait_s`` seconds) the file stays in WAL and the outcome says ``blocked``; the
        next connection that finds it so puts it back. Never raises for busy or I/O errors:
        the outcome carries them. The connection stays usable (in the restored mode).

        Not done by :meth:`close`: a program with several connections on one file would have
        every close wait for the others, and a close has no way to report the outcome.
        """
        if self.found_journal_mode is None:  # in memory or read-only: this connection changed nothing
            mode = str(self.query_value("PRAGMA journal_mode")).lower()
            return FileModeOutcome(mode, mode)
        if self.active_unit is not None or self.in_transaction:
            raise UnitOfWorkError("restore_journal_mode(): finish the open transaction or unit of work first")
        return restore(self.raw, self.found_journal_mode, wait_s)

    # -- units of work and change capture --------------------------------------------------
    def abort(self) -> None:
        """Roll back whatever is open and free the capture; safe to call when nothing is.

        The open transaction is rolled back, the open unit of work ends (its hook or Session
        closed, nothing undone one by one: the rollback did it) and a capture its tracker
        failed to free is freed here, so the next unit of work can capture again. A Session
        the caller opened with :meth:`session` stays theirs.
        """
        if self.in_transaction:
            with contextlib.suppress(apsw.Error):
                self.raw.execute("ROLLBACK")
        self.drop_unit()  # best effort: what it leaves is freed below
        owner = self._capture_owner
        if owner is not None and not isinstance(owner, _UserSession):
            self.release_capture(owner)

    def session(self) -> apsw.Session:
        """An :class:`apsw.Session` on ``main``; refused while a preupdate capture is active.

        The connection's capture is held until the session's ``close()``.
        """
        token = object()
        self.claim_capture(token)
        try:
            session = _UserSession(self, "main")
        finally:
            self.release_capture(token)
        self.claim_capture(session)
        return session

    def claim_capture(self, owner: object, hook: Callable[[apsw.PreUpdate], None] | None = None) -> None:
        """Reserve this connection's single change capture (preupdate hook or Session).

        SQLite's session extension is built on the preupdate hook: a Session created while
        a hook is registered replaces it (APSW warns the process can crash). One owner at a
        time makes that combination impossible. ``hook`` is registered here (under the
        owner's id) so that releasing the capture always removes it too.
        """
        if self._capture_owner is not None and self._capture_owner is not owner:
            raise CaptureConflictError(
                f"this connection already has a change capture ({self._capture_owner!r}); "
                "a preupdate hook and a Session cannot share one connection: "
                "finish the open unit of work first, or use a second connection"
            )
        self._capture_owner = owner
        if hook is not None:
            self.raw.preupdate_hook(hook, id=owner)
            self._capture_hooked = True

    def release_capture(self, owner: object) -> None:
        """Free the capture ``owner`` holds, removing its hook; nothing when it holds none."""
        if self._capture_owner is not owner:
            return
        if self._capture_hooked:
            self.raw.preupdate_hook(None, id=owner)
            self._capture_hooked = False
        self._capture_owner = None

    def backup_to(self, destination: str | os.PathLike[str], pages_per_step: int = 1024) -> None:
        """Online copy of ``main`` into ``destination`` with SQLite's backup API.

        The copy is left in the journal mode the file came in: the backup API copies page 1
        as it is, and a copy taken while the file is in WAL would otherwise be a WAL file.
        """
        dest = apsw.Connection(str(destination))
        try:
            with dest.backup("main", self.raw, "main") as b:
                while not b.done:
                    b.step(pages_per_step)
            if self.found_journal_mode not in (None, "wal"):
                dest.execute(f"PRAGMA journal_mode={self.found_journal_mode}").fetchall()
        finally:
            dest.close()

    def __repr__(self) -> str:
        return f"<sqlbatch.Connection {self.path!r}>"


class _UserSession(apsw.Session):
    """An :class:`apsw.Session` that frees its connection's capture when closed."""

    def __init__(self, conn: Connection, schema: str) -> None:
        super().__init__(conn.raw, schema)
        self._sqlbatch_conn = conn

    def close(self) -> None:
        try:
            super().close()
        finally:
            self._sqlbatch_conn.release_capture(self)

    def __repr__(self) -> str:
        return "<user Session>"


def connect(
    path: str | os.PathLike[str],
    *,
    busy_timeout_ms: int = DEFAULT_BUSY_TIMEOUT_MS,
    cache_kib: int = DEFAULT_CACHE_KIB,
    wal: bool = True,
    synchronous: str = "NORMAL",
    foreign_keys: bool = True,
    create: bool = True,
    readonly: bool = False,
) -> Connection:
    """Open ``path`` with the recommended settings and return a :class:`Connection`.

    With ``wal`` (the default) a rollback-journal file is switched to WAL, after its mode is
    noted in the file (table ``sqlbatch_file_mode``) so that :meth:`Connection.restore_journal_mode`
    (at the end of a job, or of the next one if this one dies) can put it back.

    Raises :class:`sqlbatch.OpenError` with a message saying what to do when the folder
    does not exist, the file is not a SQLite database, or it cannot be written.

    A ``postgresql://`` (or ``postgres://``) URL opens a session on that server instead
    (psycopg 3, ``sqlbatch._pg.connection.PgConnection``: the same surface; the SQLite
    options do not apply there). Its password never appears in errors or ``repr``.
    """
    text = os.fspath(path)
    if text.startswith(("postgresql://", "postgres://")):
        from ._pg.connection import connect_postgres  # psycopg is imported only for a server

        return connect_postgres(text)  # type: ignore[return-value]
    if text != ":memory:" and not text.startswith("file:"):
        folder = Path(text).resolve().parent
        if not folder.is_dir():
            raise OpenError(f"cannot open database {text!r}: folder {str(folder)!r} does not exist; create it first")
        if not create and not Path(text).exists():
            raise OpenError(f"cannot open database {text!r}: no such file")
    flags = apsw.SQLITE_OPEN_READONLY if readonly else apsw.SQLITE_OPEN_READWRITE
    if create and not readonly:
        flags |= apsw.SQLITE_OPEN_CREATE
    flags |= apsw.SQLITE_OPEN_URI
    try:
        raw = apsw.Connection(text, flags=flags)
        raw.set_busy_timeout(busy_timeout_ms)
        raw.execute("PRAGMA schema_version").fetchall()  # reads page 1: fails on a non-database
        found = None if readonly or text == ":memory:" else found_mode(raw)
        if wal and found is not None:
            note_home(raw, found)  # so that a run that dies in WAL still knows where home is
        if wal and not readonly:
            mode = raw.execute("PRAGMA journal_mode=WAL").fetchall()[0][0]
            if text != ":memory:" and str(mode).lower() != "wal":
                raise OpenError(f"cannot switch {text!r} to WAL (journal_mode is {mode})")
        raw.execute(
            f"PRAGMA synchronous={synchronous}; PRAGMA foreign_keys={'ON' if foreign_keys else 'OFF'};"
            f" PRAGMA cache_size=-{int(cache_kib)}; PRAGMA temp_store=MEMORY"
        )
    except apsw.NotADBError as exc:
        raise OpenError(f"{text!r} is not a SQLite database ({exc}); give a new or a SQLite file") from exc
    except apsw.CantOpenError as exc:
        raise OpenError(f"cannot open database {text!r} ({exc}); check the path and its permissions") from exc
    except apsw.ReadOnlyError as exc:
        raise OpenError(f"database {text!r} is read-only ({exc}); give a writable file") from exc
    conn = Connection(raw, text)
    conn.found_journal_mode = found
    return conn
