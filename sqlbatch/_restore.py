"""Putting rows back from their before-images, shared by revert and the post-run compensation.

:func:`conflicts` compares every row the changes touched with its recorded after-image (a row
changed since, by a later run or by hand, is a :class:`Conflict`, naming the later run when
the journal knows it); :func:`restore_changes` replays the before-images in reverse, as the
connection's backend does it (SQLite: triggers off, foreign keys deferred).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._backend import backend_for
from ._changes import Change
from ._undo import decode
from .audit import net_changes

if TYPE_CHECKING:
    from ._connection import Connection

__all__ = ["Conflict", "conflicts", "current_row", "later_run", "restore_changes"]


@dataclass(frozen=True)
class Conflict:
    table: str
    key: tuple
    recorded_before: dict[str, Any] | None
    recorded_after: dict[str, Any] | None
    current: dict[str, Any] | None
    later_run: int | None

    def __str__(self) -> str:
        who = f"changed since by run {self.later_run}" if self.later_run else "changed since (not by a journaled run)"
        return f"{self.table} {list(self.key)}: {who}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "key": list(self.key),
            "before": self.recorded_before,
            "after": self.recorded_after,
            "current": self.current,
            "later_run": self.later_run,
        }


def conflicts(conn: Connection, run_id: int, changes: list[Change], batch: int | None = None) -> list[Conflict]:
    """Rows whose current state is not what ``changes`` left (``batch``: reverting one batch)."""
    found = []
    for net in net_changes(changes):
        probe = Change(net.table, "", net.key, None, None, 0, _key_columns(changes, net.table, net.key))
        now = current_row(conn, probe)
        if net.after is None:
            ok = now is None
        else:
            ok = now is not None and all(now.get(k) == v for k, v in net.after.items() if k in now)
        if not ok:
            later = later_run(conn, run_id, net.table, net.key, batch)
            found.append(Conflict(net.table, net.key, net.before, net.after, now, later))
    return found


def restore_changes(conn: Connection, changes: list[Change]) -> None:
    """Undo ``changes`` (in the open transaction), newest first, without triggers firing."""
    backend_for(conn).restore_changes(conn, changes)


def current_row(conn: Connection, change: Change) -> dict[str, Any] | None:
    """The row ``change`` is keyed on, by column name (as its images were recorded), or None."""
    return backend_for(conn).current_row(conn, change)


def later_run(conn: Connection, run_id: int, table: str, key: tuple, batch: int | None = None) -> int | None:
    """The newest later run (or, reverting one batch, the same run in a later batch) whose stored
    changes touch the same row."""
    for later, blob in conn.execute(
        "SELECT run_id, data FROM sqlbatch_undo WHERE run_id>? OR (run_id=? AND batch_no>?)"
        " ORDER BY run_id DESC, batch_no DESC",
        (run_id, run_id, batch if batch is not None else 1 << 62),
    ):
        if any(c.table == table and c.key == key for c in decode(blob)):
            return later
    return None


def _key_columns(changes: list[Change], table: str, key: tuple) -> tuple[str, ...]:
    for c in changes:
        if c.table == table and c.key == key:
            return c.key_columns
    return ("rowid",)
