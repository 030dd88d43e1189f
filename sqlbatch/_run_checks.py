"""The batch checks whose meaning in an all-or-nothing run is the whole run, kept per batch.

An all-or-nothing run checks each batch as it is applied (a :class:`BatchContext` of that
batch), so it never holds the run's records or changes. Two of the library's checks bound
something that, when the whole run was one batch, was the run's: those are not run per batch
but kept here with only what they need, and report once, before the COMMIT:

* :class:`~sqlbatch.validators.UniqueInBatch`: no key twice in the **run** (the run's keys,
  off the heap: a key seen in an earlier batch is a duplicate, the first occurrence wins);
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

import apsw

from .validators import BatchContext, BlastRadius, Issue, UniqueInBatch


class RunCheck(Protocol):
    def add(self, ctx: BatchContext) -> None:
        """Take what the check needs of one applied batch."""
        ...

    def issues(self) -> list[Issue]:
        """What the whole run broke (called once, after the last batch)."""
        ...


class KeySet:
    """The keys of one run, exact, in a private temporary SQLite database (``apsw.Connection("")``,
    deleted on close) with a small page cache: a Python set of them costs ~100 B a key (20 MB
    at 200,000), this stays flat at any run length. About 2 µs a key."""

    def __init__(self, cache_kib: int = 1024) -> None:
        self._db = apsw.Connection("")
        for sql in (
            "PRAGMA journal_mode=OFF",  # nothing to roll back or recover: it dies with the run
            "PRAGMA synchronous=OFF",
            f"PRAGMA cache_size=-{cache_kib}",
            "CREATE TABLE seen(key TEXT PRIMARY KEY) WITHOUT ROWID",
        ):
            self._db.execute(sql).fetchall()  # APSW runs a statement as its rows are read

    def add(self, key: str) -> bool:
        """True for a key not seen before (now kept), False for a repeat."""
        db = self._db
        db.execute("INSERT INTO seen VALUES (?) ON CONFLICT DO NOTHING", (key,))
        return db.changes() == 1

    def close(self) -> None:
        self._db.close()


class RunUnique:
    """:class:`UniqueInBatch` over the run: the keys seen so far, and the later occurrences."""

    def __init__(self, rule: str) -> None:
        self.rule = rule
        self._seen = KeySet()
        self._again: list[tuple[str, int]] = []  # (key, batch) of each occurrence after the first
        self._counts: dict[str, int] = {}

    def add(self, ctx: BatchContext) -> None:
        seen = self._seen
        for key in ctx.keys:
            if not seen.add(key):
                self._again.append((key, ctx.batch_no))
                self._counts[key] = self._counts.get(key, 1) + 1

    def issues(self) -> list[Issue]:
        self._seen.close()
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
