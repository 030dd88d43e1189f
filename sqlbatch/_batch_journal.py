"""A settled batch's journal rows, written in the batch's own transaction."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from ._journal import BatchRow
from ._results import Outcome
from .validators import Issue

if TYPE_CHECKING:
    from ._isolate import Item
    from ._reading import Batch
    from ._state import RunState


def journal_batch(state: RunState, batch: Batch) -> None:
    """Batch row, before-images, issues, quarantine, and quarantined keys now resolved."""
    s = batch.settled
    result, config, j = state.result, state.config, state.journal
    assert s is not None and result.run_id is not None
    bad = [*batch.rejected, *s.quarantined]
    every = [*batch.items, *(i for i, _ in batch.rejected)]
    outcomes = s.outcomes
    j.add_batch(
        BatchRow(
            result.run_id,
            batch.no,
            "committed" if not bad else ("partial" if s.committed else "failed"),
            len(every),
            len(s.committed),
            len(bad),
            added=outcomes.count(Outcome.ADDED),
            updated=outcomes.count(Outcome.UPDATED),
            unchanged=outcomes.count(Outcome.UNCHANGED),
            attempts=s.attempts,
            first_key=every[0].key if every else None,
            last_key=every[-1].key if every else None,
            first_position=min((i.position for i in every), default=None),
            last_position=max((i.position for i in every), default=None),
            cursor=max_cursor(s.committed),
            first_cursor=min((i.cursor for i in s.committed if i.cursor), default=None),
            checkpoint_ms=s.timings["checkpoint"] * 1000,
            apply_ms=s.timings["apply"] * 1000,
            validate_ms=s.timings["validate"] * 1000,
            commit_ms=s.timings["commit"] * 1000,
            rollback_ms=s.timings["rollback"] * 1000,
            validation_over_budget=s.over_budget,
            error=s.first_error,
        )
    )
    if config.keep_undo and s.changes and not state.dry_run:
        j.store_undo(result.run_id, batch.no, s.changes, written_keys(s.committed, outcomes))
    if state.dry_run:
        result.changes.extend(s.changes)
    issues = [issue for _, issue in bad] + batch.warnings + s.warnings
    if s.over_budget:
        message = f"validation exceeded its budget of {config.validation_budget_ms:g} ms"
        issues.append(Issue("validation_timeout", message, severity="warning"))
    if issues:
        j.add_issues(result.run_id, batch.no, issues)
    for item, issue in bad:
        j.quarantine(result.run_id, batch.no, item.key, config.payload(item.record), issue)
    if state.quarantined_before:
        # a key also quarantined in this batch (a later duplicate) is not resolved
        still_bad = {it.key for it, _ in bad}
        before = state.quarantined_before
        resolved = [it.key for it in s.committed if it.key in before and it.key not in still_bad]
        if resolved:
            result.metrics.records_resolved += j.resolve(result.run_id, resolved)


def written_keys(items: Sequence[Item], outcomes: Sequence[str] | None) -> list[str] | None:
    """The keys of the records a batch wrote (its undo row's ``keys``); ``None`` when ``apply``
    did not report an outcome per record."""
    if outcomes is None or len(outcomes) != len(items):
        return None
    unchanged = Outcome.UNCHANGED.value  # a plain str: compared once per record
    return [it.key for it, o in zip(items, outcomes, strict=True) if o != unchanged]


def max_cursor(items: list[Item]) -> str | None:
    cursors = [i.cursor for i in items if i.cursor]
    return max(cursors) if cursors else None
