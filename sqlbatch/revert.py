"""Revert a committed run or batch later, exactly, with conflict detection.

The before-images each batch stored (``sqlbatch_undo``) are replayed in reverse inside one
transaction. Before anything is written, every row the run changed is compared with its
recorded after-image: a row changed since — by a later run or by hand — is a conflict, and
the revert refuses, naming the later run to revert first. Nothing is silently overwritten.

The revert is journaled as a run of its own (``mode='revert'``) with its own before-images,
so a revert can itself be reverted. AUTOINCREMENT counters are left advanced (ids are never
reused). Triggers are off and foreign keys deferred while rows are restored; then the
tables involved are checked with ``PRAGMA foreign_key_check`` (a row a later run made
refer to a row the revert removes is a conflict too).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._changes import Change
from ._errors import SqlbatchError
from ._journal import Journal
from ._schema import quote
from ._undo import SCHEMA as UNDO_SCHEMA
from ._undo import decode, encode
from .audit import net_changes, summarize
from .strategies._base import quiet_writes

if TYPE_CHECKING:
    from ._connection import Connection

__all__ = ["Conflict", "RevertError", "RevertRefused", "RevertResult", "revert"]


class RevertError(SqlbatchError):
    """The revert cannot start (unknown run, no stored before-images)."""


@dataclass(frozen=True)
class Conflict:
    table: str
    key: tuple
    recorded_before: dict[str, Any] | None
    recorded_after: dict[str, Any] | None
    current: dict[str, Any] | None
    later_run: int | None

    def __str__(self) -> str:
        who = f"changed since by run {self.later_run}" if self.later_run else "changed since (not by a journaled run)"
        return f"{self.table} {list(self.key)}: {who}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "table": self.table,
            "key": list(self.key),
            "before": self.recorded_before,
            "after": self.recorded_after,
            "current": self.current,
            "later_run": self.later_run,
        }


class RevertRefused(SqlbatchError):
    """Rows changed since the run; reverting would overwrite those changes."""

    def __init__(self, run_id: int, conflicts: list[Conflict]) -> None:
        later = sorted({c.later_run for c in conflicts if c.later_run}, reverse=True)
        hint = f"; revert run {', '.join(map(str, later))} first" if later else ""
        super().__init__(f"revert of run {run_id} refused: {len(conflicts)} row(s) changed since{hint}")
        self.conflicts = conflicts
        self.later_runs = later


@dataclass
class RevertResult:
    reverted_run: int
    batch: int | None
    revert_run: int | None
    rows_restored: int
    tables: dict[str, Any] = field(default_factory=dict)
    dry_run: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {
            "reverted_run": self.reverted_run,
            "batch": self.batch,
            "revert_run": self.revert_run,
            "rows_restored": self.rows_restored,
            "dry_run": self.dry_run,
            "tables": {k: v.to_dict() for k, v in self.tables.items()},
        }


def revert(
    conn: Connection, run_id: int, *, batch: int | None = None, dry_run: bool = False, strategy: str = "memory"
) -> RevertResult:
    """Restore every row ``run_id`` (or its ``batch``) changed to its state before the run."""
    conn.raw.execute(UNDO_SCHEMA)
    blobs = conn.raw.execute(
        "SELECT batch_no, data FROM sqlbatch_undo WHERE run_id=?"
        + (" AND batch_no=?" if batch is not None else "")
        + " ORDER BY batch_no",
        (run_id, batch) if batch is not None else (run_id,),
    ).fetchall()
    known = conn.query_value("SELECT 1 FROM sqlbatch_runs WHERE run_id=?", (run_id,)) if _has_runs(conn) else None
    if not known:
        raise RevertError(f"there is no run {run_id} in this database: see 'status' for the runs")
    if not blobs:
        if batch is not None and not conn.query_value(
            "SELECT 1 FROM sqlbatch_batches WHERE run_id=? AND batch_no=?", (run_id, batch)
        ):
            count = conn.query_value("SELECT max(batch_no) FROM sqlbatch_batches WHERE run_id=?", (run_id,))
            raise RevertError(f"run {run_id} has no batch {batch} (its batches: 1 to {count or 0})")
        what = f"batch {batch} of run {run_id}" if batch is not None else f"run {run_id}"
        started = conn.query_value("SELECT started_at FROM sqlbatch_runs WHERE run_id=?", (run_id,))
        raise RevertError(
            f"{what} has no stored before-images: it changed no row, or they were pruned (before-images are"
            f" kept UNDO_RETENTION_DAYS days; run {run_id} started {started}). It cannot be reverted here:"
            " restore those rows from a backup; to keep before-images longer, raise UNDO_RETENTION_DAYS"
            " (0 keeps them forever)"
        )
    changes = [c for _, blob in blobs for c in decode(blob)]
    conn.raw.execute("BEGIN IMMEDIATE")
    try:
        conflicts = _conflicts(conn, run_id, changes, batch)
        if conflicts:
            raise RevertRefused(run_id, conflicts)
        journal = Journal(conn)
        journal.ensure()
        source = f"revert:{run_id}" + (f":{batch}" if batch is not None else "")
        revert_run = journal.start_run(
            job="revert",
            source=source,
            mode="revert",
            strategy=strategy,
            on_failure="abort",
            batch_size=0,
            status="running",
        )
        involved = _fk_tables(conn, {c.table for c in changes})
        already = set(_violations(conn, involved))  # older damage is not the revert's doing
        with conn.unit_of_work(strategy, name=source, nested=True) as uow:
            with quiet_writes(conn.raw):
                for change in reversed(changes):
                    _restore(conn, change)
            made = uow.changes
        dangling = _dangling(conn, run_id, [v for v in _violations(conn, involved) if v not in already], batch)
        if dangling:
            raise RevertRefused(run_id, dangling)
        tables = summarize(made)
        conn.raw.execute(
            "INSERT INTO sqlbatch_undo(run_id, batch_no, changes, data) VALUES (?, 1, ?, ?)",
            (revert_run, len(made), encode(made)),
        )
        rows = len(net_changes(made))
        journal.finish_run(revert_run, "completed", {"rows_restored": rows}, records_total=rows, records_committed=rows)
        if dry_run:
            conn.raw.execute("ROLLBACK")
            return RevertResult(run_id, batch, None, rows, tables, True)
        conn.raw.execute("COMMIT")
    except BaseException:
        if conn.in_transaction:
            conn.raw.execute("ROLLBACK")
        raise
    return RevertResult(run_id, batch, revert_run, rows, tables)


def _has_runs(conn: Connection) -> bool:
    return bool(conn.query_value("SELECT 1 FROM sqlite_schema WHERE name='sqlbatch_runs'"))


def _where(change: Change) -> tuple[str, list[Any]]:
    return " AND ".join(f"{_col(c)}=?" for c in change.key_columns), list(change.key)


def _col(name: str) -> str:
    return "rowid" if name == "rowid" else quote(name)


def _current(conn: Connection, change: Change) -> dict[str, Any] | None:
    where, params = _where(change)
    for row in conn.execute(f"SELECT * FROM main.{quote(change.table)} WHERE {where}", params):
        return row.asdict()
    return None


def _conflicts(conn: Connection, run_id: int, changes: list[Change], batch: int | None = None) -> list[Conflict]:
    conflicts = []
    for net in net_changes(changes):
        probe = Change(net.table, "", net.key, None, None, 0, _key_columns(changes, net.table, net.key))
        now = _current(conn, probe)
        if net.after is None:
            ok = now is None
        else:
            ok = now is not None and all(now.get(k) == v for k, v in net.after.items() if k in now)
        if not ok:
            conflicts.append(
                Conflict(
                    net.table, net.key, net.before, net.after, now, _later_run(conn, run_id, net.table, net.key, batch)
                )
            )
    return conflicts


def _key_columns(changes: list[Change], table: str, key: tuple) -> tuple[str, ...]:
    for c in changes:
        if c.table == table and c.key == key:
            return c.key_columns
    return ("rowid",)


def _later_run(conn: Connection, run_id: int, table: str, key: tuple, batch: int | None = None) -> int | None:
    """The newest later run (or, reverting one batch, the same run in a later batch) whose stored
    changes touch the same row."""
    for later, blob in conn.raw.execute(
        "SELECT run_id, data FROM sqlbatch_undo WHERE run_id>? OR (run_id=? AND batch_no>?)"
        " ORDER BY run_id DESC, batch_no DESC",
        (run_id, run_id, batch if batch is not None else 1 << 62),
    ):
        if any(c.table == table and c.key == key for c in decode(blob)):
            return later
    return None


def _fk_tables(conn: Connection, tables: set[str]) -> list[str]:
    """The tables the revert writes and those whose foreign keys refer to them."""
    names = [r[0] for r in conn.raw.execute("SELECT name FROM sqlite_schema WHERE type='table'")]
    out = []
    for name in names:
        parents = {r[2] for r in conn.raw.execute(f"PRAGMA foreign_key_list({quote(name)})")}
        if name in tables or parents & tables:
            out.append(name)
    return sorted(out)


def _violations(conn: Connection, tables: list[str]) -> list[tuple[Any, ...]]:
    out: list[tuple[Any, ...]] = []
    for table in tables:
        out.extend(tuple(r) for r in conn.raw.execute(f"PRAGMA foreign_key_check({quote(table)})"))
    return out


def _dangling(
    conn: Connection, run_id: int, violations: list[tuple[Any, ...]], batch: int | None = None
) -> list[Conflict]:
    """Rows left referring to a missing row: a later run (or a hand edit) built on what the revert removes.

    Checked here, not left to COMMIT: turning ``defer_foreign_keys`` off again (``quiet_writes``)
    resets SQLite's count of deferred violations, so COMMIT would not see them.
    """
    out = []
    for child, rowid, parent, _ in violations:
        now = _current(conn, Change(child, "", (rowid,), None, None, 0, ("rowid",))) if rowid is not None else None
        later = _later_run(conn, run_id, child, (rowid,), batch) if rowid is not None else None
        out.append(Conflict(child, (rowid,), None, None, {**(now or {}), "missing_parent": parent}, later))
    return out


def _restore(conn: Connection, c: Change) -> None:
    raw = conn.raw
    info = conn.schema.table(c.table)
    table = f"main.{quote(c.table)}"
    if c.op == "INSERT":
        where, params = _where(c)
        raw.execute(f"DELETE FROM {table} WHERE {where}", params)
        return
    before = {k: v for k, v in (c.before or {}).items() if k not in info.generated}
    if c.op == "DELETE":
        cols = list(before)
        values = list(before.values())
        if c.key_columns == ("rowid",):
            cols.insert(0, "rowid")
            values.insert(0, c.key[0])
        names = ", ".join(_col(n) for n in cols)
        raw.execute(f"INSERT INTO {table}({names}) VALUES ({', '.join('?' * len(cols))})", values)
        return
    where, params = _where(c)
    sets = ", ".join(f"{quote(k)}=?" for k in before)
    raw.execute(f"UPDATE {table} SET {sets} WHERE {where}", [*before.values(), *params])
