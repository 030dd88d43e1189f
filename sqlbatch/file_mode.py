"""Leaving the database file in the journal mode it came in.

A writer wants WAL (readers keep reading while batches commit), but WAL is a property of the
file (header bytes 18-19 = 2), not of the connection: a file left in WAL cannot be opened on a
read-only file system without its ``-shm``, which is how the earlier system's web app deploys
it. So :func:`found_mode` notes the mode before ``connect()`` switches to WAL, and
:func:`restore` checkpoints the WAL into the file (``wal_checkpoint(TRUNCATE)``) and switches
back, after which SQLite removes ``-wal`` and ``-shm``. A WAL file stays WAL (checkpointed).

While the file is away from home its home mode is written in it, in the one-row table
``sqlbatch_file_mode`` (:func:`note_home`, before the switch to WAL; dropped once it is back):
a run that dies (SIGKILL, power cut) or cannot switch back leaves a WAL file that the next
connection knows is not home, and puts back at its end. Leaving WAL needs the only connection
to the file: any other one, even idle, holds a shared lock and SQLite answers ``SQLITE_BUSY`` at
once; then the file stays in WAL and the outcome says so.
"""

from __future__ import annotations

import contextlib
import time
from dataclasses import asdict, dataclass
from typing import Any

import apsw

__all__ = ["FileModeOutcome", "found_mode", "note_home", "restore"]

NOTE_TABLE = "sqlbatch_file_mode"
_RETRY_PAUSE_S = 0.05


@dataclass(frozen=True)
class FileModeOutcome:
    """What :meth:`sqlbatch.Connection.restore_journal_mode` did.

    ``found`` is the mode the file is kept in (the one it came in), ``left`` the mode it is in
    now. ``blocked``: other connections kept it from going back (it stays in WAL, the next
    run retries). ``error``: an I/O or other SQLite error stopped the switch (same).
    """

    found: str
    left: str
    blocked: bool = False
    error: str | None = None

    @property
    def restored(self) -> bool:
        return self.found == self.left and not self.blocked and self.error is None

    def message(self) -> str | None:
        """One line for a person when the file was not left as it came, else ``None``."""
        if self.restored:
            return None
        kept = f"the database file stays in {self.left.upper()} mode (it came in {self.found})"
        if self.blocked:
            return (
                f"{kept}: other connections have it open (readers such as a web app); close them and"
                " the next run puts it back (its -wal and -shm files must be deployed with it until then)"
            )
        return f"{kept}: {self.error}; check the disk, the next run puts it back"

    def to_dict(self) -> dict[str, Any]:
        return {**asdict(self), "restored": self.restored, "message": self.message()}


def found_mode(raw: apsw.Connection) -> str:
    """The mode this file is kept in, read before the connection changes it.

    A rollback-journal file reads as ``delete`` (the other rollback modes are per
    connection, not stored in the file); so does a new, empty file. A WAL file reads as
    ``wal`` unless it carries the note of an earlier connection that switched it.
    """
    mode = _mode(raw)
    if mode != "wal":
        return mode
    if _has_note(raw):
        rows = raw.execute(f"SELECT mode FROM {NOTE_TABLE} LIMIT 1").fetchall()
        if rows:
            return str(rows[0][0])
    return mode


def note_home(raw: apsw.Connection, home: str) -> None:
    """Before switching a rollback-journal file to WAL, write its home mode in it (committed)."""
    if _mode(raw) == "wal":
        return  # already away, and noted (or a WAL file by choice)
    # BUSY: another connection holds the file, so the switch to WAL fails too and says so
    with contextlib.suppress(apsw.BusyError, apsw.LockedError):
        _remember(raw, home, quiet=False)


def _has_note(raw: apsw.Connection) -> bool:
    return bool(raw.execute("SELECT 1 FROM sqlite_schema WHERE type='table' AND name=?", (NOTE_TABLE,)).fetchall())


def restore(raw: apsw.Connection, target: str, wait_s: float) -> FileModeOutcome:
    """Checkpoint and switch the file back to ``target``; never raises for busy or I/O errors.

    ``wait_s`` bounds how long other connections may keep it from going back.
    """
    current = _mode(raw)
    if current != "wal":  # this connection never switched (or already restored)
        return FileModeOutcome(target, current)
    deadline = time.monotonic() + wait_s
    saved_timeout = raw.execute("PRAGMA busy_timeout").fetchall()[0][0]
    raw.set_busy_timeout(max(1, int(wait_s * 1000)))
    try:
        busy = _checkpoint(raw, deadline)
        if target == "wal":
            return FileModeOutcome("wal", "wal", blocked=busy)
        while True:
            try:
                left = str(raw.execute(f"PRAGMA journal_mode={target}").fetchall()[0][0]).lower()
                break
            except (apsw.BusyError, apsw.LockedError):
                if time.monotonic() >= deadline:
                    _remember(raw, target)
                    return FileModeOutcome(target, "wal", blocked=True)
                time.sleep(_RETRY_PAUSE_S)
        if left != target:
            _remember(raw, target)
            return FileModeOutcome(target, left, error=f"SQLite kept journal_mode {left}")
        _forget(raw)
        return FileModeOutcome(target, left)
    except apsw.Error as exc:
        return FileModeOutcome(target, _mode_or(raw, "wal"), error=_describe(exc))
    finally:
        raw.set_busy_timeout(int(saved_timeout))


def _describe(exc: apsw.Error) -> str:
    if isinstance(exc, apsw.IOError):
        return f"a disk I/O error (SQLITE_IOERR{': ' + str(exc) if str(exc) else ''}) stopped the switch"
    return f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__


def _mode(raw: apsw.Connection) -> str:
    return str(raw.execute("PRAGMA journal_mode").fetchall()[0][0]).lower()


def _mode_or(raw: apsw.Connection, default: str) -> str:
    try:
        return _mode(raw)
    except apsw.Error:
        return default


def _checkpoint(raw: apsw.Connection, deadline: float) -> bool:
    """``wal_checkpoint(TRUNCATE)`` until it is complete or the deadline passed; True if busy."""
    while True:
        busy = raw.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchall()[0][0]
        if not busy or time.monotonic() >= deadline:
            return bool(busy)
        time.sleep(_RETRY_PAUSE_S)


def _remember(raw: apsw.Connection, target: str, *, quiet: bool = True) -> None:
    """Note the file's home mode, for the next connection that finds it in WAL."""
    try:
        with raw:
            raw.execute(f"CREATE TABLE IF NOT EXISTS {NOTE_TABLE} (mode TEXT NOT NULL)")
            raw.execute(f"DELETE FROM {NOTE_TABLE}")
            raw.execute(f"INSERT INTO {NOTE_TABLE} (mode) VALUES (?)", (target,))
    except apsw.Error:
        if not quiet:
            raise
        # quiet: the outcome still says the file stayed in WAL; only the next run's hint is lost


def _forget(raw: apsw.Connection) -> None:
    try:
        if _has_note(raw):
            with raw:
                raw.execute(f"DROP TABLE {NOTE_TABLE}")
    except apsw.Error:
        pass  # harmless: the note is read only when the file is found in WAL
