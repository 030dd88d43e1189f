"""One batch: checkpoint, apply, validate, then keep it, or find and quarantine the culprits.

``settle()`` keeps what passes and finds the culprits of what fails. With ``isolate`` a
failed batch is bisected: the left half is tried; if it passes, the right half is known to
hold a culprit and is split without being tried whole. One bad record in a batch of n
costs at most 2*log2(n) extra passes (11 for 50, about 8.7 on average).
Issues or :class:`RecordFailed` errors that name their record short-cut the search: the
named records are set aside and the rest is tried once more.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._backend import SQLITE
from ._errors import SqlbatchError
from .validators import BatchContext, Issue, run_all

if TYPE_CHECKING:
    from ._connection import Connection
    from ._unit_of_work import UnitOfWork

#: Errors that are not the records' fault (SQLite's): they end or retry the run instead.
FATAL_ERRORS = SQLITE.fatal_errors


class RecordFailed(SqlbatchError):
    """Raise from ``prepare`` or ``apply`` to name the record at fault (no bisection needed)."""

    def __init__(self, key: str, rule: str, reason: str, field: str | None = None) -> None:
        super().__init__(f"record {key}: rule {rule!r}: {reason}")
        self.issue = Issue(rule, reason, key, field)


@dataclass(slots=True)
class Item:
    """A record on its way through a batch."""

    key: str
    record: Any
    prepared: Any
    position: int
    cursor: str | None = None


@dataclass
class Attempt:
    ok: bool
    errors: list[Issue] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    outcomes: Sequence[str] | None = None


@dataclass
class Settled:
    """What became of a batch's items."""

    committed: list[Item] = field(default_factory=list)
    outcomes: list[str] = field(default_factory=list)
    quarantined: list[tuple[Item, Issue]] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    first_error: str | None = None
    attempts: int = 0
    over_budget: bool = False
    changes: list = field(default_factory=list)  # recorded changes of the kept attempts
    timings: dict[str, float] = field(
        default_factory=lambda: dict.fromkeys(("checkpoint", "apply", "validate", "commit", "rollback"), 0.0)
    )

    def add(self, part: Settled) -> None:
        """Take in what a part of the same batch settled (its attempts and timings are not summed)."""
        self.committed.extend(part.committed)
        self.outcomes.extend(part.outcomes)
        self.quarantined.extend(part.quarantined)
        self.warnings.extend(part.warnings)
        self.changes.extend(part.changes)
        self.first_error = self.first_error or part.first_error


