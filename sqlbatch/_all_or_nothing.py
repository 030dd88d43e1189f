"""All-or-nothing mode: every record in one transaction, committed only if every check passes.

A backup is taken first where the engine has one (SQLite: an online copy of the file;
PostgreSQL: none, the run is one server transaction, and a committed run is undone later from
its undo journal with ``revert``). A failing record, batch check or post-run check rolls
everything back and quarantines the failing records; a record that makes SQLite end the
transaction (or a failed statement on PostgreSQL, which leaves the transaction refusing
every other one) stops applying (the rest is only read and checked).

Memory stays flat however long the run (as a batched run's): inside the run's one
transaction each batch is a nested unit of work of its own. The setup, then each batch, is
applied, checked and its unit ended; its before-images go to ``sqlbatch_undo`` at once
(setup as batch 0, then one row per batch, as a batched run stores them) and nothing of the
batch stays in memory: neither its records nor its capture nor its changes. Outcomes are
counted as they come. If the run fails, its one ROLLBACK takes the data and those undo rows
together; if it commits, ``revert`` replays all of its rows. A dry run keeps what it reports
(``result.changes``, every change of the run, as a batched dry run does), so it is not flat.

What a batch check sees: **one batch** (its records, keys and changes, ``batch_no`` its
number), as in batched mode, run right after the batch is applied, before the COMMIT. The
library's two checks that bound what the run does as a whole, ``UniqueInBatch`` (no key twice)
and ``BlastRadius`` (at most N deletes), keep their run-wide meaning here with only keys and
a count (see :mod:`sqlbatch._run_checks`). A check about rows a batch touched that a *later*
batch changes without touching them again is the post-run check's (``final_validators``,
over the whole database, also before the COMMIT), as in batched mode. Checks run on every
batch until a batch's ``apply`` fails (that batch is left half-written, and the run rolls
back anyway); a rejected record or a failing check leaves whole batches, so later batches
are still checked and every failing record is listed.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._batch_journal import written_keys
from ._changes import Change
from ._errors import TransactionLost
from ._isolate import RecordFailed
from ._reading import Batch, read_batches
from ._run_checks import RunCheck, split_checks
from ._tally import OutcomeTally, count_rolled_back
from .validators import BatchContext, Issue, run_all

if TYPE_CHECKING:
    from ._state import RunState
    from ._unit_of_work import UnitOfWork

_FAILED = object()  # what _apply returns for a batch whose apply failed


@dataclass
class _Run:
    """What the run keeps across its batches: failures, counts, and what its checks need."""

    checks: list[Any]  # run on each batch
    run_checks: list[RunCheck]  # run-scoped: each batch's part, then once at the end
    failures: list[tuple[str, Issue, int]] = field(default_factory=list)  # record key, issue, batch
    tally: OutcomeTally = field(default_factory=OutcomeTally)
    dry_changes: list[Change] = field(default_factory=list)  # a dry run's report
    broken: bool = False  # a batch's apply failed: it is half-written, later batches go unchecked
    lost: bool = False  # a record made SQLite end the transaction


def run_all_or_nothing(state: RunState, records: Iterable[Any], skip_to: int) -> None:
    config, conn = state.config, state.conn
    if not state.dry_run:
        folder = Path(config.backup_dir) if config.backup_dir else None
        path = state.backend.backup(conn, folder, config.backup_retention)
        state.result.backup_path = str(path) if path else None
    if not conn.in_transaction:  # a dry run's start left its transaction open
        state.begin()
    run = _Run(*split_checks(config.batch_validators))
    try:
        if config.setup is not None:
            with conn.unit_of_work(config.tracker, name="all-or-nothing setup", nested=True) as uow:
                config.setup(uow)
            _keep(state, run, uow, None, None)
        for batch in read_batches(state, records, skip_to):
            _take(state, run, batch)
        _check(state, run)
    except BaseException:
        state.rollback_quietly()
        raise
    if run.failures or state.dry_run:
        _roll_back(state, run)
    else:
        _commit(state, run)


def _take(state: RunState, run: _Run, batch: Batch) -> None:
    """One batch in a nested unit of work: applied, checked, ended, its changes journaled."""
    run.failures.extend((it.key, issue, batch.no) for it, issue in batch.rejected)
    state.result.warnings.extend(batch.warnings)
    state.result.metrics.batch_count += 1
    if run.lost:
        return
    conn, config = state.conn, state.config
    uow = conn.unit_of_work(config.tracker, name=f"all-or-nothing batch {batch.no}", nested=True).begin()
    try:
        outcomes = _apply(state, run, uow, batch)
        if outcomes is _FAILED:  # failed: left as it is (the run's ROLLBACK undoes it)
            if state.dry_run and not run.lost:  # its writes are reported, as they were made
                run.dry_changes.extend(uow.changes)
            uow.abandon()
        else:
            if outcomes is not None:
                run.tally.add(outcomes)
            if not run.broken:
                items = batch.items
                ctx = BatchContext(conn, uow, [it.record for it in items], [it.key for it in items], batch.no)
                _sort(state, run, run_all(run.checks, ctx), batch.no)
                for check in run.run_checks:
                    check.add(ctx)
            uow.commit()  # nested: ends the recording; the run's transaction stays open
            _keep(state, run, uow, batch, outcomes)
    except BaseException:
        if uow.state == "active":
            uow.abandon()  # the caller rolls the whole transaction back
        raise
    state.progressed(batch.size)


def _apply(state: RunState, run: _Run, uow: UnitOfWork, batch: Batch) -> Any:
    """``apply`` on one batch: its outcomes (a list, or None), or ``_FAILED`` (every record's
    failure, or the one named)."""
    try:
        got = state.config.apply(uow, [it.prepared for it in batch.items])
        return None if got is None else list(got)
    except RecordFailed as exc:
        run.failures.append((exc.issue.record or "?", exc.issue, batch.no))
    except TransactionLost as exc:
        run.lost = True
        reason = f"a record of this batch made SQLite end the transaction: {exc.__cause__ or exc}"
        run.failures.extend((it.key, Issue("transaction_rollback", reason, it.key), batch.no) for it in batch.items)
    except state.backend.fatal_errors:
        raise
    except Exception as exc:  # noqa: BLE001 - fails the whole run, named by batch
        run.failures.extend((it.key, Issue(type(exc).__name__, str(exc), it.key), batch.no) for it in batch.items)
        # PostgreSQL: a failed statement leaves the transaction refusing every other one, as
        # if it were lost: the rest is only read and checked
        run.lost = state.conn.transaction_failed
    run.broken = True
    return _FAILED


def _keep(state: RunState, run: _Run, uow: UnitOfWork, batch: Batch | None, outcomes: list[str] | None) -> None:
    """A dry run keeps the unit's changes to report; a run that may still commit stores them
    as the batch's undo row (the setup's: batch 0), with the keys of the records it wrote, as
    a batched run does (a run that failed already will roll back: nothing to store)."""
    if state.dry_run:
        run.dry_changes.extend(uow.changes)
        return
    changes = uow.changes if state.config.keep_undo and not run.failures else None
    if not changes:
        return
    keys = written_keys(batch.items, outcomes) if batch is not None else None
    state.journal.store_undo(state.result.run_id, batch.no if batch else 0, changes, keys)  # type: ignore[arg-type]


def _check(state: RunState, run: _Run) -> None:
    """The run-scoped batch checks, then the post-run check, before COMMIT."""
    if not run.broken and not run.lost:
        for check in run.run_checks:
            _sort(state, run, check.issues(), 0)
    if not run.failures and not run.lost and state.config.final_validators:
        _sort(state, run, run_all(state.config.final_validators, state.conn), 0)


def _sort(state: RunState, run: _Run, issues: list[Issue], batch_no: int) -> None:
    for issue in issues:
        if issue.severity == "error":
            run.failures.append((issue.record or "-", issue, batch_no))
        else:
            state.result.warnings.append(issue)


def _roll_back(state: RunState, run: _Run) -> None:
    """One ROLLBACK: the data, the setup and every undo row the run stored go together."""
    result, conn = state.result, state.conn
    if state.dry_run and not run.lost:
        result.changes.extend(run.dry_changes)
    run.dry_changes = []
    if conn.in_transaction:
        state.backend.rollback(conn)
    else:  # already ended by SQLite: nothing to undo
        state.rollback_quietly()
    if run.failures:
        result.status = "rolled_back"
        count_rolled_back(result, run.failures)
    run.tally.count_into(result.metrics, committed=state.dry_run and not run.failures)
    if not state.dry_run:
        kept = [i for _, i, _ in run.failures] + result.warnings
        state.write(lambda: state.journal.add_issues(result.run_id, None, kept))  # type: ignore[arg-type]


def _commit(state: RunState, run: _Run) -> None:
    result, journal = state.result, state.journal
    if result.warnings:  # in the same transaction as the data they describe
        journal.add_issues(result.run_id, None, result.warnings)  # type: ignore[arg-type]
    state.backend.commit(state.conn)
    result.metrics.batches_succeeded = result.metrics.batch_count
    run.tally.count_into(result.metrics, committed=True)
