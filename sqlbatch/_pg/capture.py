"""The ``memory`` strategy on PostgreSQL: before- and after-images from row triggers.

PostgreSQL has no preupdate hook, so sqlbatch installs one small row trigger
(``AFTER INSERT OR UPDATE OR DELETE ... FOR EACH ROW``) on each table a job writes. It
appends ``to_jsonb(OLD)`` / ``to_jsonb(NEW)`` (images by column name) to a TEMP table of
the session, ``ON COMMIT DELETE ROWS``: the log is per transaction, and because it is an
ordinary table, ``ROLLBACK TO SAVEPOINT`` and a failed statement take their log rows with
them (the hook's gap on SQLite does not exist here).

The trigger writes only while the transaction-local setting ``sqlbatch.capture`` is
``on`` (``set_config(..., true)``, set by :meth:`TriggerCapture.begin`): other sessions
(another host, the web app) and every later transaction of this one pass through untouched.

Sequences are not transactional on PostgreSQL (a ROLLBACK does not give ``nextval`` back
either), so unlike SQLite's ``sqlite_sequence`` nothing is restored for them. TRUNCATE fires
no row triggers and is refused while capturing.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

import psycopg
from psycopg import sql

from .._changes import Change
from .._errors import SqlbatchError
from .tables import TableShape, compensate, table_shape

__all__ = ["CapturedChange", "TriggerCapture", "UndoFailed"]

TRIGGER = "sqlbatch_capture"
LOG = "sqlbatch_capture_log"

# Small on purpose: it runs once per written row. OLD is NULL for INSERT, NEW for DELETE.
_FUNCTION = """
CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO pg_temp.sqlbatch_capture_log (tbl, op, depth, old, new)
  VALUES (TG_TABLE_NAME, TG_OP, pg_trigger_depth() - 1, to_jsonb(OLD), to_jsonb(NEW));
  RETURN NULL;
END $$
"""
_TRUNCATE_FUNCTION = """
CREATE OR REPLACE FUNCTION {fn}() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'sqlbatch: TRUNCATE of % is not captured (no row triggers fire); use DELETE', TG_TABLE_NAME
    USING ERRCODE = 'feature_not_supported';
END $$
"""
_WHEN = "WHEN (current_setting('sqlbatch.capture', true) = 'on')"
_LOG_DDL = f"""
CREATE TEMP TABLE {LOG} (
  seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  tbl text NOT NULL, op text NOT NULL, depth int NOT NULL, old jsonb, new jsonb
) ON COMMIT DELETE ROWS
"""


class UndoFailed(SqlbatchError):
    """The before-images could not be replayed; the transaction is as it was before the attempt."""


@dataclass(frozen=True, slots=True)
class CapturedChange:
    """One row written, as the trigger saw it. ``key`` is the primary key (after the write, or
    before it for a DELETE). ``depth`` is 0 for the caller's statement and >= 1 for a user
    trigger's writes; rows changed by a foreign-key cascade report 0 (unlike SQLite's hook):
    PostgreSQL fires their AFTER triggers from the outer statement's queue, not nested."""

    seq: int
    table: str
    op: str  # "INSERT" | "UPDATE" | "DELETE"
    key: dict[str, Any]
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    depth: int

    def to_change(self) -> Change:
        """The core's record of a change (key as a tuple in primary-key order)."""
        return Change(
            self.table, self.op, tuple(self.key.values()), self.before, self.after, self.depth, tuple(self.key)
        )


