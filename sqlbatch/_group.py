"""Batched mode: batches settle inside a commit group that applies, replays and commits under retry.

With ``commit_interval_ms=0`` every batch commits on its own. With a bound, consecutive
batches share one durable commit (each still undone on its own through its strategy) until
the bound is reached; the journal rows and the cursor are in the same commit, so a crash
loses only whole batches that a rerun redoes. A retry (lock contention) or a record that
makes SQLite end the transaction loses the open group: it is replayed from its records.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any

from ._batch_journal import journal_batch, max_cursor
from ._checkpoints import Checkpointer
from ._errors import TransactionLost
from ._isolate import Item, Settled
from ._reading import Batch, read_batches
from ._tally import count_batches
from .validators import Issue

if TYPE_CHECKING:
    from ._state import RunState


def run_batched(
    state: RunState, records: Iterable[Any], skip_to: int, before_first: Callable[[], None] = lambda: None
) -> None:
    """Every batch through the commit group; a dry run ends rolled back, counted as it went.

    ``before_first`` runs once, when the first batch has been read (or at the end, when there
    is none): the run's setup, so a source that reads ahead (an HTTP list) does it outside any
    transaction.
    """
    conn, clock, interval = state.conn, state.config.clock, state.config.commit_interval_ms / 1000.0
    group: list[Batch] = []
    group_started = 0.0
    pending_setup = [before_first]
    # a long run's WAL checkpoints move off this thread (see _checkpoints: why, and bounds)
    checkpoints = Checkpointer(None if state.dry_run else conn)
    try:
        for batch in read_batches(state, records, skip_to):
            if pending_setup:
                pending_setup.pop()()
            group.append(batch)
            if len(group) == 1:
                group_started = clock()
            state.retry(lambda g=group: apply_group(state, g), on_retry=lambda _e, g=group: _lost_group(state, g))
            if not state.dry_run and clock() - group_started >= interval:
                commit_group(state, group)
                group = []
            checkpoints.batch_done()
            state.progressed(batch.size)
        if pending_setup:
            pending_setup.pop()()
        if state.dry_run:
            count_batches(state.result, group, state.config.on_failure)
            state.backend.rollback(conn)
        elif group:
            commit_group(state, group)
    finally:
        checkpoints.close()


def apply_group(state: RunState, group: list[Batch]) -> None:
    """Apply the group's pending batches; replays all of them when the transaction is new."""
    fresh = not state.conn.in_transaction
    pending = group if fresh else group[-1:]
    if fresh:
        state.begin()
    try:
        for batch in pending:
            try:
                _settle(state, batch)
            except TransactionLost as exc:
                _recover_lost(state, group, batch, exc)
            journal_batch(state, batch)
    except state.backend.retryable_errors:
        state.rollback_quietly()
        raise


def commit_group(state: RunState, group: list[Batch]) -> None:
    """Write the run's progress and commit the group (replayed first if a retry lost it)."""
    result, clock = state.result, state.config.clock
    t0 = clock()

    def commit() -> None:
        if not state.conn.in_transaction:  # lost to a retry: replay first
            apply_group(state, group)
        state.journal.update_run(result.run_id, **_progress_fields(group))  # type: ignore[arg-type]
        state.backend.commit(state.conn)

    state.retry(commit, on_retry=lambda _e: (state.rollback_quietly(), _lost_group(state, group)))
    result.metrics.commit_ms += (clock() - t0) * 1000
    result.metrics.commits += 1
    count_batches(result, group, state.config.on_failure)


def _progress_fields(group: list[Batch]) -> dict[str, Any]:
    cursors = [c for c in (b.settled and max_cursor(b.settled.committed) for b in group) if c]
    positions = [it.position for b in group for it in [*b.items, *(i for i, _ in b.rejected)]]
    fields: dict[str, Any] = {}
    if positions:
        fields["last_position"] = max(positions)
    if cursors:
        fields["cursor"] = max(cursors)
    return fields


def _lost_group(state: RunState, group: list[Batch]) -> None:
    state.result.metrics.retries += 1
    for batch in group:
        batch.settled = None


def _settle(state: RunState, batch: Batch) -> None:
    """Settle a batch's items, leaving out (and quarantining) the ones known to end the transaction."""
    if not batch.doomed:
        batch.settled = state.runner.settle(batch.items, batch.no)
        return
    doomed = {id(it) for it, _ in batch.doomed}
    settled = state.runner.settle([it for it in batch.items if id(it) not in doomed], batch.no)
    settled.quarantined.extend(batch.doomed)
    settled.first_error = settled.first_error or batch.doomed[0][1].message
    batch.settled = settled


def _recover_lost(state: RunState, group: list[Batch], lost: Batch, error: TransactionLost) -> None:
    """A record ended the whole transaction (``RAISE(ROLLBACK)``): redo, one record at a time.

    The batches before ``lost`` are replayed in a new transaction (they pass again: the
    work is deterministic, and records that ended the transaction before are left out),
    then ``lost`` is settled record by record; each time a record ends the transaction
    again it is quarantined with the original error and the records already kept are
    replayed. With ``skip-batch`` the whole of ``lost`` is quarantined instead.
    """
    state.result.metrics.retries += 1
    state.rollback_quietly()
    done: list[Item] = []

    def restart() -> None:
        state.begin()
        for batch in group:
            if batch is lost:
                break
            _settle(state, batch)
            journal_batch(state, batch)
        if done:
            state.runner.settle(done, lost.no)

    if state.config.on_failure == "skip-batch":
        cause = error.__cause__ or error
        reason = f"batch {lost.no} was rolled back as a whole: a record made SQLite end the transaction: {cause}"
        lost.doomed = [(it, Issue("batch_failed", reason, it.key)) for it in lost.items]
        restart()
        _settle(state, lost)
        assert lost.settled is not None
        lost.settled.attempts = 1
        return
    restart()
    out = Settled()
    for item in lost.items:
        try:
            part = state.runner.settle([item], lost.no)
        except TransactionLost as exc:
            state.rollback_quietly()
            cause = exc.__cause__ or exc
            issue = Issue("transaction_rollback", f"the record made SQLite end the transaction: {cause}", item.key)
            lost.doomed.append((item, issue))
            out.quarantined.append((item, issue))
            out.first_error = out.first_error or str(cause)
            restart()
            continue
        done.extend(part.committed)
        out.add(part)
    out.attempts = len(lost.items) + 1
    lost.settled = out
