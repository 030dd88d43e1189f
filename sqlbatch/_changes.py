"""What a unit of work records: one ``Change`` per row written, by column name."""

from __future__ import annotations

from dataclasses import FrozenInstanceError
from typing import Any

from ._schema import TableInfo

_FIELDS = ("table", "op", "key", "before", "after", "depth", "key_columns")


class Change:
    """One row change seen by the capture (preupdate hook or session changeset).

    ``before`` and ``after`` are dicts keyed by column name (``None`` for the side that does
    not exist: no ``before`` for an INSERT, no ``after`` for a DELETE). ``depth`` is 0 for
    the caller's own statement and >= 1 for trigger writes and foreign-key actions.

    Immutable, compared by value. One built by :meth:`from_values` (the capture's, one per
    row written) keeps the row's value tuples and the table's column names and builds the
    dicts when they are read: most changes are only encoded into the undo journal, and a
    dict per row for a whole all-or-nothing run is most of its memory. Each read builds a
    new dict: code that reads an image more than once (a validator's loop over columns)
    keeps it in a local.
    """

    __slots__ = ("table", "op", "key", "depth", "key_columns", "_before", "_after", "_columns")
    __match_args__ = _FIELDS

    table: str
    op: str  # "INSERT" | "UPDATE" | "DELETE"
    key: tuple
    depth: int
    key_columns: tuple[str, ...]

    def __init__(
        self,
        table: str,
        op: str,
        key: tuple,
        before: dict[str, Any] | None,
        after: dict[str, Any] | None,
        depth: int = 0,
        key_columns: tuple[str, ...] = ("rowid",),
    ) -> None:
        _init(self, table, op, key, before, after, depth, key_columns, None)

    @property
    def before(self) -> dict[str, Any] | None:
        values, columns = self._before, self._columns
        return values if values is None or columns is None else dict(zip(columns, values, strict=False))

    @property
    def after(self) -> dict[str, Any] | None:
        values, columns = self._after, self._columns
        return values if values is None or columns is None else dict(zip(columns, values, strict=False))

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
        if key_columns is None:
            key_columns = info.pk if info.without_rowid else ("rowid",)
        change = cls.__new__(cls)
        _init(change, info.name, op, key, old, new, depth, key_columns, info.columns)
        return change

    @classmethod
    def from_images(
        cls,
        table: str,
        op: str,
        key: tuple,
        columns: tuple[str, ...],
        before: tuple | None,
        after: tuple | None,
        depth: int = 0,
        key_columns: tuple[str, ...] = ("rowid",),
    ) -> Change:
        """A change from value tuples in the order of ``columns`` (what :meth:`images` gave)."""
        change = cls.__new__(cls)
        _init(change, table, op, key, before, after, depth, key_columns, columns)
        return change

    def images(self) -> tuple[tuple[str, ...], tuple | None, tuple | None] | None:
        """``(columns, before values, after values)``, without building dicts; ``None`` for a
        change made of two dicts that do not hold the same columns."""
        if self._columns is not None:
            return self._columns, self._before, self._after
        before, after = self._before, self._after
        if before is not None and after is not None and before.keys() != after.keys():
            return None
        columns = tuple(before if before is not None else after or ())
        return (
            columns,
            None if before is None else tuple(before[c] for c in columns),
            None if after is None else tuple(after[c] for c in columns),
        )

    def _astuple(self) -> tuple:
        return (self.table, self.op, self.key, self.before, self.after, self.depth, self.key_columns)

    def __eq__(self, other: object) -> bool:
        if other.__class__ is not self.__class__:
            return NotImplemented
        return self._astuple() == other._astuple()  # type: ignore[attr-defined]

    def __hash__(self) -> int:
        return hash(self._astuple())  # as a frozen dataclass: a change with images is unhashable

    def __repr__(self) -> str:
        return "Change(" + ", ".join(f"{n}={v!r}" for n, v in zip(_FIELDS, self._astuple(), strict=True)) + ")"

    def __reduce__(self) -> tuple[type[Change], tuple]:
        return (Change, self._astuple())  # copy and pickle, as the dataclass allowed

    def __setattr__(self, name: str, value: Any) -> None:
        raise FrozenInstanceError(f"cannot assign to field {name!r}")

    def __delattr__(self, name: str) -> None:
        raise FrozenInstanceError(f"cannot delete field {name!r}")

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


_set = object.__setattr__


def _init(change: Change, table, op, key, before, after, depth, key_columns, columns) -> None:  # type: ignore[no-untyped-def]
    # past the frozen __setattr__; ``columns`` set: ``before``/``after`` are value tuples
    _set(change, "table", table)
    _set(change, "op", op)
    _set(change, "key", key)
    _set(change, "_before", before)
    _set(change, "_after", after)
    _set(change, "depth", depth)
    _set(change, "key_columns", key_columns)
    _set(change, "_columns", columns)
