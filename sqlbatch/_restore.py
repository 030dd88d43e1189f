"""Putting rows back from their before-images, shared by revert and the post-run compensation.

:func:`conflicts` compares every row the changes touched with its recorded after-image (a row
changed since, by a later run or by hand, is a :class:`Conflict`, naming the later run when
the journal knows it); :func:`restore_changes` replays the before-images in reverse, with
triggers off and foreign keys deferred (see :func:`~sqlbatch.strategies._base.quiet_writes`).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from ._changes import Change
from ._schema import quote
from ._undo import decode
from .audit import net_changes
from .strategies._base import quiet_writes

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
    with quiet_writes(conn.raw):
        for change in reversed(changes):
            _restore(conn, change)


def current_row(conn: Connection, change: Change) -> dict[str, Any] | None:
    where, params = _where(change)
    for row in conn.execute(f"SELECT * FROM main.{quote(change.table)} WHERE {where}", params):
        return row.asdict()
    return None


def later_run(conn: Connection, run_id: int, table: str, key: tuple, batch: int | None = None) -> int | None:
    """The newest later run (or, reverting one batch, the same run in a later batch) whose stored
    changes touch the same row."""
    for later, blob in conn.raw.execute(
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


def _where(change: Change) -> tuple[str, list[Any]]:
    return " AND ".join(f"{_col(c)}=?" for c in change.key_columns), list(change.key)


def _col(name: str) -> str:
    return "rowid" if name == "rowid" else quote(name)


def _restore(conn: Connection, c: Change) -> None:
    raw = conn.raw
    info = conn.schema.table(c.table)
    table = f"main.{quote(c.table)}"
    if c.op == "INSERT":
        where, params = _where(c)
        raw.execute(f"DELETE FROM {table} WHERE {where}", params)
        return
    before = {k: v for k, v in (c.before or {}).items() if k not in info.generated}
    if c.op == "DELETE":
        cols = list(before)
        values = list(before.values())
        if c.key_columns == ("rowid",):
            cols.insert(0, "rowid")
            values.insert(0, c.key[0])
        names = ", ".join(_col(n) for n in cols)
        raw.execute(f"INSERT INTO {table}({names}) VALUES ({', '.join('?' * len(cols))})", values)
        return
    where, params = _where(c)
    sets = ", ".join(f"{quote(k)}=?" for k in before)
    raw.execute(f"UPDATE {table} SET {sets} WHERE {where}", [*before.values(), *params])
