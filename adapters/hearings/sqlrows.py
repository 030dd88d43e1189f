"""Two small helpers the store modules share: all rows of a query, and a multiset difference."""

from __future__ import annotations

from collections import Counter
from typing import Any

from .schema import Executes

__all__ = ["all_rows", "multiset_diff"]


def all_rows(conn: Executes, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
    """Every row of one statement, as tuples."""
    return [tuple(row) for row in conn.execute(sql, params)]


def multiset_diff(
    stored: list[tuple[int, tuple[Any, ...]]], wanted: list[tuple[Any, ...]]
) -> tuple[list[int], list[tuple[Any, ...]]]:
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
