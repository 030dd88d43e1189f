"""What a unit of work records: one ``Change`` per row written, by column name."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ._schema import TableInfo


@dataclass(frozen=True, slots=True)
class Change:
    """One row change seen by the capture (preupdate hook or session changeset).

    ``before`` and ``after`` are dicts keyed by column name (``None`` for the side that does
    not exist: no ``before`` for an INSERT, no ``after`` for a DELETE). ``depth`` is 0 for
    the caller's own statement and >= 1 for trigger writes and foreign-key actions.
    """

    table: str
    op: str  # "INSERT" | "UPDATE" | "DELETE"
    key: tuple
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    depth: int = 0
    key_columns: tuple[str, ...] = ("rowid",)

    @classmethod
    def from_values(
        cls,
        info: TableInfo,
        op: str,
        key: tuple,
        old: tuple | None,
        new: tuple | None,
        depth: int,
        key_columns: tuple[str, ...] | None = None,
    ) -> Change:
        cols = info.columns
        before = dict(zip(cols, old, strict=False)) if old is not None else None
        after = dict(zip(cols, new, strict=False)) if new is not None else None
        if key_columns is None:
            key_columns = info.pk if info.without_rowid else ("rowid",)
        return cls(info.name, op, key, before, after, depth, key_columns)

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "op": self.op,
            "key": list(self.key),
            "before": self.before,
            "after": self.after,
            "depth": self.depth,
            "key_columns": list(self.key_columns),
        }
