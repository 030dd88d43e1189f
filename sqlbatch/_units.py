"""What every sqlbatch connection has, whatever the engine: its one open unit of work, and
``with conn:`` blocks (a transaction of their own, or a savepoint inside an open one).

Transactions and savepoints are opened through the connection's ``backend``, so the same
code serves SQLite (``BEGIN IMMEDIATE``) and PostgreSQL (``BEGIN``).
"""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

from ._errors import UnitOfWorkError

if TYPE_CHECKING:
    from ._unit_of_work import UnitOfWork

__all__ = ["UnitHost"]


class UnitHost:
    """Mixed into a connection class that has ``backend`` and ``in_transaction``."""

    backend: Any
    in_transaction: bool

    def init_units(self) -> None:
        self._active_unit: UnitOfWork | None = None
        self._tx_stack: list[str | None] = []  # per open ``with conn:``: savepoint name or None

    def __enter__(self) -> Any:
        # A transaction of its own only when none is open: inside a caller's BEGIN or a unit
        # of work, a SAVEPOINT, so leaving the block never ends a transaction it did not start.
        if not self.in_transaction:
            self.backend.begin(self)
            self._tx_stack.append(None)
        else:
            name = f"sqlbatch_tx{len(self._tx_stack)}"
            self.backend.savepoint(self, name)
            self._tx_stack.append(name)
        return self

    def __exit__(self, exc_type: object, exc: object, tb: object) -> None:
        name = self._tx_stack.pop() if self._tx_stack else None
        if not self.in_transaction:  # the engine already ended it (SQLite's RAISE(ROLLBACK)...)
            return
        if name is None:
            if exc_type:
                self.backend.rollback(self)
            else:
                self.backend.commit(self)
        elif exc_type:
            self.backend.rollback_to(self, name)
            self.backend.release(self, name)
        else:
            self.backend.release(self, name)

    def unit_of_work(self, strategy: Any = "memory", *, name: str | None = None, nested: bool = False) -> UnitOfWork:
        """A tracked unit of work for one batch (see :class:`sqlbatch.UnitOfWork`).

        ``nested=True`` runs it inside the transaction the caller opened (like SQLAlchemy's
        ``begin_nested()``); without it, beginning inside an open transaction is an error.
        """
        from ._unit_of_work import UnitOfWork

        return UnitOfWork(self, strategy, name=name, nested=nested)  # type: ignore[arg-type]

    @property
    def active_unit(self) -> UnitOfWork | None:
        """The unit of work open on this connection, or ``None``."""
        return self._active_unit

    def bind_unit(self, unit: UnitOfWork) -> None:
        """Called by a unit of work as it begins: one open unit per connection."""
        if self._active_unit is not None and self._active_unit is not unit:
            raise UnitOfWorkError("begin(): another unit of work is open on this connection")
        self._active_unit = unit

    def unbind_unit(self, unit: UnitOfWork) -> None:
        """Called by a unit of work as it ends."""
        if self._active_unit is unit:
            self._active_unit = None

    def drop_unit(self) -> None:
        """End the open unit without undoing anything (the caller rolled everything back)."""
        unit = self._active_unit
        if unit is not None:
            with contextlib.suppress(Exception):  # best effort: the rollback already undid its work
                unit.abandon()
            self._active_unit = None
