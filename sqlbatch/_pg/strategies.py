"""The ``memory`` and ``savepoint`` strategies on PostgreSQL; ``session`` is SQLite-only.

Both record every row a unit of work writes through :class:`~sqlbatch._pg.capture.TriggerCapture`
(images by column name, as JSON: what the undo journal stores and ``revert`` replays), installed
once on every table of the schema that has a primary key (the ``sqlbatch_*`` journal excepted)
and again when the tables change. Both hold a savepoint, because a failed statement aborts a
PostgreSQL transaction and only ``ROLLBACK TO SAVEPOINT`` revives it:

* ``savepoint`` undoes by ``ROLLBACK TO SAVEPOINT`` (the server's own, exact);
* ``memory`` undoes by replaying the before-images, newest first, while the transaction is
  healthy (a batch a validator rejected), and by ``ROLLBACK TO SAVEPOINT`` after a failed
  statement or when a cascade cannot be replayed row by row (:class:`UndoFailed`).

Either way the tables end exactly as before the unit, so both leave the same data.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING, Any

import psycopg

from .._changes import Change
from .._errors import ConfigurationError, UnsupportedSchemaError
from .capture import LOG, TriggerCapture, UndoFailed
from .tables import NoPrimaryKey

if TYPE_CHECKING:
    from .connection import PgConnection

__all__ = ["CaptureManager", "PgTracker", "check_strategy", "tracker_for"]

_names = itertools.count(1)

_SCHEMA_OID = "to_regnamespace(current_schema())"
_TABLES = f"c.relnamespace = {_SCHEMA_OID} AND c.relkind IN ('r', 'p') AND c.relname NOT LIKE 'sqlbatch\\_%'"
# one round trip per unit of work: capture on, the log's mark, and a signature of the tables
# (how many, their oids and column counts, how many carry the trigger) to notice new tables
_START = f"""
SELECT set_config('sqlbatch.capture', 'on', true),
       (SELECT coalesce(max(seq), 0) FROM pg_temp.{LOG}),
       (SELECT count(*) || ':' || coalesce(sum(c.oid::int8 * 7 + c.relnatts), 0) || ':' ||
               (SELECT count(*) FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid
                WHERE g.tgname = 'sqlbatch_capture' AND {_TABLES})
        FROM pg_class c WHERE {_TABLES})
"""
_HOLDS_LOCKS = """
SELECT EXISTS (SELECT 1 FROM pg_locks l JOIN pg_class c ON c.oid = l.relation
               WHERE l.pid = pg_backend_pid() AND c.relname = ANY(%s) AND c.relnamespace = to_regnamespace(%s))
