"""What the store modules share: all rows of a query, and a child table's rows of one
meeting replaced by difference (identical rows stay, the others are deleted or inserted)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import Any

from .schema_types import Executes

__all__ = ["ChildTable", "all_rows", "multiset_diff"]

Stored = list[tuple[int, tuple[Any, ...]]]


def all_rows(conn: Executes, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
    """Every row of one statement, as plain tuples."""
    cursor = conn.execute(sql, params)
    if getattr(cursor, "row_trace", None) is not None:
        # sqlbatch's cursors build a named Row per row; the store reads by position, and a
        # meeting's write reads a few hundred rows: tuples are what it needs
        cursor.row_trace = None
    return list(cursor)


def multiset_diff(stored: Stored, wanted: Sequence[tuple[Any, ...]]) -> tuple[list[int], list[tuple[Any, ...]]]:
    """Ids of stored rows to delete and values to insert so that stored == wanted.

    ``stored`` pairs each row's id with its values; equal rows are matched one to one, so
    a row that is already there is neither deleted nor inserted again.
    """
    need = Counter(wanted)
    delete: list[int] = []
    for row_id, values in stored:
        if need[values] > 0:
            need[values] -= 1
        else:
            delete.append(row_id)
    insert: list[tuple[Any, ...]] = []
    for values in wanted:
        if need[values] > 0:
            need[values] -= 1
            insert.append(values)
    return delete, insert


class ChildTable:
    """A table whose rows hang off one meeting (``parent`` = the hearing's id), written by
    difference on ``columns``. With ``parent=None`` the columns carry the link themselves
    (witness documents: their appearance) and the caller reads the stored rows."""

    def __init__(self, table: str, id_column: str, columns: tuple[str, ...], parent: str | None = "hearing_id"):
        # table and column names are the store's constants, never input
        self.parent = parent
        inserted = (parent, *columns) if parent else columns
        self._select = f"SELECT {id_column}, {', '.join(columns)} FROM {table} WHERE {parent} = ? ORDER BY {id_column}"
        self._delete = f"DELETE FROM {table} WHERE {id_column} = ?"
        self._insert = f"INSERT INTO {table} ({', '.join(inserted)}) VALUES ({', '.join('?' for _ in inserted)})"

    def stored(self, conn: Executes, hearing_id: int) -> Stored:
        """The meeting's stored rows as ``(id, values)``."""
        return [(row[0], row[1:]) for row in all_rows(conn, self._select, (hearing_id,))]

    def replace(self, conn: Executes, hearing_id: int, stored: Stored, wanted: Sequence[tuple[Any, ...]]) -> bool:
        """Make the rows ``stored`` stand for exactly ``wanted``; True when anything was written."""
        delete, insert = multiset_diff(stored, wanted)
        for row_id in delete:
            conn.execute(self._delete, (row_id,))
        prefix = (hearing_id,) if self.parent else ()
        for values in insert:
            conn.execute(self._insert, (*prefix, *values))
        return bool(delete or insert)