class BatchRunner:
    """Runs attempts of one batch (or part of it) in nested units of work."""

    def __init__(
        self,
        conn: Connection,
        apply: Callable[[Any, list[Any]], Sequence[str] | None],
        validators: Sequence[Callable[[BatchContext], Any]],
        strategy: Any,
        on_failure: str,
        budget_ms: float,
        clock: Callable[[], float] = time.perf_counter,
        *,
        keep_changes: bool = True,
        fatal: tuple[type[BaseException], ...] = FATAL_ERRORS,
    ) -> None:
        self.conn, self.apply, self.validators = conn, apply, validators
        self.strategy, self.on_failure, self.budget_ms, self.clock = strategy, on_failure, budget_ms, clock
        self.keep_changes, self.fatal = keep_changes, fatal

    def settle(self, items: list[Item], batch_no: int) -> Settled:
        out = Settled()
        if items:
            self._settle(items, batch_no, out, None, known_bad=False, top=True)
        return out

    # -- the search ------------------------------------------------------------------------
    def _settle(
        self, items: list[Item], batch_no: int, out: Settled, res: Attempt | None, *, known_bad: bool, top: bool = False
    ) -> None:
        if res is None and not (known_bad and len(items) > 1):
            res = self._attempt(items, batch_no, out)
        if res is not None and res.ok:
            return
        if res is not None and out.first_error is None and res.errors:
            out.first_error = str(res.errors[0])
        if top and self.on_failure == "skip-batch":
            reason = res.errors[0] if res and res.errors else Issue("batch_failed", "batch failed")
            for item in items:
                message = f"batch {batch_no} was rolled back as a whole: {reason}"
                out.quarantined.append((item, Issue("batch_failed", message, item.key, reason.field)))
            return
        if res is not None and len(items) == 1:
            out.quarantined.append((items[0], _issue_for(items[0], res.errors)))
            return
        culprits = _named_culprits(items, res.errors) if res is not None else []
        if culprits:
            for item in culprits:
                out.quarantined.append((item, _issue_for(item, res.errors if res else [])))
            rest = [it for it in items if not any(it is c for c in culprits)]
            if rest:
                self._settle(rest, batch_no, out, None, known_bad=False)
            return
        # the smaller half first: a culprit there costs one more attempt (the other half is then
        # unknown and tried whole), so this keeps the worst case within 2*log2(n) extra attempts
        half = len(items) // 2
        left, right = items[:half], items[half:]
        left_res = self._attempt(left, batch_no, out)
        self._settle(left, batch_no, out, left_res, known_bad=False)
        self._settle(right, batch_no, out, None, known_bad=left_res.ok)

    # -- one attempt -------------------------------------------------------------------------
    def _attempt(self, items: list[Item], batch_no: int, out: Settled) -> Attempt:
        clock, t = self.clock, out.timings
        out.attempts += 1
        t0 = clock()
        uow = self.conn.unit_of_work(self.strategy, name=f"batch {batch_no}", nested=True).begin()
        t1 = clock()
        t["checkpoint"] += t1 - t0
        errors: list[Issue] = []
        outcomes: Sequence[str] | None = None
        try:
            outcomes = self.apply(uow, [it.prepared for it in items])
        except RecordFailed as exc:
            errors.append(exc.issue)
        except self.fatal:
            uow.rollback()
            raise
        except Exception as exc:  # noqa: BLE001 - an apply error is the records' failure
            if not self.conn.in_transaction:
                uow.rollback()  # raises TransactionLost: the group is gone
            errors.append(Issue(type(exc).__name__, str(exc) or repr(exc)))
        except BaseException:  # KeyboardInterrupt, SystemExit: end the unit and its capture first
            _drop(uow)
            raise
        t2 = clock()
        t["apply"] += t2 - t1
        warnings: list[Issue] = []
        if not errors:
            ctx = BatchContext(self.conn, uow, [it.record for it in items], [it.key for it in items], batch_no)
            try:
                found = run_all(self.validators, ctx)
            except self.fatal:
                uow.rollback()
                raise
            except Exception as exc:  # noqa: BLE001 - a validator that crashes rejects, like apply
                if not self.conn.in_transaction:
                    uow.rollback()  # raises TransactionLost
                found = [Issue(type(exc).__name__, f"a batch validator raised {exc!r}")]
            except BaseException:
                _drop(uow)
                raise
            errors = [i for i in found if i.severity == "error"]
            warnings = [i for i in found if i.severity != "error"]
            t3 = clock()
            t["validate"] += t3 - t2
            if (t3 - t2) * 1000 > self.budget_ms:
                out.over_budget = True
            t2 = t3
        if errors:
            uow.rollback()
            t["rollback"] += clock() - t2
            return Attempt(False, errors)
        uow.commit()
        t["commit"] += clock() - t2
        if self.keep_changes:
            out.changes.extend(uow.changes)
        committed = list(outcomes) if outcomes is not None else ["committed"] * len(items)
        out.committed.extend(items)
        out.outcomes.extend(committed)
        out.warnings.extend(warnings)
        return Attempt(True, warnings=warnings, outcomes=committed)


def _issue_for(item: Item, errors: list[Issue]) -> Issue:
    for issue in errors:
        if issue.record == item.key:
            return issue
    if errors:
        e = errors[0]
        return Issue(e.rule, e.message, item.key, e.field, e.severity)
    return Issue("failed", "the record failed in its batch", item.key)


def _named_culprits(items: list[Item], errors: list[Issue]) -> list[Item]:
    """The items the error issues name. A key held by several items (a duplicate) with k
    issues naming it sets aside its *last* k items: the first occurrence is kept, as
    :class:`~sqlbatch.validators.UniqueInBatch` means it."""
    wanted: dict[str, int] = {}
    for issue in errors:
        if issue.record and issue.severity == "error":
            wanted[issue.record] = wanted.get(issue.record, 0) + 1
    culprits: list[Item] = []
    for item in reversed(items):
        if wanted.get(item.key, 0) > 0:
            wanted[item.key] -= 1
            culprits.append(item)
    culprits.reverse()
    return culprits


def _drop(uow: UnitOfWork) -> None:
    """Roll back a unit on an interrupt without masking it; its capture is freed either way."""
    if uow.state != "active":
        return
    try:
        uow.rollback()
    except Exception:  # noqa: BLE001 - the interrupt propagates; the run rolls back its transaction
        uow.abandon()
