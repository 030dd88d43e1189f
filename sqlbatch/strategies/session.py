"""``session``: SQLite's session extension records a changeset; undo applies its inverse.

Uses ``sqlite3session_*`` through :class:`apsw.Session` with
``SQLITE_SESSION_OBJCONFIG_ROWID`` so tables without a declared PRIMARY KEY are tracked by
rowid, and ``sqlite3changeset_apply_v2`` with ``SQLITE_CHANGESETAPPLY_INVERT`` and
``FKNOACTION`` to undo. The changeset holds the *net* change per row (an INSERT then UPDATE
of one row is one INSERT), which is also what :meth:`changes` reports. Works on tables with
VIRTUAL generated columns, which the preupdate hook cannot read.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import apsw

from .._changes import Change
from .._schema import TableInfo
from .._sequence import SequenceSnapshot
from ._base import quiet_writes

if TYPE_CHECKING:
    from .._connection import Connection

_APPLY_FLAGS = apsw.SQLITE_CHANGESETAPPLY_INVERT | apsw.SQLITE_CHANGESETAPPLY_FKNOACTION


class UndoConflict(apsw.Error):
    pass


def _abort_on_conflict(reason: int, change: apsw.TableChange) -> int:
    return apsw.SQLITE_CHANGESET_ABORT


class SessionTracker:
    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._raw = conn.raw
        conn.claim_capture(self)
        try:
            self._sequence = SequenceSnapshot(conn.raw)
            session = apsw.Session(conn.raw, "main")
            session.config(apsw.SQLITE_SESSION_OBJCONFIG_ROWID, 1)
            session.table_filter(lambda name: not name.startswith("sqlite_"))
            session.attach()
        except BaseException:
            conn.release_capture(self)
            raise
        self._session: apsw.Session | None = session

    def changeset(self) -> bytes:
        assert self._session is not None
        return self._session.changeset()

    def changes(self) -> list[Change]:
        """Net change per row. An UPDATE's ``before``/``after`` hold only the primary key
        (``before``) and the columns that changed: the changeset carries no other values."""
        return self.snapshot()()

    def snapshot(self) -> Callable[[], list[Change]]:
        """The changes so far, decoded only when called (still right after undo and close).

        Taking the changeset decodes no value, so a value Python cannot decode (TEXT that is
        not UTF-8) can never stop an undo; it fails only whoever reads the changes.
        """
        changeset = self.changeset()
        schema = self._conn.schema
        infos = {name: schema.table(name) for name in {tc.name for tc in apsw.Changeset.iter(changeset)}}
        return lambda: _changes_of(changeset, infos)

    def check(self) -> None:
        return None

    def undo(self) -> None:
        assert self._session is not None
        changeset = self._session.changeset()
        self._session.enabled = False
        try:
            with quiet_writes(self._raw):
                if changeset:
                    apsw.Changeset.apply(changeset, self._raw, flags=_APPLY_FLAGS, conflict=_abort_on_conflict)
                self._sequence.restore()
        finally:
            self._restart()

    def _restart(self) -> None:
        # A fresh session: the old one still holds the undone changes.
        assert self._session is not None
        self._session.close()
        session = apsw.Session(self._raw, "main")
        session.config(apsw.SQLITE_SESSION_OBJCONFIG_ROWID, 1)
        session.table_filter(lambda name: not name.startswith("sqlite_"))
        session.attach()
        self._session = session

    def close(self) -> None:
        if self._session is not None:
            self._session.close()
            self._session = None
        self._conn.release_capture(self)


def _changes_of(changeset: bytes, infos: dict[str, TableInfo]) -> list[Change]:
    out = []
    for tc in apsw.Changeset.iter(changeset):
        info = infos[tc.name]
        # The changeset leaves out generated columns, and for a table without a declared
        # PRIMARY KEY (SQLITE_SESSION_OBJCONFIG_ROWID) puts the rowid first.
        names: list[str | None] = [info.columns[i] for i in info.writable]
        if tc.column_count == len(names) + 1:
            names.insert(0, None)  # the rowid: part of the key, not a column
        values = tc.new if tc.op == "INSERT" else tc.old
        key = tuple(values[i] for i in sorted(tc.pk_columns))  # pk_columns: a set of indexes
        key_columns = tuple(names[i] or "rowid" for i in sorted(tc.pk_columns))
        before = _by_name(names, tc.old)
        after = _by_name(names, tc.new)
        out.append(Change(info.name, tc.op, key, before, after, int(bool(tc.indirect)), key_columns))
    return out


def _by_name(names: list[str | None], values: tuple | None) -> dict | None:
    """Values by column name; columns the changeset does not carry (``no_change``) left out."""
    if values is None:
        return None
    return {n: v for n, v in zip(names, values, strict=True) if n is not None and v is not apsw.no_change}


class SessionStrategy:
    """Session extension changeset; rollback applies the inverted changeset."""

    name = "session"

    def __call__(self, conn: Connection) -> SessionTracker:
        return SessionTracker(conn)

    def __repr__(self) -> str:
        return "SessionStrategy()"
