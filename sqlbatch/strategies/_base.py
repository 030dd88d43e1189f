"""The one small interface every rollback strategy implements.

A *strategy* is anything callable as ``strategy(conn) -> Tracker``: a class, an instance
with ``__call__``, or a plain function. It is called when a unit of work begins, inside the
open transaction, and returns the tracker for that one unit of work.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import contextmanager
from typing import TYPE_CHECKING, Protocol, runtime_checkable

import apsw

from .._changes import Change

if TYPE_CHECKING:
    from collections.abc import Iterator

    from .._connection import Connection


@runtime_checkable
class Tracker(Protocol):
    """Records one unit of work's changes and can undo them."""

    def changes(self) -> list[Change]:
        """Every change recorded so far, by column name."""
        ...

    def check(self) -> None:
        """Raise if recording failed (the unit of work must not commit)."""
        ...

    def undo(self) -> None:
        """Restore every touched row to its state at begin; the transaction stays open."""
        ...

    def close(self) -> None:
        """Stop recording and free the connection's capture."""
        ...


Strategy = Callable[["Connection"], Tracker]


@contextmanager
def quiet_writes(raw: apsw.Connection) -> Iterator[None]:
    """Compensating writes without side effects: triggers off, foreign keys deferred.

    Triggers are disabled with ``SQLITE_DBCONFIG_ENABLE_TRIGGER`` (the undo of a trigger's
    own writes is already in the log) and foreign-key checks are deferred with
    ``PRAGMA defer_foreign_keys`` because rows come back child-first. Both settings are
    restored afterwards; re-enabling triggers expires prepared statements once.

    Hazard: turning ``defer_foreign_keys`` OFF again makes SQLite forget the violations it
    counted while it was ON, so COMMIT no longer catches a restore that left a dangling
    reference. A caller that restores rows it cannot trust to be consistent checks them itself
    (revert: ``_revert._dangling``; compensation re-runs the final validators); a rollback
    inside the transaction needs no check: it restores a state that committed before.
    """
    deferred = raw.execute("PRAGMA defer_foreign_keys").fetchall()[0][0]
    triggers = raw.config(apsw.SQLITE_DBCONFIG_ENABLE_TRIGGER, -1)
    raw.config(apsw.SQLITE_DBCONFIG_ENABLE_TRIGGER, 0)
    raw.execute("PRAGMA defer_foreign_keys=ON")
    try:
        yield
    finally:
        raw.config(apsw.SQLITE_DBCONFIG_ENABLE_TRIGGER, triggers)
        if not raw.get_autocommit():
            raw.execute(f"PRAGMA defer_foreign_keys={'ON' if deferred else 'OFF'}")
