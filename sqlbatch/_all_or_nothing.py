"""All-or-nothing mode: every record in one transaction, committed only if every check passes.

A backup is taken first where the engine has one (SQLite: an online copy of the file;
PostgreSQL: none, the run is one server transaction, and a committed run is undone later from
its undo journal with ``revert``); one unit of work holds the whole run. A failing record, batch
check or post-run check rolls everything back and quarantines the failing records; a record
that makes SQLite end the transaction (or a failed statement on PostgreSQL, which leaves the
transaction refusing every other one) stops applying (the rest is only read and checked).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ._errors import TransactionLost
from ._isolate import Item, RecordFailed
from ._reading import Batch, read_batches
from ._tally import count_outcomes, count_rolled_back
from .validators import BatchContext, Issue, run_all

if TYPE_CHECKING:
    from ._state import RunState
    from ._unit_of_work import UnitOfWork


@dataclass
class _Whole:
    """The one unit of work of the run and what it gathered."""

    uow: UnitOfWork
    failures: list[tuple[str, Issue, int]] = field(default_factory=list)  # record key, issue, batch
    outcomes: list[str] = field(default_factory=list)
    items: list[Item] = field(default_factory=list)
    lost: bool = False  # a record made SQLite end the transaction


def run_all_or_nothing(state: RunState, records: Iterable[Any], skip_to: int) -> None:
    config, conn = state.config, state.conn
    if not state.dry_run:
        folder = Path(config.backup_dir) if config.backup_dir else None
        path = state.backend.backup(conn, folder, config.backup_retention)
        state.result.backup_path = str(path) if path else None
    if not conn.in_transaction:  # a dry run's start left its transaction open
        state.begin()
    whole = _Whole(conn.unit_of_work(config.tracker, name="all-or-nothing", nested=True).begin())
    try:
        if config.setup is not None:
            config.setup(whole.uow)
        for batch in read_batches(state, records, skip_to):
            _take(state, whole, batch)
        _check(state, whole)
    except BaseException:
        if whole.uow.state == "active" and conn.in_transaction:
            whole.uow.rollback()
        state.rollback_quietly()
        raise
    if whole.failures or state.dry_run:
        _roll_back(state, whole)
    else:
        _commit(state, whole)


def _take(state: RunState, whole: _Whole, batch: Batch) -> None:
    whole.failures.extend((it.key, issue, batch.no) for it, issue in batch.rejected)
    state.result.warnings.extend(batch.warnings)
    state.result.metrics.batch_count += 1
    if whole.lost:
        return
    got = _apply(state, whole, batch)
    if got is not None:
        whole.outcomes.extend(got)
    whole.items.extend(batch.items)
    state.progressed(batch.size)


def _apply(state: RunState, whole: _Whole, batch: Batch) -> Any:
    """``apply`` on one batch; its failure is every record's of the batch (or the one named)."""
    try:
        return state.config.apply(whole.uow, [it.prepared for it in batch.items])
    except RecordFailed as exc:
        whole.failures.append((exc.issue.record or "?", exc.issue, batch.no))
    except TransactionLost as exc:
        whole.lost = True
        reason = f"a record of this batch made SQLite end the transaction: {exc.__cause__ or exc}"
        whole.failures.extend((it.key, Issue("transaction_rollback", reason, it.key), batch.no) for it in batch.items)
    except state.backend.fatal_errors:
        raise
    except Exception as exc:  # noqa: BLE001 - fails the whole run, named by batch
        whole.failures.extend((it.key, Issue(type(exc).__name__, str(exc), it.key), batch.no) for it in batch.items)
        # PostgreSQL: a failed statement leaves the transaction refusing every other one, as
        # if it were lost: the rest is only read and checked
        whole.lost = state.conn.transaction_failed
    return None


def _check(state: RunState, whole: _Whole) -> None:
    """The batch validators over every record, then the post-run check, before COMMIT."""
    config, conn, items = state.config, state.conn, whole.items
    if not whole.failures and config.batch_validators:
        ctx = BatchContext(conn, whole.uow, [i.record for i in items], [i.key for i in items], 0)
        _sort(state, whole, run_all(config.batch_validators, ctx))
    if not whole.failures and not whole.lost and config.final_validators:
        _sort(state, whole, run_all(config.final_validators, conn))


def _sort(state: RunState, whole: _Whole, issues: list[Issue]) -> None:
    for issue in issues:
        if issue.severity == "error":
            whole.failures.append((issue.record or "-", issue, 0))
        else:
            state.result.warnings.append(issue)


def _roll_back(state: RunState, whole: _Whole) -> None:
    result, conn = state.result, state.conn
    if state.dry_run and not whole.lost:
        result.changes.extend(whole.uow.changes)
    if conn.in_transaction:
        whole.uow.rollback()
        state.backend.rollback(conn)
    else:  # already ended by SQLite: nothing to undo
        state.rollback_quietly()
    if whole.failures:
        result.status = "rolled_back"
        count_rolled_back(result, whole.failures)
    count_outcomes(result.metrics, whole.outcomes, committed=state.dry_run and not whole.failures)
    if not state.dry_run:
        kept = [i for _, i, _ in whole.failures] + result.warnings
        state.write(lambda: state.journal.add_issues(result.run_id, None, kept))  # type: ignore[arg-type]


def _commit(state: RunState, whole: _Whole) -> None:
    result, journal = state.result, state.journal
    whole.uow.commit()
    if result.warnings:  # in the same transaction as the data they describe
        journal.add_issues(result.run_id, None, result.warnings)  # type: ignore[arg-type]
    if state.config.keep_undo and whole.uow.changes:
        journal.store_undo(result.run_id, 0, whole.uow.changes)  # type: ignore[arg-type]
    state.backend.commit(state.conn)
    result.metrics.batches_succeeded = result.metrics.batch_count
    count_outcomes(result.metrics, whole.outcomes, committed=True)
