"""The one place that counts a run into its :class:`~sqlbatch.Metrics` and quarantine list."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

from ._results import Outcome, QuarantinedRecord
from .validators import Issue

if TYPE_CHECKING:
    from ._compensate import Compensation
    from ._metrics import Metrics
    from ._reading import Batch
    from ._results import RunResult


def count_outcomes(m: Metrics, outcomes: Sequence[str], *, committed: bool) -> None:
    """Add ``apply``'s outcomes; ``committed``: they are kept (not a dry run, not rolled back)."""
    tally = OutcomeTally()
    tally.add(outcomes)
    tally.count_into(m, committed=committed)


class OutcomeTally:
    """``apply``'s outcomes counted as they come: a run that keeps no list of them (all-or-nothing)
    adds each batch's here and counts the totals into its metrics once, at the end."""

    __slots__ = ("added", "total", "unchanged", "updated")

    def __init__(self) -> None:
        self.added = self.updated = self.unchanged = self.total = 0

    def add(self, outcomes: Sequence[str]) -> None:
        self.added += outcomes.count(Outcome.ADDED)
        self.updated += outcomes.count(Outcome.UPDATED)
        self.unchanged += outcomes.count(Outcome.UNCHANGED)
        self.total += len(outcomes)

    def count_into(self, m: Metrics, *, committed: bool) -> None:
        """``committed``: the records are kept (not a dry run, not rolled back)."""
        m.records_added += self.added
        m.records_updated += self.updated
        m.records_unchanged += self.unchanged
        if committed:
            m.records_committed += self.total - self.unchanged


def quarantine(result: RunResult, key: str, batch: int | None, issue: Issue) -> None:
    result.quarantined.append(QuarantinedRecord.of(key, batch, issue))
    result.metrics.records_quarantined += 1


def count_batches(result: RunResult, group: Iterable[Batch], on_failure: str) -> None:
    """Count settled batches (a commit group's, or a dry run's)."""
    m = result.metrics
    for batch in group:
        s = batch.settled
        if s is None:
            continue
        m.batch_count += 1
        if s.first_error or batch.rejected or (s.quarantined and on_failure == "skip-batch"):
            m.batches_failed += 1  # as the journal's batch status: any bad record (prepare's too)
            first = s.first_error or (str(batch.rejected[0][1]) if batch.rejected else "failed")
            m.batch_errors.append(f"batch {batch.no}: {first}")
        else:
            m.batches_succeeded += 1
        m.bisection_passes += max(0, s.attempts - 1)
        m.validation_over_budget += int(s.over_budget)
        count_outcomes(m, s.outcomes, committed=True)
        for name, value in s.timings.items():
            setattr(m, f"{name}_ms", getattr(m, f"{name}_ms") + value * 1000)
        for item, issue in [*batch.rejected, *s.quarantined]:
            quarantine(result, item.key, batch.no, issue)
        result.warnings.extend([*batch.warnings, *s.warnings])


def count_rolled_back(result: RunResult, failures: Iterable[tuple[str, Issue, int]]) -> None:
    """All-or-nothing: every batch failed with the run; each failing record is quarantined."""
    m = result.metrics
    m.batches_failed = m.batch_count
    failures = list(failures)
    for key, issue, no in failures:
        quarantine(result, key, no, issue)
    m.batch_errors.append(f"run rolled back: {len(failures)} failing record(s)")


def count_compensated(result: RunResult, done: Compensation, issues: list[Issue]) -> None:
    """Batches the post-run check undid: failed now, their records quarantined."""
    m = result.metrics
    named = {i.record: i for i in issues if i.severity == "error" and i.record}
    m.batches_compensated += len(done.batches)
    m.batches_succeeded -= len(done.batches)
    m.batches_failed += len(done.batches)
    undone = Issue("post_run_check", "batch undone by the post-run check")
    for no in done.batches:
        m.batch_errors.append(f"batch {no}: undone by the post-run check")
        for key in done.keys[no]:
            quarantine(result, key, no, named.get(key, undone))
    keys = sum(len(done.keys[no]) for no in done.batches)
    m.records_compensated += keys
    m.records_committed -= keys
