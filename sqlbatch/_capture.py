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

from typing import TYPE_CHECKING, NamedTuple

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
        self.error: BaseException | None = None
        self.paused = False
        conn.claim_capture(self)
        conn.raw.preupdate_hook(self._hook, id=self)

    def _hook(self, u: apsw.PreUpdate) -> None:
        if self.paused or u.database_name != "main":
            return
        try:
            op = u.opcode
            self.entries.append(
                Entry(
                    u.table_name,
                    op,
                    u.rowid,
                    u.rowid_new if op == apsw.SQLITE_UPDATE else u.rowid,
                    None if op == apsw.SQLITE_INSERT else u.old,
                    None if op == apsw.SQLITE_DELETE else u.new,
                    u.depth,
                )
            )
        except BaseException as exc:  # noqa: BLE001 - SQLite cannot be told; remember instead
            if self.error is None:
                self.error = exc

    def check(self) -> None:
        """Raise :class:`CaptureFailed` if any hook call failed."""
        if self.error is not None:
            raise CaptureFailed(
                f"recording a change failed inside the preupdate hook: {self.error!r}"
            ) from self.error

    def mark(self) -> int:
        return len(self.entries)

    def truncate(self, mark: int = 0) -> None:
        del self.entries[mark:]

    def changes(self) -> list[Change]:
        schema = self.conn.schema
        out = []
        for e in self.entries:
            info = schema.table(e.table)
            key = info.key_of(e.rowid_new, e.new) if e.new is not None else info.key_of(e.rowid, e.old)
            out.append(Change.from_values(info, _OP_NAMES[e.op], key, e.old, e.new, e.depth))
        return out

    def close(self) -> None:
        self.conn.raw.preupdate_hook(None, id=self)
        self.conn.release_capture(self)
