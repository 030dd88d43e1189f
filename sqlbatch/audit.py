"""What a run changed: net row changes per table, from the stored before-images.

``net_changes`` folds a sequence of recorded changes into one (before, after) per row:
a row inserted then updated is *inserted* with its final values; one updated then
deleted is *deleted* with its first before-image; one changed and changed back is dropped.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ._changes import Change
from ._undo import decode

if TYPE_CHECKING:
    from ._connection import Connection

__all__ = ["NetChange", "TableSummary", "net_changes", "run_changes", "summarize"]


@dataclass(frozen=True, slots=True)
class NetChange:
    table: str
    key: tuple
    before: dict[str, Any] | None
    after: dict[str, Any] | None

    @property
    def kind(self) -> str:
        if self.before is None:
            return "inserted"
        if self.after is None:
            return "deleted"
        return "updated"

    def changed_columns(self) -> dict[str, tuple[Any, Any]]:
        if self.before is None or self.after is None:
            return {}
        return {k: (self.before.get(k), v) for k, v in self.after.items() if k in self.before and self.before[k] != v}


@dataclass
class TableSummary:
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    examples: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def net_changes(changes: Iterable[Change]) -> list[NetChange]:
    first: dict[tuple[str, tuple], dict[str, Any] | None] = {}
    last: dict[tuple[str, tuple], dict[str, Any] | None] = {}
    for c in changes:
        ident = (c.table, c.key)
        if ident not in first:
            first[ident] = c.before
        last[ident] = c.after
    out = []
    for ident, before in first.items():
        after = last[ident]
        if before is None and after is None:
            continue
        if before is not None and after is not None and all(before.get(k) == v for k, v in after.items()):
            continue
        out.append(NetChange(ident[0], ident[1], before, after))
    return out


def summarize(changes: Iterable[Change], examples: int = 3) -> dict[str, TableSummary]:
    tables: dict[str, TableSummary] = {}
    for net in net_changes(changes):
        s = tables.setdefault(net.table, TableSummary())
        setattr(s, net.kind, getattr(s, net.kind) + 1)
        if len(s.examples) < examples:
            s.examples.append(_example(net))
    return dict(sorted(tables.items()))


def _example(net: NetChange) -> dict[str, Any]:
    if net.kind == "updated":
        diff = {k: [_short(a), _short(b)] for k, (a, b) in net.changed_columns().items()}
        return {"kind": "updated", "key": list(net.key), "changes": diff}
    row = net.after if net.kind == "inserted" else net.before
    return {"kind": net.kind, "key": list(net.key), "row": {k: _short(v) for k, v in (row or {}).items()}}


def _short(value: Any, limit: int = 60) -> Any:
    if isinstance(value, bytes):
        return f"<{len(value)} bytes>"
    if isinstance(value, str) and len(value) > limit:
        return value[: limit - 1] + "…"
    return value


def run_changes(conn: Connection, run_id: int, batch: int | None = None) -> list[Change]:
    """Every change stored for ``run_id`` (or one batch of it), in the order they were made."""
    sql = "SELECT data FROM sqlbatch_undo WHERE run_id=?" + (" AND batch_no=?" if batch is not None else "")
    params = (run_id, batch) if batch is not None else (run_id,)
    changes: list[Change] = []
    for (blob,) in conn.execute(sql + " ORDER BY batch_no", params):
        changes.extend(decode(blob))
    return changes
