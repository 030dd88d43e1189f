"""The unit of work: one batch's writes, recorded, then committed or undone on their own.

Two modes, chosen explicitly (as SQLAlchemy's ``begin()`` / ``begin_nested()``):

* **own transaction** (the usual ``with conn.unit_of_work() as uow:``): ``BEGIN IMMEDIATE``
  at begin, ``COMMIT`` at commit; rollback undoes through the strategy, then ``ROLLBACK``.
  Beginning one inside an open transaction is an error naming ``nested=True``.
* **nested** (``conn.unit_of_work(..., nested=True)``, inside a transaction the caller
  opened, e.g. a commit group of several batches): commit only ends the recording; rollback
  undoes this unit's changes through the strategy and leaves the caller's transaction, and
  earlier units, as they were.

Only one unit of work can be open on a connection at a time.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import TYPE_CHECKING, Any

from ._backend import backend_for
from ._changes import Change
from ._errors import CaptureFailed, TransactionLost, UnitOfWorkError
from .strategies import resolve_strategy, strategy_name
from .strategies._base import Tracker

if TYPE_CHECKING:
    from ._connection import Connection

PENDING, ACTIVE, COMMITTED, ROLLED_BACK = "pending", "active", "committed", "rolled back"


class UnitOfWork:
    """One tracked batch on a :class:`sqlbatch.Connection`."""

    def __init__(self, conn: Connection, strategy: Any = "memory", *, name: str | None = None, nested: bool = False):
        self.conn = conn
        self.nested = nested
        self.strategy = resolve_strategy(strategy)
        self.strategy_name = strategy_name(self.strategy)
        self.name = name
        self.state = PENDING
        self.owns_transaction = False
        self._backend = backend_for(conn)
        self._db_errors = self._backend.database_errors
        self._tracker: Tracker | None = None
        self._changes: list[Change] | None = None
        self._changes_later: Callable[[], list[Change]] | None = None  # built on first read
        self._lost_cause: BaseException | None = None  # the error that ended the transaction

    # -- life cycle --------------------------------------------------------------------------
    def __enter__(self) -> UnitOfWork:
        self.begin()
        return self

    def __exit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        if self.state != ACTIVE:
            return
        if exc_type is None:
            self.commit()
            return
        try:
            self.rollback()
        except TransactionLost as lost:
            if isinstance(exc, TransactionLost):
                return  # already says so; it propagates
            raise lost from exc  # the original error (e.g. RAISE(ROLLBACK)'s) is the cause
        # the original exception propagates

    def begin(self) -> UnitOfWork:
        """Start: ``BEGIN IMMEDIATE`` unless a transaction is open, then start recording."""
        if self.state != PENDING:
            raise UnitOfWorkError(f"begin(): unit of work {self.name!r} is already {self.state}")
        conn = self.conn
        if conn.active_unit is not None:
            raise UnitOfWorkError("begin(): another unit of work is open on this connection")
        if conn.in_transaction and not self.nested:
            raise UnitOfWorkError(
                f"begin(): unit of work {self.name!r}: a transaction is already open; to work inside it,"
                " use conn.unit_of_work(..., nested=True)"
            )
        if self.nested and not conn.in_transaction:
            raise UnitOfWorkError(
                f"begin(): unit of work {self.name!r} is nested=True but no transaction is open: begin one first"
            )
        self.owns_transaction = not self.nested
        if self.owns_transaction:
            self._backend.begin(conn)
        try:
            self._tracker = self._backend.tracker(conn, self.strategy)
        except BaseException:
            if self.owns_transaction and conn.in_transaction:
                self._backend.rollback(conn)
            raise
        conn.bind_unit(self)
        self.state = ACTIVE
        return self

    def commit(self) -> None:
        """Keep the changes: ``COMMIT`` (own transaction) or hand them to the outer one."""
        self._require_active("commit")
        tracker = self._tracker
        assert tracker is not None
        if not self.conn.in_transaction:  # SQLite ended it (RAISE(ROLLBACK)...): nothing to keep
            self._finish(ROLLED_BACK)
            raise self._transaction_lost("commit()")
        try:
            tracker.check()
        except CaptureFailed:
            self.rollback()
            raise
        self._keep_changes(tracker)
        self._finish(COMMITTED)
        if self.owns_transaction:
            try:
                self._backend.commit(self.conn)
            except BaseException:
                if self.conn.in_transaction:
                    self._backend.rollback(self.conn)
                self.state = ROLLED_BACK
                raise

    def rollback(self) -> None:
        """Undo every change of this unit; with its own transaction, end it too.

        Raises :class:`TransactionLost` in nested mode when SQLite already ended the outer
        transaction (``RAISE(ROLLBACK)``): the caller's earlier work is gone and must be redone.
        """
        self._require_active("rollback")
        tracker = self._tracker
        assert tracker is not None
        conn = self.conn
        lost = not conn.in_transaction
        try:
            if not lost:
                if self._changes is None and self._changes_later is None:
                    self._keep_changes(tracker)
                try:
                    tracker.undo()
                except CaptureFailed:
                    if not self.owns_transaction:
                        raise
                    # the log is incomplete; the whole transaction is ours to drop
        finally:
            self._finish(ROLLED_BACK)
            if self.owns_transaction and conn.in_transaction:
                self._backend.rollback(conn)
        if lost and not self.owns_transaction:
            raise self._transaction_lost("rollback()")

    def _transaction_lost(self, what: str) -> TransactionLost:
        if self.owns_transaction:
            text = f"{what}: SQLite already ended this unit's transaction; nothing was kept"
        else:
            text = (
                f"{what}: SQLite ended the enclosing transaction (RAISE(ROLLBACK) or ON CONFLICT "
                "ROLLBACK): the work of earlier units in it was lost and must be redone"
            )
        if self._lost_cause is not None:
            text += f" (cause: {self._lost_cause})"
        lost = TransactionLost(text)
        lost.__cause__ = self._lost_cause
        return lost

    def _keep_changes(self, tracker: Tracker) -> None:
        """Keep what was recorded before the tracker closes or undoes; build it lazily when the
        tracker can (``snapshot()``): most batches' changes are never read one by one."""
        snapshot = getattr(tracker, "snapshot", None)
        if snapshot is not None:
            self._changes_later = snapshot()
        else:
            self._changes = tracker.changes()

    def abandon(self) -> None:
        """End without undoing anything: close the capture, forget the unit.

        For a failure path that rolls the whole transaction back itself
        (:meth:`Connection.abort`).
        """
        if self.state == ACTIVE:
            self._finish(ROLLED_BACK)

    def _finish(self, state: str) -> None:
        self.state = state
        try:
            if self._tracker is not None:
                self._tracker.close()
        finally:
            self.conn.unbind_unit(self)

    def _require_active(self, what: str) -> None:
        if self.state != ACTIVE:
            raise UnitOfWorkError(f"{what}(): unit of work {self.name!r} is {self.state}")

    # -- writing -----------------------------------------------------------------------------
    # Called once per statement: kept flat (no closures), the checks are C calls.
    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> Any:
        if self.state != ACTIVE:
            self._require_active("execute")
        conn = self.conn
        if not conn.in_transaction:  # never run once the transaction is gone: it would autocommit
            raise self._transaction_lost("execute()")
        try:
            return conn.execute(sql, params)
        except self._db_errors as exc:
            self._statement_failed(exc)
            raise

    def executemany(self, sql: str, seq: Iterable[Sequence[Any] | dict[str, Any]]) -> Any:
        if self.state != ACTIVE:
            self._require_active("executemany")
        conn = self.conn
        if not conn.in_transaction:
            raise self._transaction_lost("executemany()")
        try:
            return conn.executemany(sql, seq)
        except self._db_errors as exc:
            self._statement_failed(exc)
            raise

    def _statement_failed(self, exc: BaseException) -> None:
        if not self.conn.in_transaction:
            # RAISE(ROLLBACK) / ON CONFLICT ROLLBACK ended the whole transaction. Own
            # transaction: the original error is the caller's answer. Nested: the caller's
            # earlier work went too, which TransactionLost says, with the original as cause.
            self._lost_cause = exc
            if not self.owns_transaction:
                raise TransactionLost(
                    f"SQLite ended the enclosing transaction while running a statement: {exc}"
                ) from exc

    # -- what was recorded -------------------------------------------------------------------
    @property
    def changes(self) -> list[Change]:
        """Every change recorded (so far, or up to commit/rollback), by column name."""
        if self._changes is not None:
            return self._changes
        if self._changes_later is not None:
            self._changes, self._changes_later = self._changes_later(), None
            return self._changes
        if self._tracker is None:
            return []
        return self._tracker.changes() if self.state == ACTIVE else []

    @property
    def tracker(self) -> Tracker | None:
        return self._tracker

    def __repr__(self) -> str:
        return f"<UnitOfWork {self.name!r} {self.strategy_name} {self.state}>"
