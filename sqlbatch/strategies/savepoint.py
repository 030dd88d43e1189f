"""``savepoint``: SQLite's own SAVEPOINT / ROLLBACK TO / RELEASE.

Undo is exact and cheap (no compensating statements), but every write inside a savepoint
also goes to a statement sub-journal: ~1.7x the cost of plain writes on this workload.
Changes are still recorded by column name through the preupdate hook (for reports and
durable before-images); ``ROLLBACK TO`` produces no hook calls, so the log is cut there.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import TYPE_CHECKING

from .._capture import HookRecorder
from .._changes import Change

if TYPE_CHECKING:
    from .._connection import Connection

_names = itertools.count(1)


class SavepointTracker:
    def __init__(self, conn: Connection, *, record: bool = True) -> None:
        self._raw = conn.raw
        self._name = f"sqlbatch_uow_{next(_names)}"
        self._raw.execute(f"SAVEPOINT {self._name}")
        self._recorder = HookRecorder(conn) if record else None

    def changes(self) -> list[Change]:
        return self._recorder.changes() if self._recorder else []

    def snapshot(self) -> Callable[[], list[Change]]:
        return self._recorder.snapshot() if self._recorder else list

    def check(self) -> None:
        if self._recorder:
            self._recorder.check()

    def undo(self) -> None:
        # Exact even if the hook failed: SQLite itself restores the pages.
        self._raw.execute(f"ROLLBACK TO {self._name}")
        if self._recorder:
            self._recorder.truncate()
            self._recorder.error = None

    def close(self) -> None:
        try:
            if not self._raw.get_autocommit():
                self._raw.execute(f"RELEASE {self._name}")
        finally:
            if self._recorder:
                self._recorder.close()


class SavepointStrategy:
    """SAVEPOINT before the batch; ROLLBACK TO on failure; RELEASE on success."""

    name = "savepoint"

    def __init__(self, *, record: bool = True) -> None:
        self.record = record

    def __call__(self, conn: Connection) -> SavepointTracker:
        return SavepointTracker(conn, record=self.record)

    def __repr__(self) -> str:
        return f"SavepointStrategy(record={self.record})"
