"""Revert a committed run or batch later, exactly, with conflict detection.

The before-images each batch stored (``sqlbatch_undo``) are replayed in reverse inside one
transaction. Before anything is written, every row the run changed is compared with its
recorded after-image: a row changed since — by a later run or by hand — is a conflict, and
the revert refuses, naming the later run to revert first. Nothing is silently overwritten.

The revert is journaled as a run of its own (``mode='revert'``) with its own before-images,
so a revert can itself be reverted. AUTOINCREMENT counters are left advanced (ids are never
reused). Triggers are off and foreign keys deferred while rows are restored; then the
tables involved are checked for dangling references (SQLite: ``PRAGMA foreign_key_check``;
PostgreSQL: a query per foreign key): a row a later run made refer to a row the revert
removes is a conflict too.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any

from ._backend import Dangling, backend_for
from ._changes import Change
from ._errors import SqlbatchError
from ._journal import Journal
from ._restore import Conflict, conflicts, current_row, later_run, restore_changes
from ._undo import decode, encode
from .audit import net_changes, summarize

if TYPE_CHECKING:
    from ._connection import Connection

__all__ = ["Conflict", "RevertError", "RevertRefused", "RevertResult", "revert"]


class RevertError(SqlbatchError):
    """The revert cannot start (unknown run, no stored before-images)."""


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
        return asdict(self)  # the tables' summaries too


def revert(
    conn: Connection, run_id: int, *, batch: int | None = None, dry_run: bool = False, strategy: str = "memory"
) -> RevertResult:
    """Restore every row ``run_id`` (or its ``batch``) changed to its state before the run."""
    backend = backend_for(conn)
    conn.execute(backend.undo_ddl)
    blobs = conn.execute(
        "SELECT batch_no, data FROM sqlbatch_undo WHERE run_id=?"
        + (" AND batch_no=?" if batch is not None else "")
        + " ORDER BY batch_no",
        (run_id, batch) if batch is not None else (run_id,),
    ).fetchall()
    has_runs = backend.table_exists(conn, "sqlbatch_runs")
    known = conn.query_value("SELECT 1 FROM sqlbatch_runs WHERE run_id=?", (run_id,)) if has_runs else None
    if not known:
        raise RevertError(f"there is no run {run_id} in this database (its runs are in sqlbatch_runs)")
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
    backend.begin(conn)
    try:
        changed = conflicts(conn, run_id, changes, batch)
        if changed:
            raise RevertRefused(run_id, changed)
        journal = Journal(conn, backend)
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
        involved = {c.table for c in changes}
        already = set(backend.dangling(conn, involved))  # older damage is not the revert's doing
        with conn.unit_of_work(strategy, name=source, nested=True) as uow:
            restore_changes(conn, changes)
            made = uow.changes
        now = [d for d in backend.dangling(conn, involved) if d not in already]
        dangling = _dangling(conn, run_id, now, batch)
        if dangling:
            raise RevertRefused(run_id, dangling)
        tables = summarize(made)
        conn.execute(
            "INSERT INTO sqlbatch_undo(run_id, batch_no, changes, data) VALUES (?, 1, ?, ?)",
            (revert_run, len(made), encode(made)),
        )
        rows = len(net_changes(made))
        journal.finish_run(revert_run, "completed", {"rows_restored": rows}, records_total=rows, records_committed=rows)
        if dry_run:
            backend.rollback(conn)
            return RevertResult(run_id, batch, None, rows, tables, True)
        backend.commit(conn)
    except BaseException:
        backend.rollback(conn)
        raise
    return RevertResult(run_id, batch, revert_run, rows, tables)


def _dangling(conn: Connection, run_id: int, violations: list[Dangling], batch: int | None = None) -> list[Conflict]:
    """Rows left referring to a missing row: a later run (or a hand edit) built on what the revert removes.

    Checked here, not left to COMMIT: turning ``defer_foreign_keys`` off again (``quiet_writes``)
    resets SQLite's count of deferred violations, and PostgreSQL's restore runs without
    foreign-key triggers where it may, so COMMIT would not see them.
    """
    out = []
    for d in violations:
        probe = Change(d.table, "", d.key, None, None, 0, d.key_columns)
        now = current_row(conn, probe) if d.key else None
        later = later_run(conn, run_id, d.table, d.key, batch) if d.key else None
        out.append(Conflict(d.table, d.key, None, None, {**(now or {}), "missing_parent": d.parent}, later))
    return out
