"""The batch checks whose meaning in an all-or-nothing run is the whole run, kept per batch.

An all-or-nothing run checks each batch as it is applied (a :class:`BatchContext` of that
batch), so it never holds the run's records or changes. Two of the library's checks bound
something that, when the whole run was one batch, was the run's: those are not run per batch
but kept here with only what they need, and report once, before the COMMIT:

* :class:`~sqlbatch.validators.UniqueInBatch`: no key twice in the **run** (a set of the
  run's keys: a key seen in an earlier batch is a duplicate, the first occurrence wins);
* :class:`~sqlbatch.validators.BlastRadius`: at most ``max_deletes`` rows deleted by the
  **run** (a count).

Only those exact classes (a subclass may mean something else by its ``__call__``, and runs
per batch like any other check). Every other batch check sees one batch, as in batched
mode; what spans batches is the post-run check's job (``final_validators``, over the
whole database, also before the COMMIT).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from .validators import BatchContext, BlastRadius, Issue, UniqueInBatch


class RunCheck(Protocol):
    def add(self, ctx: BatchContext) -> None:
        """Take what the check needs of one applied batch."""
        ...

    def issues(self) -> list[Issue]:
        """What the whole run broke (called once, after the last batch)."""
        ...


class RunUnique:
    """:class:`UniqueInBatch` over the run: the keys seen so far, and the later occurrences."""

    def __init__(self, rule: str) -> None:
        self.rule = rule
        self._seen: set[str] = set()
        self._again: list[tuple[str, int]] = []  # (key, batch) of each occurrence after the first
        self._counts: dict[str, int] = {}

    def add(self, ctx: BatchContext) -> None:
        seen = self._seen
        for key in ctx.keys:
            if key in seen:
                self._again.append((key, ctx.batch_no))
                self._counts[key] = self._counts.get(key, 1) + 1
            else:
                seen.add(key)

    def issues(self) -> list[Issue]:
        return [
            Issue(self.rule, f"key {key!r} appears {self._counts[key]} times in the run (batch {no})", key)
            for key, no in self._again
        ]


class RunDeletes:
    """:class:`BlastRadius` over the run: the rows its batches deleted, counted."""

    def __init__(self, rule: str, max_deletes: int) -> None:
        self.rule, self.max_deletes = rule, max_deletes
        self.deletes = 0

    def add(self, ctx: BatchContext) -> None:
        self.deletes += sum(1 for c in ctx.changes if c.op == "DELETE")

    def issues(self) -> list[Issue]:
        if self.deletes > self.max_deletes:
            return [Issue(self.rule, f"the run deletes {self.deletes} rows, more than the limit of {self.max_deletes}")]
        return []


def split_checks(
    validators: Sequence[Callable[[BatchContext], Any]],
) -> tuple[list[Callable[[BatchContext], Any]], list[RunCheck]]:
    """The checks to run on each batch, and the run-scoped ones that take each batch's part."""
    per_batch: list[Callable[[BatchContext], Any]] = []
    whole: list[RunCheck] = []
    for v in validators:
        if type(v) is UniqueInBatch:
            whole.append(RunUnique(v.rule))
        elif type(v) is BlastRadius:
            whole.append(RunDeletes(v.rule, v.max_deletes))
        else:
            per_batch.append(v)
    return per_batch, whole
