"""What the store modules share: all rows of a query, a read keyed by one value (and the same
read for many values at once), and a child table's rows of one meeting replaced by difference
(identical rows stay, the others are deleted or inserted)."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import date, datetime, time
from typing import Any

from .schema_types import Executes

__all__ = ["PER_HEARING", "ChildTable", "KeyedRead", "all_rows", "multiset_diff"]

Stored = list[tuple[int, tuple[Any, ...]]]


def all_rows(conn: Executes, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
    """Every row of one statement, as plain tuples."""
    cursor = conn.execute(sql, params)
    if type(cursor) is list:  # an answer of the batch's reads: already plain stored rows
        return cursor
    if not hasattr(cursor, "row_trace"):  # psycopg: typed values, read back as SQLite holds them
        return [tuple(_as_stored(v) for v in row) for row in cursor]
    if cursor.row_trace is not None:
        # sqlbatch's cursors build a named Row per row; the store reads by position, and a
        # meeting's write reads a few hundred rows: tuples are what it needs
        cursor.row_trace = None
    return list(cursor)


def _as_stored(value: Any) -> Any:
    """A value from PostgreSQL as SQLite stores it and the store writes it: dates and times as
    their text (``YYYY-MM-DD``, ``HH:MM:SS``, ``YYYY-MM-DD HH:MM:SS``), booleans as 1/0, so
    that stored rows compare equal to the rows a meeting maps to."""
    if isinstance(value, bool):
        return int(value)
    if isinstance(value, datetime):
        return value.isoformat(sep=" ")
    if isinstance(value, date | time):
        return value.isoformat()
    return value


class KeyedRead:
    """A read of the rows that hold one key value (``one``, the value its one parameter) and
    the same read for many values (:meth:`many`: the key first in each row, same order).

    Table and column names are the store's constants, never input.
    """

    def __init__(self, columns: str, source: str, key: str, order: str = "") -> None:
        tail = f" ORDER BY {order}" if order else ""
        self.one = f"SELECT {columns} FROM {source} WHERE {key} = ?{tail}"
        self._many = f"SELECT {key}, {columns} FROM {source} WHERE {key} IN ({{marks}}){tail}"

    def many(self, conn: Executes, keys: Sequence[Any]) -> dict[Any, list[tuple[Any, ...]]]:
        """The rows of each key (an empty list for a key without rows)."""
        out: dict[Any, list[tuple[Any, ...]]] = {key: [] for key in keys}
        keys = list(out)
        for start in range(0, len(keys), _CHUNK):
            chunk = keys[start : start + _CHUNK]
            for row in all_rows(conn, self._many.format(marks=", ".join("?" * len(chunk))), chunk):
                out[row[0]].append(row[1:])
        return out

    def __repr__(self) -> str:
        return f"<KeyedRead {self.one!r}>"


_CHUNK = 500  # keys per IN (...): far below SQLite's limit on parameters

#: Every read of a stored meeting's child rows by ``hearing_id`` that the store makes: a
#: batch reads them all for its stored meetings at once (:mod:`.store_batch`).
PER_HEARING: list[KeyedRead] = []


def per_hearing(columns: str, source: str, key: str = "hearing_id", order: str = "") -> KeyedRead:
    """A :class:`KeyedRead` of one meeting's child rows, registered in :data:`PER_HEARING`."""
    read = KeyedRead(columns, source, key, order)
    PER_HEARING.append(read)
    return read


def multiset_diff(stored: Stored, wanted: Sequence[tuple[Any, ...]]) -> tuple[list[int], list[tuple[Any, ...]]]:
    """Ids of stored rows to delete and values to insert so that stored == wanted.

    ``stored`` pairs each row's id with its values; equal rows are matched one to one, so
    a row that is already there is neither deleted nor inserted again.
    """
    if not stored:
        return [], list(wanted)  # a new meeting's rows: nothing to match
    if len(stored) == len(wanted) and all(s[1] == w for s, w in zip(stored, wanted, strict=True)):
        return [], []  # the rerun's common case, in stored order: no counting needed
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
        self.read = per_hearing(f"{id_column}, {', '.join(columns)}", table, parent, id_column) if parent else None
        self._delete = f"DELETE FROM {table} WHERE {id_column} = ?"
        self._insert = f"INSERT INTO {table} ({', '.join(inserted)}) VALUES ({', '.join('?' for _ in inserted)})"

    def stored(self, conn: Executes, hearing_id: int) -> Stored:
        """The meeting's stored rows as ``(id, values)``."""
        assert self.read is not None, "a table without a parent column has no rows of its own"
        return [(row[0], row[1:]) for row in all_rows(conn, self.read.one, (hearing_id,))]

    def replace(self, conn: Executes, hearing_id: int, stored: Stored, wanted: Sequence[tuple[Any, ...]]) -> bool:
        """Make the rows ``stored`` stand for exactly ``wanted``; True when anything was written."""
        delete, insert = multiset_diff(stored, wanted)
        for row_id in delete:
            conn.execute(self._delete, (row_id,))
        prefix = (hearing_id,) if self.parent else ()
        if len(insert) == 1:
            conn.execute(self._insert, (*prefix, *insert[0]))
        elif insert:
            conn.executemany(self._insert, [(*prefix, *values) for values in insert])
        return bool(delete or insert)