class TriggerCapture:
    """Capture writes to ``tables`` (in ``schema``) and undo them from their before-images.

    Tables referencing a captured table with an ``ON DELETE/UPDATE CASCADE | SET NULL |
    SET DEFAULT`` foreign key are captured too (their rows change with it), transitively.
    """

    def __init__(self, conn: psycopg.Connection, tables: Iterable[str], *, schema: str = "public") -> None:
        names = list(dict.fromkeys(tables))
        if not names:
            raise ValueError("TriggerCapture(tables=...): name at least one table to capture")
        self.conn = conn
        self.schema = schema
        self.tables = _with_cascade_targets(conn, schema, names)
        self.shapes: dict[str, TableShape] = {t: table_shape(conn, schema, t) for t in self.tables}
        self._quiet: bool | None = None  # may the undo run with session_replication_role = replica

    # -- installation (DDL on shared tables: once per job, in its own transaction) ----------

    def install(self) -> None:
        """Create the trigger function and each table's triggers; those present are left alone.

        Commits when no transaction is open; inside one, it is a savepoint of the caller's."""
        with self.conn.transaction():
            # one installer at a time: CREATE OR REPLACE FUNCTION races with itself
            self.conn.execute("SELECT pg_advisory_xact_lock(hashtext('sqlbatch.capture.install'))")
            self.conn.execute(sql.SQL(_FUNCTION).format(fn=self._fn("sqlbatch_capture_row")))
            self.conn.execute(sql.SQL(_TRUNCATE_FUNCTION).format(fn=self._fn("sqlbatch_capture_truncate")))
            present = self._installed()
            for table in self.tables:
                if table in present:
                    continue
                t = self.shapes[table].ident
                self.conn.execute(
                    sql.SQL(
                        "CREATE TRIGGER {trg} AFTER INSERT OR UPDATE OR DELETE ON {t} FOR EACH ROW {when}"
                        " EXECUTE FUNCTION {fn}()"
                    ).format(trg=sql.Identifier(TRIGGER), t=t, when=sql.SQL(_WHEN), fn=self._fn("sqlbatch_capture_row"))
                )
                # ALWAYS: it records under session_replication_role = replica too, where a
                # restore (revert, compensation) writes without user triggers or FK actions
                self.conn.execute(
                    sql.SQL("ALTER TABLE {t} ENABLE ALWAYS TRIGGER {trg}").format(t=t, trg=sql.Identifier(TRIGGER))
                )
                self.conn.execute(
                    sql.SQL(
                        "CREATE TRIGGER {trg} BEFORE TRUNCATE ON {t} FOR EACH STATEMENT {when} EXECUTE FUNCTION {fn}()"
                    ).format(
                        trg=sql.Identifier(TRIGGER + "_truncate"),
                        t=t,
                        when=sql.SQL(_WHEN),
                        fn=self._fn("sqlbatch_capture_truncate"),
                    )
                )

    def uninstall(self) -> None:
        """Drop this capture's triggers (the functions stay: other tables may use them)."""
        with self.conn.transaction():
            for table in self.tables:
                for name in (TRIGGER, TRIGGER + "_truncate"):
                    self.conn.execute(
                        sql.SQL("DROP TRIGGER IF EXISTS {trg} ON {t}").format(
                            trg=sql.Identifier(name), t=self.shapes[table].ident
                        )
                    )

    def installed(self) -> bool:
        return self._installed() >= set(self.tables)

    # -- one transaction's log ---------------------------------------------------------------

    def begin(self) -> None:
        """Start recording in the current transaction (call after BEGIN); ends with it.

        One round trip once the session has its log table (created by the first batch; a
        rolled-back first batch takes it along, so its presence is asked, not remembered).
        """
        row = self.conn.execute(
            f"SELECT set_config('sqlbatch.capture', 'on', true), to_regclass('pg_temp.{LOG}') IS NOT NULL"
        ).fetchone()
        if not (row and row[1]):
            self.conn.execute(_LOG_DDL)

    def mark(self) -> int:
        """A point in the log: :meth:`changes` and :meth:`undo` take what came after it."""
        row = self.conn.execute(f"SELECT coalesce(max(seq), 0) FROM pg_temp.{LOG}").fetchone()
        return int(row[0]) if row else 0

    def changes(self, since: int = 0, *, typed: bool = True) -> list[CapturedChange]:
        """The changes after ``since``, in order. ``typed``: values as a SELECT returns them
        (datetime, Decimal, bytes...); otherwise as JSON (storable, and what :meth:`undo` uses)."""
        images = "NULL, NULL" if typed else "old, new"  # typed: the images come from _typed, parsed once
        raw = self.conn.execute(
            f"SELECT seq, tbl, op, depth, {images} FROM pg_temp.{LOG} WHERE seq > %s ORDER BY seq", (since,)
        ).fetchall()
        typed_images = self._typed(since) if typed else {}
        out = []
        for seq, tbl, op, depth, old, new in raw:
            if typed:
                old, new = typed_images.get((seq, "old")), typed_images.get((seq, "new"))
            before, after = old, new
            keyed = after if after is not None else before
            key = {c: keyed[c] for c in self.shapes[tbl].pk}
            out.append(CapturedChange(seq, tbl, op, key, before, after, depth))
        return out

    def undo(self, since: int = 0) -> int:
        """Restore the before-images of the changes after ``since``, newest first, and forget
        them. Inside the transaction: what ``ROLLBACK TO SAVEPOINT`` would have left.

        Where the role may set ``session_replication_role`` (a superuser, or PostgreSQL 15's
        ``GRANT SET ON PARAMETER session_replication_role``), the replay runs as ``replica``:
        no user trigger and no foreign-key action fires, each row gets exactly its image.
        Otherwise triggers fire as for any write (a user trigger with side effects then leaves
        them), and a cascade through an immediate foreign key cannot be replayed row by row
        (PostgreSQL logs the parent before the rows its cascade changed; DEFERRABLE keys are
        fine): :class:`UndoFailed` is raised with nothing changed (a savepoint of its own), and
        the caller rolls the batch back instead.
        """
        rows = self.conn.execute(
            f"SELECT tbl, op, old::text, new::text FROM pg_temp.{LOG} WHERE seq > %s ORDER BY seq DESC", (since,)
        ).fetchall()
        # the compensations are not changes; transaction-local, so an error cannot leave it off
        self.conn.execute("SELECT set_config('sqlbatch.capture', 'off', true)")
        quiet = self._may_silence_triggers()
        try:
            with self.conn.transaction(), self.conn.cursor() as cur:
                if quiet:
                    prior = cur.execute("SELECT current_setting('session_replication_role')").fetchone()
                    cur.execute("SELECT set_config('session_replication_role', 'replica', true)")
                for tbl, op, old, new in rows:
                    compensate(cur, self.shapes[tbl], op, old, new)
                if quiet:
                    cur.execute("SELECT set_config('session_replication_role', %s, true)", prior)
                self.conn.execute(f"DELETE FROM pg_temp.{LOG} WHERE seq > %s", (since,))
        except psycopg.errors.ForeignKeyViolation as exc:
            raise UndoFailed(
                f"cannot replay the before-images in reverse: {exc.diag.message_primary} (a cascade through"
                f" the immediate foreign key {exc.diag.constraint_name!r}); declare it DEFERRABLE, or roll back"
                " to a savepoint (the savepoint strategy)"
            ) from exc
        finally:
            if self.conn.info.transaction_status == psycopg.pq.TransactionStatus.INTRANS:
                self.conn.execute("SELECT set_config('sqlbatch.capture', 'on', true)")
        return len(rows)

    # -- helpers -------------------------------------------------------------------------------

    def _may_silence_triggers(self) -> bool:
        if self._quiet is None:
            granted = "has_parameter_privilege('session_replication_role', 'SET')"  # PostgreSQL 15+
            if self.conn.info.server_version < 150000:
                granted = "false"
            row = self.conn.execute(
                f"SELECT rolsuper OR {granted} FROM pg_roles WHERE rolname = current_user"
            ).fetchone()
            self._quiet = bool(row and row[0])
        return self._quiet

    def _fn(self, name: str) -> sql.Composable:
        return sql.Identifier(self.schema, name)

    def _installed(self) -> set[str]:
        rows = self.conn.execute(
            "SELECT c.relname FROM pg_trigger g JOIN pg_class c ON c.oid = g.tgrelid"
            " JOIN pg_namespace n ON n.oid = c.relnamespace WHERE g.tgname = %s AND n.nspname = %s",
            (TRIGGER, self.schema),
        ).fetchall()
        return {r[0] for r in rows}

    def _typed(self, since: int) -> dict[tuple[int, str], dict[str, Any]]:
        """Each image turned back into the table's row type, so values come typed by psycopg."""
        images: dict[tuple[int, str], dict[str, Any]] = {}
        tables = [r[0] for r in self.conn.execute(f"SELECT DISTINCT tbl FROM pg_temp.{LOG} WHERE seq > %s", (since,))]
        for tbl in tables:
            for side in ("old", "new"):
                query = sql.SQL(
                    "SELECT l.seq, r.* FROM pg_temp.{log} l, jsonb_populate_record(NULL::{t}, l.{side}) r"
                    " WHERE l.tbl = %s AND l.seq > %s AND l.{side} IS NOT NULL"
                ).format(log=sql.Identifier(LOG), t=self.shapes[tbl].ident, side=sql.Identifier(side))
                with self.conn.cursor() as cur:
                    cur.execute(query, (tbl, since))
                    cols = [d.name for d in cur.description or ()][1:]
                    for seq, *values in cur:
                        images[(seq, side)] = dict(zip(cols, values, strict=True))
        return images


_CASCADING = """
SELECT DISTINCT c.relname FROM pg_constraint k
JOIN pg_class c ON c.oid = k.conrelid JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE k.contype = 'f' AND k.confrelid = to_regclass(format('%%I.%%I', %s::text, %s::text))
  AND n.nspname = %s AND (k.confdeltype IN ('c', 'n', 'd') OR k.confupdtype IN ('c', 'n', 'd'))
"""


def _with_cascade_targets(conn: psycopg.Connection, schema: str, tables: list[str]) -> tuple[str, ...]:
    found = list(tables)
    todo = list(tables)
    while todo:
        for (child,) in conn.execute(_CASCADING, (schema, todo.pop(), schema)).fetchall():
            if child not in found:
                found.append(child)
                todo.append(child)
    return tuple(found)
