"""``memory``: an undo log of before-images from the preupdate hook (the plan's choice).

Rollback replays the log in reverse with compensating statements keyed by rowid (or by
primary key for WITHOUT ROWID tables), then restores ``sqlite_sequence``. The log may hold
entries of a statement that failed after writing and that SQLite undid itself (the hook never
hears of statement rollbacks); replayed, they leave the row as it is: an UPDATE's
compensation writes the values the row has again, an INSERT's deletes a row that is absent
(or one that the statement's own DELETE entries then put back, as for a REPLACE), and a
DELETE's re-INSERT finds the row still there and does nothing. Handles NULLs,
BLOBs, large text, cascades and trigger writes (they are in the log at depth >= 1).
Refuses databases with VIRTUAL generated columns (the hook cannot read those rows).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import apsw

from .._capture import Entry, HookRecorder
from .._changes import Change
from .._schema import TableInfo, quote
from .._sequence import SequenceSnapshot
from ._base import quiet_writes

if TYPE_CHECKING:
    from .._connection import Connection


class MemoryTracker:
    def __init__(self, conn: Connection) -> None:
        self._raw = conn.raw
        self._schema = conn.schema
        self._sequence = SequenceSnapshot(conn.raw)
        self._recorder = HookRecorder(conn)

    def changes(self) -> list[Change]:
        return self._recorder.changes()

    def snapshot(self) -> Callable[[], list[Change]]:
        return self._recorder.snapshot()

    def check(self) -> None:
        self._recorder.check()

    def undo(self) -> None:
        self._recorder.check()
        recorder = self._recorder
        recorder.paused = True
        try:
            with quiet_writes(self._raw):
                for entry in reversed(recorder.entries):
                    self._compensate(self._schema.table(entry.table), entry)
                self._sequence.restore()
        finally:
            recorder.paused = False
        recorder.truncate()

    def close(self) -> None:
        self._recorder.close()

    def _compensate(self, info: TableInfo, e: Entry) -> None:
        raw = self._raw
        if e.op == apsw.SQLITE_INSERT:
            where, key = _where(info, e.rowid_new, e.new)
            raw.execute(f"DELETE FROM main.{quote(info.name)} WHERE {where}", key)
        elif e.op == apsw.SQLITE_DELETE:
            cols = [info.columns[i] for i in info.writable]
            values = [e.old[i] for i in info.writable]  # type: ignore[index]
            if not info.without_rowid:
                cols.insert(0, "rowid")
                values.insert(0, e.rowid)
            names = ", ".join(quote(c) for c in cols)
            marks = ", ".join("?" * len(cols))
            # DO NOTHING: a statement that failed after writing (a trigger's RAISE(ABORT), a
            # foreign-key violation found at its end) was undone by SQLite's statement journal,
            # which the hook does not report; its DELETE entries stay in the log while the row
            # is back. In a true replay the row is always absent here, so this changes nothing.
            raw.execute(
                f"INSERT INTO main.{quote(info.name)}({names}) VALUES ({marks}) ON CONFLICT DO NOTHING",
                values,
            )
        else:
            where, key = _where(info, e.rowid_new, e.new)
            sets = [f"{quote(info.columns[i])}=?" for i in info.writable]
            values = [e.old[i] for i in info.writable]  # type: ignore[index]
            if not info.without_rowid and e.rowid != e.rowid_new:
                sets.insert(0, "rowid=?")
                values.insert(0, e.rowid)
            raw.execute(f"UPDATE main.{quote(info.name)} SET {', '.join(sets)} WHERE {where}", [*values, *key])


def _where(info: TableInfo, rowid: int, values: tuple | None) -> tuple[str, tuple]:
    if not info.without_rowid:
        return "rowid=?", (rowid,)
    return " AND ".join(f"{quote(c)}=?" for c in info.pk), info.key_of(rowid, values)


class MemoryStrategy:
    """Undo log of before-images from the preupdate hook; rollback replays it in reverse."""

    name = "memory"

    def __call__(self, conn: Connection) -> MemoryTracker:
        return MemoryTracker(conn)

    def __repr__(self) -> str:
        return "MemoryStrategy()"
