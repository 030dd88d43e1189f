"""Recording writes through SQLite's preupdate hook (``sqlite3_preupdate_hook``).

Hazards handled here, where they bite:

* The :class:`apsw.PreUpdate` object is valid only inside the callback: values are copied
  at once into plain tuples.
* An exception inside the callback cannot stop SQLite's write; it is kept in ``error`` and
  the unit of work refuses to commit (and cannot undo from an incomplete log).
* WITHOUT ROWID tables report rowid 0: entries are keyed by primary-key values instead.
* ``ROLLBACK TO`` produces no hook calls: callers cut the log with :meth:`truncate`.
* The hook is registered with an ``id`` and removed on :meth:`close`; the connection's
  single-capture reservation keeps a Session off the connection meanwhile.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any, NamedTuple

import apsw

from ._changes import Change
from ._errors import CaptureFailed, UnsupportedSchemaError

if TYPE_CHECKING:
    from ._connection import Connection


class Entry(NamedTuple):
    """One raw hook call, copied out of the callback."""

    table: str
    op: int  # apsw.SQLITE_INSERT / SQLITE_UPDATE / SQLITE_DELETE
    rowid: int
    rowid_new: int
    old: tuple | None
    new: tuple | None
    depth: int


_OP_NAMES = {apsw.SQLITE_INSERT: "INSERT", apsw.SQLITE_UPDATE: "UPDATE", apsw.SQLITE_DELETE: "DELETE"}
_INSERT, _DELETE = apsw.SQLITE_INSERT, apsw.SQLITE_DELETE


class HookRecorder:
    """The preupdate-hook capture of one unit of work on the ``main`` database."""

    def __init__(self, conn: Connection) -> None:
        conn.schema.refresh()
        virtual = conn.schema.virtual_generated_tables()
        if virtual:
            raise UnsupportedSchemaError(
                f"table(s) {', '.join(virtual)} have VIRTUAL generated columns, which SQLite's "
                "preupdate hook cannot read; use strategy='session' for this database"
            )
        self.conn = conn
        self.entries: list[Entry] = []
        self._built: list[Change] = []
        self.error: BaseException | None = None
        self.paused = False
        conn.claim_capture(self, self._hook)

    def _hook(self, u: apsw.PreUpdate, _new: Any = tuple.__new__) -> None:
        # Runs once per row written: every attribute read builds Python objects, so each
        # branch reads only what its operation has (tuple.__new__ skips NamedTuple's __new__).
        if self.paused:
            return
        try:
            if u.database_name != "main":
                return
            op = u.opcode
            if op == _INSERT:
                rowid = u.rowid
                entry = _new(Entry, (u.table_name, op, rowid, rowid, None, u.new, u.depth))
            elif op == _DELETE:
                rowid = u.rowid
                entry = _new(Entry, (u.table_name, op, rowid, rowid, u.old, None, u.depth))
            else:
                entry = _new(Entry, (u.table_name, op, u.rowid, u.rowid_new, u.old, u.new, u.depth))
            self.entries.append(entry)
        except BaseException as exc:  # noqa: BLE001 - SQLite cannot be told; remember instead
            if self.error is None:
                self.error = exc

    def check(self) -> None:
        """Raise :class:`CaptureFailed` if any hook call failed."""
        if self.error is not None:
            raise CaptureFailed(f"recording a change failed inside the preupdate hook: {self.error!r}") from self.error

    def mark(self) -> int:
        return len(self.entries)

    def truncate(self, mark: int = 0) -> None:
        del self.entries[mark:]
        del self._built[mark:]

    def changes(self) -> list[Change]:
        """The entries as :class:`Change` objects; built once per new entry (cached)."""
        done = self._built
        if len(done) > len(self.entries):  # the log was cut
            del done[len(self.entries) :]
        if len(done) < len(self.entries):
            schema = self.conn.schema
            for e in self.entries[len(done) :]:
                info = schema.table(e.table)
                key = info.key_of(e.rowid_new, e.new) if e.new is not None else info.key_of(e.rowid, e.old)
                done.append(Change.from_values(info, _OP_NAMES[e.op], key, e.old, e.new, e.depth))
        return list(done)

    def snapshot(self) -> Callable[[], list[Change]]:
        """The changes recorded so far, built only when called.

        Still right after :meth:`truncate`, :meth:`close` and later schema changes: the log
        is copied and the layouts of its tables are read now. Building thousands of
        :class:`Change` objects costs more than recording them, so a unit of work whose
        changes nobody reads never pays for it.
        """
        entries = list(self.entries)
        built = self._built[: len(entries)]  # what changes() built already is not built again
        schema = self.conn.schema
        infos = {name: schema.table(name) for name in {e[0] for e in entries[len(built) :]}}

        def build() -> list[Change]:
            out = list(built)
            for e in entries[len(built) :]:
                info = infos[e.table]
                new = e.new
                key = info.key_of(e.rowid_new, new) if new is not None else info.key_of(e.rowid, e.old)
                out.append(Change.from_values(info, _OP_NAMES[e.op], key, e.old, new, e.depth))
            return out

        return build

    def close(self) -> None:
        self.conn.release_capture(self)
