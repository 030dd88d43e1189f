"""A run's life cycle in the journal: start, resume point, dead runs, setup, finish, abort."""

from __future__ import annotations

import contextlib
import os
from typing import TYPE_CHECKING

from ._errors import SqlbatchError
from ._results import SourceFailed

if TYPE_CHECKING:
    from ._state import RunState

_DIED = "ended without finishing (killed, power lost or disk full)"


def start(state: RunState) -> None:
    """The run's journal row (and the journal's tables); a dry run keeps the transaction open."""
    config, result, journal = state.config, state.result, state.journal
    state.begin()
    try:
        journal.ensure()
        result.run_id = journal.start_run(
            job=config.job,
            source=state.source,
            mode=result.mode,
            strategy=result.strategy,
            on_failure=config.on_failure,
            batch_size=config.batch_size,
            status="running",
            pid=os.getpid(),
            host=os.uname().nodename,  # gethostname() without importing socket
        )
        state.quarantined_before = journal.quarantined_keys()
        if config.undo_retention_days:
            journal.prune_undo(config.undo_retention_days)
    except BaseException:
        state.backend.rollback(state.conn)
        raise
    if not state.dry_run:
        state.backend.commit(state.conn)


def resume_point(state: RunState) -> int:
    """Position reached by an interrupted earlier run of the same job and source."""
    conn, journal, run_id = state.conn, state.journal, state.result.run_id
    row = conn.execute(
        "SELECT run_id, last_position FROM sqlbatch_runs WHERE job=? AND source IS NOT DISTINCT FROM ? AND run_id<?"
        " ORDER BY run_id DESC LIMIT 1",
        (state.config.job, state.source, run_id),
    ).fetchall()
    if not row:
        return 0
    prev_id, prev_reached = row[0]
    status = conn.query_value("SELECT status FROM sqlbatch_runs WHERE run_id=?", (prev_id,))
    if status not in ("running", "aborted", "interrupted"):
        return 0
    reached = conn.query_value("SELECT max(last_position) FROM sqlbatch_batches WHERE run_id=?", (prev_id,))
    # ``sqlbatch_runs.last_position`` also carries the point a resumed run started from, so
    # a resumed run interrupted before its first commit still passes that point on.
    reached = max(int(reached or 0), int(prev_reached or 0))

    def note() -> None:
        if status == "running":  # it never finished: killed, power lost, or no space left to say so
            journal.update_run(prev_id, status="interrupted", error=f"{_DIED}; run {run_id} resumed it")
        if reached:
            journal.update_run(run_id, resumed_from=prev_id, last_position=reached)  # type: ignore[arg-type]

    state.write(note)
    return reached


def mark_dead_runs(state: RunState) -> None:
    """Rows still ``running`` while this run holds the lease belong to runs that died."""
    run_id = state.result.run_id
    why = f"{_DIED}; its lease was free when run {run_id} started"
    state.write(
        lambda: state.conn.execute(
            "UPDATE sqlbatch_runs SET status='interrupted', error=? WHERE status='running' AND run_id<?",
            (why, run_id),
        )
    )


def run_setup(state: RunState) -> None:
    """Batched mode: ``setup(uow)`` in a unit of work of its own, journaled as batch 0, committed.

    Its before-images are stored like a batch's, so reverting the run undoes it too.
    """
    setup, config, result = state.config.setup, state.config, state.result
    if setup is None:
        return

    def once() -> None:
        if not state.conn.in_transaction:  # a dry run's start left its transaction open
            state.begin()
        try:
            with state.conn.unit_of_work(config.tracker, name="setup", nested=True) as uow:
                setup(uow)
            if state.dry_run:
                result.changes.extend(uow.changes)
            elif config.keep_undo and uow.changes:
                state.journal.store_undo(result.run_id, 0, uow.changes)  # type: ignore[arg-type]
        except BaseException:
            if not state.dry_run:
                state.rollback_quietly()
            raise
        if not state.dry_run:
            state.backend.commit(state.conn)

    if state.dry_run:
        once()
    else:
        state.retry(once)


def finish(state: RunState) -> None:
    result, m = state.result, state.result.metrics
    m.warnings = len(result.warnings)
    if result.status == "running":
        result.status = "completed" if not result.quarantined else "completed_with_quarantine"
    if not state.dry_run:
        _journal_end(state, result.status, batches_committed=m.batches_succeeded, batches_failed=m.batches_failed)


def abort(state: RunState, exc: BaseException) -> None:
    """Roll back what is open, then say in the journal why the run stopped (best effort)."""
    result = state.result
    state.rollback_quietly()
    result.status = "aborted"
    result.error = describe_fatal(state, exc)
    if state.dry_run or result.run_id is None:
        return
    # if this fails too, the journal row stays "running"; a rerun treats it as interrupted
    with contextlib.suppress(*state.backend.database_errors, SqlbatchError):
        _journal_end(state, "aborted")


def _journal_end(state: RunState, status: str, **counts: int) -> None:
    """The run's row: final status, metrics, counts and error, in a transaction of its own."""
    result, m = state.result, state.result.metrics
    fields = dict(
        records_total=m.records_total,
        records_committed=m.records_committed,
        records_quarantined=m.records_quarantined,
        error=result.error,
        **counts,
    )
    state.write(lambda: state.journal.finish_run(result.run_id, status, m.to_dict(), **fields))  # type: ignore[arg-type]


def describe_fatal(state: RunState, exc: BaseException) -> str:
    described = state.backend.describe_fatal(exc)
    if described is not None:
        return described
    if isinstance(exc, SourceFailed):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted: run again to resume; committed batches are kept"
    return f"{type(exc).__name__}: {exc}; committed batches are kept, run again to resume"
