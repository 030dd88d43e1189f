"""The stored state of a whole batch, read in a few queries.

For each meeting :func:`~adapters.hearings.store.write_meeting` reads its hearing row, its
committees' ids, whether ``hearings`` has the video columns and, for a stored meeting, its
rows in nine child tables: a dozen statements per meeting before it writes anything.
:class:`BatchReads` runs each of these reads once for the whole batch (``WHERE key IN
(...)``) and answers the store's per-meeting statement from the result; every other
statement, and every write, goes to the unit of work as it is, so the before-images see
every row written.

An answer about a meeting's own rows is given once: a meeting written twice in one batch (a
repeated ``eventId``) reads them from the database the second time, and so sees its first
write. Committees and the table's columns are not written by a batch, so their answers
stay. The witnesses the batch names are read at once too (:class:`BatchWitnesses`); the
store tells the index of each witness it inserts or deletes, so a later meeting of the batch
finds it as it would in the database.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from .mapping import MeetingRows
from .schema_related import HEARINGS_COLUMNS_SQL, VIDEO_COLUMNS, hearings_columns
from .schema_types import Executes, postgres_session
from .sqlrows import PER_HEARING, all_rows
from .store import COMMITTEE_BY_CODE, HEARING_BY_EVENT

__all__ = ["BatchReads", "BatchWitnesses"]

_CHUNK = 500  # names per IN (...): far below SQLite's limit on parameters
# SQLite's NOCASE folds ASCII letters only
_NOCASE = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")


class BatchWitnesses:
    """The stored witnesses a batch names, by name as ``full_name COLLATE NOCASE`` compares."""

    def __init__(self, conn: Executes, names: list[str]) -> None:
        self._by_name: dict[str, list[tuple[int, str, str | None]]] = {}
        names = list(dict.fromkeys(names))
        # PostgreSQL has no NOCASE: lower() (its schema's index) finds a superset, named() picks
        pg = postgres_session(conn) is not None
        for start in range(0, len(names), _CHUNK):
            chunk = names[start : start + _CHUNK]
            marks = ", ".join("?" * len(chunk))
            where = (
                f"lower(full_name) IN ({marks.replace('?', 'lower(?)')})"
                if pg
                else f"full_name COLLATE NOCASE IN ({marks})"
            )
            sql = f"SELECT witness_id, full_name, organization FROM witnesses WHERE {where}"
            for witness_id, full_name, organization in all_rows(conn, sql, chunk):
                self.added(witness_id, full_name, organization)

    def named(self, full_name: str, raw_name: str) -> list[tuple[int, str, str | None]]:
        """The witnesses whose ``full_name`` is either name (each row once)."""
        first, second = full_name.translate(_NOCASE), raw_name.translate(_NOCASE)
        found = list(self._by_name.get(first, ()))
        if second != first:
            found += self._by_name.get(second, ())
        return found

    def added(self, witness_id: int, full_name: str, organization: str | None) -> None:
        rows = self._by_name.setdefault(full_name.translate(_NOCASE), [])
        if all(row[0] != witness_id for row in rows):
            rows.append((witness_id, full_name, organization))

    def removed(self, witness_id: int) -> None:
        for rows in self._by_name.values():
            rows[:] = [row for row in rows if row[0] != witness_id]


class BatchReads:
    """A connection for the store that answers its reads of a batch's stored state."""

    def __init__(self, conn: Executes, batch: Sequence[MeetingRows]) -> None:
        self.conn = conn
        # (statement, key) -> rows, for the reads of one meeting's rows (answered once)
        self._once: dict[tuple[str, Any], list[tuple[Any, ...]]] = {}
        # (statement, key) -> rows, for the reads a batch does not change
        self._kept: dict[tuple[str, Any], list[tuple[Any, ...]]] = {}
        self._hearing_of: dict[str, int] = {}  # event_id -> stored hearing_id
        # the store asks SQLite's query; the answer is read in the engine's own way
        columns = hearings_columns(conn)
        self._kept[(HEARINGS_COLUMNS_SQL, None)] = [(name,) for name in sorted(columns)]
        #: whether ``hearings`` has the video columns, asked once per meeting by the store
        self.video_columns = all(column in columns for column in VIDEO_COLUMNS)
        codes = list(dict.fromkeys(link.system_code for rows in batch for link in rows.committees))
        for code, found in COMMITTEE_BY_CODE.many(conn, codes).items():
            self._kept[(COMMITTEE_BY_CODE.one, code)] = found
        events = list(dict.fromkeys(rows.event_id for rows in batch))
        stored: list[int] = []
        for event_id, found in HEARING_BY_EVENT.many(conn, events).items():
            self._once[(HEARING_BY_EVENT.one, event_id)] = found
            if found:
                self._hearing_of[event_id] = found[0][0]
                stored.append(found[0][0])
        self.witnesses = BatchWitnesses(
            conn,
            [n for rows in batch for w in rows.witnesses for n in (w.full_name, " ".join(w.raw_name.split()))],
        )
        if stored:
            for read in PER_HEARING:
                for hearing_id, found in read.many(conn, stored).items():
                    self._once[(read.one, hearing_id)] = found

    def execute(self, sql: str, params: Any = ()) -> Any:
        if not params:
            got = self._kept.get((sql, None))
            return _rows(got) if got is not None else self.conn.execute(sql, params)
        if len(params) == 1 and not isinstance(params, dict):
            key = (sql, params[0])
            got = self._once.pop(key, None)
            if got is not None:
                return _rows(got)
            got = self._kept.get(key)
            if got is not None:
                return _rows(got)
            if sql == HEARING_BY_EVENT.one:
                self._forget(params[0])
        return self.conn.execute(sql, params)

    def executemany(self, sql: str, seq: Any) -> Any:
        return self.conn.executemany(sql, seq)

    def _forget(self, event_id: str) -> None:
        """The meeting is read again: what was read of its rows before its write is stale."""
        hearing_id = self._hearing_of.pop(event_id, None)
        if hearing_id is not None:
            for read in PER_HEARING:
                self._once.pop((read.one, hearing_id), None)


def _rows(rows: list[tuple[Any, ...]]) -> list[tuple[Any, ...]]:
    """An answer as the store iterates a cursor: a fresh list of row tuples."""
    return list(rows)