"""
_TRUNCATE_AFTER = 20_000  # log rows; a truncate costs about one commit's file work
_KEYED = f"""
SELECT c.relname, EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary)
FROM pg_class c WHERE {_TABLES} ORDER BY c.relname
"""


class CaptureManager:
    """The connection's trigger capture, (re)installed when the schema's tables change."""

    def __init__(self, conn: PgConnection) -> None:
        self.conn = conn
        self.capture: TriggerCapture | None = None
        self.unkeyed: tuple[str, ...] = ()  # tables without a primary key: not captured
        self._signature: str | None = None
        self._cut = 0  # the log's mark when it was last truncated

    def start(self) -> int:
        """Capture on for this transaction; the log's mark (install first if the tables changed).

        Every earlier unit of the session has read its rows (a unit's changes are taken at
        its commit or rollback, and one unit is open at a time), so a long log is truncated
        here; inside a transaction that later rolls back, the truncation rolls back too.
        """
        raw = self.conn.raw
        _, mark, signature = raw.execute(_START).fetchone()  # type: ignore[misc]
        if signature != self._signature:
            self._install()
            _, mark, signature = raw.execute(_START).fetchone()  # type: ignore[misc]
            self._signature = signature
        if mark - self._cut > _TRUNCATE_AFTER:
            raw.execute(f"TRUNCATE pg_temp.{LOG}")  # the identity goes on: marks stay increasing
            self._cut = mark
        return int(mark)

    def _install(self) -> None:
        rows = self.conn.raw.execute(_KEYED).fetchall()
        keyed = [name for name, has_pk in rows if has_pk]
        self.unkeyed = tuple(name for name, has_pk in rows if not has_pk)
        self.capture = None
        if keyed:
            schema = self.conn.query_value("SELECT current_schema()")
            try:
                capture = TriggerCapture(self.conn.raw, keyed, schema=schema)
            except NoPrimaryKey:  # a table without a key that a cascade writes: nothing recorded
                return  # (unkeyed names it: memory refuses; savepoint still undoes exactly)
            if not capture.installed():  # DDL only when needed: it locks the tables until commit
                self._install_triggers(capture, keyed, schema)
            self.capture = capture

    def _install_triggers(self, capture: TriggerCapture, keyed: list[str], schema: str) -> None:
        """The triggers, committed at once by a session of their own where possible: CREATE
        TRIGGER locks a table against writes until its transaction ends, and other hosts write
        the same tables meanwhile. In the caller's transaction instead when it holds locks on
        them already (it wrote or created them: the other session would wait for it, or not
        see them), or when that session cannot do it."""
        conn = self.conn
        if not conn.query_value(_HOLDS_LOCKS, (keyed, schema)):
            try:
                with conn.side_session() as side:
                    TriggerCapture(side, keyed, schema=schema).install()
                return
            except (psycopg.Error, UnsupportedSchemaError):
                pass
        capture.install()  # in the caller's transaction as a savepoint, or committed now


class PgTracker:
    """One unit of work's savepoint and its stretch of the capture log."""

    def __init__(self, conn: PgConnection, *, replay: bool, record: bool = True) -> None:
        self._conn = conn
        self._replay = replay
        self._mark = conn.capture.start()
        if replay and conn.capture.unkeyed:
            raise UnsupportedSchemaError(
                f"table(s) {', '.join(conn.capture.unkeyed)} have no primary key: the memory strategy cannot"
                " replay their before-images; add one, or use strategy='savepoint'"
            )
        self._record = record and conn.capture.capture is not None
        self._name = f"sqlbatch_uow_{next(_names)}"
        conn.raw.execute(f"SAVEPOINT {self._name}")

    def changes(self) -> list[Change]:
        capture = self._conn.capture.capture
        if not self._record or capture is None or self._conn.transaction_failed:
            return []
        return [c.to_change() for c in capture.changes(self._mark, typed=False)]

    def check(self) -> None:
        return None

    def undo(self) -> None:
        capture = self._conn.capture.capture
        if self._replay and capture is not None and not self._conn.transaction_failed:
            try:
                capture.undo(self._mark)
                return
            except UndoFailed:
                pass  # nothing was changed by the attempt: the savepoint does it exactly
        self._conn.raw.execute(f"ROLLBACK TO SAVEPOINT {self._name}")

    def close(self) -> None:
        if self._conn.in_transaction and not self._conn.transaction_failed:
            self._conn.raw.execute(f"RELEASE SAVEPOINT {self._name}")


def check_strategy(strategy: Any) -> None:
    """Refuse ``session`` (a usage error naming the alternatives); every other strategy runs."""
    if getattr(strategy, "name", None) == "session":
        raise ConfigurationError(
            "strategy 'session' is SQLite-only (it is SQLite's session extension): on PostgreSQL use"
            " 'memory' (before-images from row triggers) or 'savepoint' (the server's savepoints)"
        )


def tracker_for(conn: PgConnection, strategy: Any) -> Any:
    """The tracker of a named strategy on PostgreSQL; any other callable is called as on SQLite."""
    check_strategy(strategy)
    name = getattr(strategy, "name", None)
    if name == "memory":
        return PgTracker(conn, replay=True)
    if name == "savepoint":
        return PgTracker(conn, replay=False, record=getattr(strategy, "record", True))
    return strategy(conn)
