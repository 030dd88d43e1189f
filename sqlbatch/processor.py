"""The batch processor: records in, batches out, each a unit of work of its own.

    records ─▶ prepare/record validators ─▶ batches of N ─▶ unit of work per batch
            ─▶ apply ─▶ batch validators ─▶ keep │ isolate (bisect) │ skip-batch
            ─▶ journal rows in the same transaction ─▶ commit (every batch, or grouped)

Commit groups: with ``commit_interval_ms=0`` every batch commits on its own. With a bound,
consecutive batches share one durable commit (each still undone on its own through its
strategy) until the bound is reached; the journal rows and the cursor are in the same
commit, so a crash loses only whole batches that a rerun redoes (DESIGN §3.1, §3.6).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from functools import partial
from itertools import islice
from pathlib import Path
from typing import Any

import apsw

from ._backup import backup
from ._compensate import Compensation, compensate
from ._connection import Connection
from ._errors import (
    CaptureConflictError,
    ConfigurationError,
    SqlbatchError,
    TransactionLost,
    UnsupportedSchemaError,
)
from ._isolate import FATAL_ERRORS, BatchRunner, Item, RecordFailed, Settled
from ._journal import BatchRow, Journal
from ._lease import Lease, RunLocked, describe_holder, lease_for
from ._metrics import Metrics
from ._retry import RETRYABLE, RetryPolicy
from .strategies import resolve_strategy, strategy_name
from .validators import BatchContext, Issue, run_all

__all__ = [
    "Prepared",
    "Processor",
    "ProcessorAborted",
    "QuarantinedRecord",
    "RecordFailed",
    "RunLocked",
    "RunResult",
    "SourceFailed",
]


@dataclass(frozen=True, slots=True)
class Prepared:
    """What ``prepare`` may return to pass warnings (or errors) along with the value."""

    value: Any
    issues: Sequence[Issue] = ()


@dataclass(frozen=True)
class QuarantinedRecord:
    record_key: str
    batch: int | None
    rule: str
    reason: str
    field: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "record_key": self.record_key,
            "batch": self.batch,
            "rule": self.rule,
            "reason": self.reason,
            "field": self.field,
        }


@dataclass
class RunResult:
    run_id: int | None
    status: str
    mode: str
    strategy: str
    batch_size: int
    on_failure: str
    metrics: Metrics
    quarantined: list[QuarantinedRecord] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    error: str | None = None
    dry_run: bool = False
    backup_path: str | None = None
    changes: list[Any] = field(default_factory=list, repr=False)  # dry run only: what would change

    def to_dict(self) -> dict[str, Any]:
        m = self.metrics
        return {
            "run_id": self.run_id,
            "status": self.status,
            "mode": self.mode,
            "strategy": self.strategy,
            "on_failure": self.on_failure,
            "batch_size": self.batch_size,
            "dry_run": self.dry_run,
            **{k: v for k, v in m.to_dict().items()},
            "quarantined": [q.to_dict() for q in self.quarantined],
            "warning_examples": [
                {"record_key": w.record, "rule": w.rule, "field": w.field, "message": w.message}
                for w in self.warnings[:20]
            ],
            "error": self.error,
            "backup": self.backup_path,
        }


class SourceFailed(SqlbatchError):
    """Reading the records failed (the source, not a record): the run stops, batches stay."""


class ProcessorAborted(SqlbatchError):
    """A fatal error stopped the run; committed batches stay and a rerun resumes."""

    def __init__(self, message: str, result: RunResult) -> None:
        super().__init__(message)
        self.result = result


def _default_key(record: Any) -> str:
    key = getattr(record, "key", None)
    return str(key) if key is not None else str(record)


def _default_payload(record: Any) -> str | None:
    value = getattr(record, "payload", record)
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


@dataclass
class _Batch:
    no: int
    items: list[Item]
    rejected: list[tuple[Item, Issue]]
    settled: Settled | None = None
    #: records that made SQLite end the transaction: never replayed, quarantined on every settle
    doomed: list[tuple[Item, Issue]] = field(default_factory=list)
    #: warnings of record validators and ``prepare``: journaled with the batch, never lost
    warnings: list[Issue] = field(default_factory=list)


class Processor:
    """Applies records in batches with failure isolation, quarantine, journal and metrics.

    ``apply(uow, prepared_records) -> outcomes | None`` writes one batch through the unit of
    work; ``outcomes`` (one of ``"added"``, ``"updated"``, ``"unchanged"`` per record) feeds
    the counts. ``prepare(record)`` (optional) turns a raw record into what ``apply`` gets
    and may raise :class:`RecordFailed`; record validators run before it.
    """

    def __init__(
        self,
        conn: Connection,
        apply: Callable[[Any, list[Any]], Sequence[str] | None],
        *,
        batch_size: int = 50,
        strategy: Any = "memory",
        on_failure: str = "isolate",
        prepare: Callable[[Any], Any] | None = None,
        record_validators: Sequence[Callable[[Any], Any]] = (),
        batch_validators: Sequence[Callable[[BatchContext], Any]] = (),
        final_validators: Sequence[Callable[[Connection], Any]] = (),
        key: Callable[[Any], str] = _default_key,
        payload: Callable[[Any], str | None] = _default_payload,
        cursor: Callable[[Any], str | None] | None = None,
        validation_budget_ms: float = 200.0,
        commit_interval_ms: float = 0.0,
        all_or_nothing: bool = False,
        backup_dir: str | Path | None = None,
        backup_retention: int = 3,
        retry: RetryPolicy | None = None,
        job: str = "default",
        keep_undo: bool = True,
        undo_retention_days: float = 30.0,
        progress: Callable[[int], None] | None = None,
        clock: Callable[[], float] = time.perf_counter,
        lease: Lease | None = None,
        lock_timeout: float = 60.0,
    ) -> None:
        if not callable(apply):
            raise ConfigurationError(f"Processor(apply={apply!r}): apply must be callable")
        if batch_size < 1:
            raise ConfigurationError(f"Processor(batch_size={batch_size}): must be >= 1")
        if on_failure not in ("isolate", "skip-batch"):
            raise ConfigurationError(f"Processor(on_failure={on_failure!r}): use 'isolate' or 'skip-batch'")
        if commit_interval_ms < 0:
            raise ConfigurationError(f"Processor(commit_interval_ms={commit_interval_ms}): must be >= 0")
        if lock_timeout < 0:
            raise ConfigurationError(f"Processor(lock_timeout={lock_timeout}): must be >= 0")
        self.conn, self.apply, self.batch_size = conn, apply, batch_size
        self.strategy = resolve_strategy(strategy)
        self.strategy_name = strategy_name(self.strategy)
        self.on_failure, self.prepare = on_failure, prepare
        self.record_validators, self.batch_validators = list(record_validators), list(batch_validators)
        self.final_validators = list(final_validators)
        self.key, self.payload, self.cursor = key, payload, cursor
        self.budget_ms, self.commit_interval = validation_budget_ms, commit_interval_ms / 1000.0
        self.all_or_nothing = all_or_nothing
        self.backup_dir = Path(backup_dir) if backup_dir else None
        self.backup_retention = backup_retention
        self.retry = retry or RetryPolicy()
        self.job, self.progress, self.clock = job, progress, clock
        self.journal = Journal(conn)
        self.keep_undo, self.undo_retention_days = keep_undo, undo_retention_days
        self.runner = BatchRunner(
            conn, apply, self.batch_validators, self.strategy, on_failure, validation_budget_ms, clock
        )
        self.runner.keep_changes = keep_undo
        self.lease, self.lock_timeout = lease, lock_timeout

    # -- public ------------------------------------------------------------------------------
    def run(
        self, records: Iterable[Any], *, source: str | None = None, dry_run: bool = False, resume: bool = True
    ) -> RunResult:
        """Process every record holding the run lease; returns the result.

        Raises :class:`RunLocked` (nothing done, no journal row) when another live run holds
        the lease beyond ``lock_timeout`` seconds, :class:`ProcessorAborted` on a fatal error.
        """
        lease = self.lease or lease_for(self.conn)
        if not lease.acquire(self.lock_timeout):
            raise RunLocked(
                f"another run holds this database: {describe_holder(self.conn)}; waited {self.lock_timeout:g} s"
                " (RUN_LOCK_TIMEOUT): run again when it has finished"
            )
        try:
            return self._run_leased(records, source, dry_run, resume)
        finally:
            lease.release()

    def _run_leased(self, records: Iterable[Any], source: str | None, dry_run: bool, resume: bool) -> RunResult:
        started = self.clock()
        mode = "all-or-nothing" if self.all_or_nothing else "batched"
        result = RunResult(
            None, "running", mode, self.strategy_name, self.batch_size, self.on_failure, Metrics(), dry_run=dry_run
        )
        self._quarantined_before: set[str] = set()
        if self.conn.in_transaction:
            raise ConfigurationError("Processor.run(): the connection is inside a transaction; commit it first")
        skip_to = 0
        try:
            self.retry.call(lambda: self._start(result, source, dry_run))
            if resume and not dry_run:
                skip_to = self._resume_point(result, source)
            if not dry_run:
                self._mark_dead_runs(result)
            if self.all_or_nothing:
                self._run_all_or_nothing(records, result, dry_run, skip_to)
            else:
                self._run_batched(records, result, dry_run, skip_to)
        except (*FATAL_ERRORS, KeyboardInterrupt, Exception) as exc:
            # Exception too (SourceFailed, a failing key/cursor/progress callable...): the
            # connection must not stay inside a transaction, nor the run "running".
            result.metrics.duration_s = self.clock() - started
            self._abort(result, exc, dry_run)
            if isinstance(exc, (ConfigurationError, UnsupportedSchemaError, CaptureConflictError)):
                raise  # a usage error, reported as such (after the clean-up)
            raise ProcessorAborted(result.error or str(exc), result) from exc
        result.metrics.duration_s = self.clock() - started
        return result

    # -- start, resume, finish ------------------------------------------------------------------
    def _start(self, result: RunResult, source: str | None, dry_run: bool) -> None:
        raw = self.conn.raw
        raw.execute("BEGIN IMMEDIATE")
        try:
            self.journal.ensure()
            result.run_id = self.journal.start_run(
                job=self.job,
                source=source,
                mode=result.mode,
                strategy=result.strategy,
                on_failure=self.on_failure,
                batch_size=self.batch_size,
                status="running",
                pid=os.getpid(),
                host=socket.gethostname(),
            )
            self._quarantined_before = self.journal.quarantined_keys()
            if self.undo_retention_days:
                self.journal.prune_undo(self.undo_retention_days)
        except BaseException:
            raw.execute("ROLLBACK")
            raise
        if not dry_run:
            raw.execute("COMMIT")

    def _resume_point(self, result: RunResult, source: str | None) -> int:
        """Position reached by an interrupted earlier run of the same job and source."""
        row = self.conn.raw.execute(
            "SELECT run_id, last_position FROM sqlbatch_runs WHERE job=? AND source IS ? AND run_id<?"
            " ORDER BY run_id DESC LIMIT 1",
            (self.job, source, result.run_id),
        ).fetchall()
        if not row:
            return 0
        prev_id, prev_reached = row[0]
        status = self.conn.query_value("SELECT status FROM sqlbatch_runs WHERE run_id=?", (prev_id,))
        if status not in ("running", "aborted", "interrupted"):
            return 0
        reached = self.conn.query_value("SELECT max(last_position) FROM sqlbatch_batches WHERE run_id=?", (prev_id,))
        # ``sqlbatch_runs.last_position`` also carries the point a resumed run started from, so
        # a resumed run interrupted before its first commit still passes that point on.
        reached = max(int(reached or 0), int(prev_reached or 0))

        def note() -> None:
            if status == "running":  # it never finished: killed, power lost, or no space left to say so
                why = f"ended without finishing (killed, power lost or disk full); run {result.run_id} resumed it"
                self.journal.update_run(prev_id, status="interrupted", error=why)
            if reached:
                self.journal.update_run(result.run_id, resumed_from=prev_id, last_position=reached)  # type: ignore[arg-type]

        self._write(note)
        return reached

    def _mark_dead_runs(self, result: RunResult) -> None:
        """Rows still ``running`` while this run holds the lease belong to runs that died."""
        why = (
            "ended without finishing (killed, power lost or disk full); its lease was free when"
            f" run {result.run_id} started"
        )

        def mark() -> None:
            self.conn.raw.execute(
                "UPDATE sqlbatch_runs SET status='interrupted', error=? WHERE status='running' AND run_id<?",
                (why, result.run_id),
            )

        self._write(mark)

    def _write(self, func: Callable[[], None]) -> None:
        def once() -> None:
            with self.conn:
                func()

        self.retry.call(once)

    def _finish(self, result: RunResult, dry_run: bool) -> None:
        m = result.metrics
        m.warnings = len(result.warnings)
        if result.status == "running":
            result.status = "completed" if not result.quarantined else "completed_with_quarantine"
        if dry_run:
            return
        self._write(
            lambda: self.journal.finish_run(
                result.run_id,
                result.status,
                m.to_dict(),  # type: ignore[arg-type]
                records_total=m.records_total,
                records_committed=m.records_committed,
                records_quarantined=m.records_quarantined,
                batches_committed=m.batches_succeeded,
                batches_failed=m.batches_failed,
                error=result.error,
            )
        )

    def _abort(self, result: RunResult, exc: BaseException, dry_run: bool) -> None:
        raw = self.conn.raw
        if not raw.get_autocommit():
            with contextlib.suppress(apsw.Error):
                raw.execute("ROLLBACK")
        self._drop_unit()
        result.status = "aborted"
        result.error = _describe_fatal(exc)
        if dry_run or result.run_id is None:
            return
        # if this fails too, the journal row stays "running"; a rerun treats it as interrupted
        with contextlib.suppress(apsw.Error, SqlbatchError):
            self._write(
                lambda: self.journal.finish_run(
                    result.run_id,
                    "aborted",
                    result.metrics.to_dict(),
                    error=result.error,  # type: ignore[arg-type]
                    records_total=result.metrics.records_total,
                    records_committed=result.metrics.records_committed,
                    records_quarantined=result.metrics.records_quarantined,
                )
            )

    # -- batched mode --------------------------------------------------------------------------
    def _batches(self, records: Iterable[Any], result: RunResult, skip_to: int) -> Iterator[_Batch]:
        it = iter(records)
        position = 0
        batch_no = 0
        while True:
            try:
                chunk = list(islice(it, self.batch_size))
            except Exception as exc:  # noqa: BLE001 - the source failed: fatal, not the records' fault
                raise SourceFailed(f"the source failed: {exc}") from exc
            if not chunk:
                return
            items: list[Item] = []
            rejected: list[tuple[Item, Issue]] = []
            warnings: list[Issue] = []
            for record in chunk:
                position += 1
                result.metrics.records_total += 1
                pos = getattr(record, "position", position)
                if pos <= skip_to:
                    result.metrics.records_resumed += 1
                    continue
                item = Item(self.key(record), record, record, pos, self.cursor(record) if self.cursor else None)
                try:
                    issues = run_all(self.record_validators, record)
                except FATAL_ERRORS:
                    raise
                except Exception as exc:  # noqa: BLE001 - a validator crashing on a record rejects it
                    issues = [Issue(type(exc).__name__, f"a record validator raised {exc!r}")]
                errors = [i for i in issues if i.severity == "error"]
                if not errors and self.prepare is not None:
                    try:
                        prepared = self.prepare(record)
                    except RecordFailed as exc:
                        errors = [exc.issue]
                    except FATAL_ERRORS:
                        raise
                    except Exception as exc:  # noqa: BLE001 - like apply's errors: the record's failure
                        errors = [Issue(type(exc).__name__, str(exc) or repr(exc))]
                    else:
                        if isinstance(prepared, Prepared):
                            issues = [*issues, *prepared.issues]
                            errors = [i for i in prepared.issues if i.severity == "error"]
                            prepared = prepared.value
                        item.prepared = prepared
                if errors:
                    rejected.append((item, _with_key(errors[0], item.key)))
                else:
                    items.append(item)
                    warnings.extend(_with_key(i, item.key) for i in issues)
            if items or rejected:
                batch_no += 1
                yield _Batch(batch_no, items, rejected, warnings=warnings)

    def _run_batched(self, records: Iterable[Any], result: RunResult, dry_run: bool, skip_to: int) -> None:
        group: list[_Batch] = []
        group_started = 0.0
        for batch in self._batches(records, result, skip_to):
            group.append(batch)
            if len(group) == 1:
                group_started = self.clock()
            self.retry.call(
                partial(self._apply_group, group, result), on_retry=lambda _e, g=group: self._lost_group(g, result)
            )
            if not dry_run and self.clock() - group_started >= self.commit_interval:
                self._commit_group(group, result)
                group = []
            if self.progress:
                self.progress(len(batch.items) + len(batch.rejected))
        if group and not dry_run:
            self._commit_group(group, result)
        if not dry_run:
            self._run_final_checks(result)
        else:
            self._merge(group, result)
            if self.conn.in_transaction:
                self.conn.raw.execute("ROLLBACK")
        self._finish(result, dry_run)

    def _apply_group(self, group: list[_Batch], result: RunResult) -> None:
        """Apply the group's pending batches; replays all of them when the transaction is new."""
        raw = self.conn.raw
        fresh = raw.get_autocommit()
        pending = group if fresh else group[-1:]
        if fresh:
            raw.execute("BEGIN IMMEDIATE")
        try:
            for batch in pending:
                try:
                    self._settle(batch)
                except TransactionLost as exc:
                    self._recover_lost(group, batch, result, exc)
                self._journal_batch(batch, result)
        except RETRYABLE:
            self._rollback_quietly()
            raise

    def _settle(self, batch: _Batch) -> None:
        """Settle a batch's items, leaving out (and quarantining) the ones known to end the transaction."""
        if not batch.doomed:
            batch.settled = self.runner.settle(batch.items, batch.no)
            return
        doomed = {id(it) for it, _ in batch.doomed}
        settled = self.runner.settle([it for it in batch.items if id(it) not in doomed], batch.no)
        settled.quarantined.extend(batch.doomed)
        settled.first_error = settled.first_error or batch.doomed[0][1].message
        batch.settled = settled

    def _recover_lost(self, group: list[_Batch], lost: _Batch, result: RunResult, error: TransactionLost) -> None:
        """A record ended the whole transaction (``RAISE(ROLLBACK)``): redo, one record at a time.

        The batches before ``lost`` are replayed in a new transaction (they pass again: the
        work is deterministic, and records that ended the transaction before are left out),
        then ``lost`` is settled record by record; each time a record ends the transaction
        again it is quarantined with the original error and the records already kept are
        replayed. With ``skip-batch`` the whole of ``lost`` is quarantined instead.
        """
        result.metrics.retries += 1
        self._rollback_quietly()
        raw = self.conn.raw
        done: list[Item] = []
        out = Settled()

        def restart() -> None:
            raw.execute("BEGIN IMMEDIATE")
            for batch in group:
                if batch is lost:
                    break
                self._settle(batch)
                self._journal_batch(batch, result)
            if done:
                self.runner.settle(done, lost.no)

        if self.on_failure == "skip-batch":
            cause = error.__cause__ or error
            reason = f"batch {lost.no} was rolled back as a whole: a record made SQLite end the transaction: {cause}"
            lost.doomed = [(it, Issue("batch_failed", reason, it.key)) for it in lost.items]
            restart()
            self._settle(lost)
            assert lost.settled is not None
            lost.settled.attempts = 1
            return
        restart()
        for item in lost.items:
            try:
                part = self.runner.settle([item], lost.no)
            except TransactionLost as exc:
                self._rollback_quietly()
                cause = exc.__cause__ or exc
                reason = f"the record made SQLite end the transaction: {cause}"
                issue = Issue("transaction_rollback", reason, item.key)
                lost.doomed.append((item, issue))
                out.quarantined.append((item, issue))
                out.first_error = out.first_error or str(cause)
                restart()
                continue
            done.extend(part.committed)
            out.committed.extend(part.committed)
            out.outcomes.extend(part.outcomes)
            out.quarantined.extend(part.quarantined)
            out.warnings.extend(part.warnings)
            out.changes.extend(part.changes)
            out.first_error = out.first_error or part.first_error
        out.attempts = len(lost.items) + 1
        lost.settled = out

    def _lost_group(self, group: list[_Batch], result: RunResult) -> None:
        result.metrics.retries += 1
        for batch in group:
            batch.settled = None

    def _rollback_quietly(self) -> None:
        self._drop_unit()
        if self.conn.in_transaction:
            self.conn.raw.execute("ROLLBACK")

    def _drop_unit(self) -> None:
        self.conn.abort()

    def _commit_group(self, group: list[_Batch], result: RunResult) -> None:
        t0 = self.clock()

        def commit() -> None:
            if not self.conn.in_transaction:  # lost to a retry: replay first
                self._apply_group(group, result)
            self.journal.update_run(result.run_id, **self._progress_fields(group, result))  # type: ignore[arg-type]
            self.conn.raw.execute("COMMIT")

        self.retry.call(commit, on_retry=lambda e: (self._rollback_quietly(), self._lost_group(group, result)))
        result.metrics.commit_ms += (self.clock() - t0) * 1000
        result.metrics.commits += 1
        self._merge(group, result)

    def _progress_fields(self, group: list[_Batch], result: RunResult) -> dict[str, Any]:
        cursors = [b.settled and _max_cursor(b.settled.committed) for b in group]
        cursors = [c for c in cursors if c]
        positions = [it.position for b in group for it, _ in [*((i, None) for i in b.items), *b.rejected]]
        fields: dict[str, Any] = {}
        if positions:
            fields["last_position"] = max(positions)
        if cursors:
            fields["cursor"] = max(cursors)
        return fields

    def _merge(self, group: list[_Batch], result: RunResult) -> None:
        m = result.metrics
        for batch in group:
            s = batch.settled
            if s is None:
                continue
            m.batch_count += 1
            if s.first_error or batch.rejected or (s.quarantined and self.on_failure == "skip-batch"):
                m.batches_failed += 1  # as the journal's batch status: any bad record (prepare's too)
                first = s.first_error or (str(batch.rejected[0][1]) if batch.rejected else "failed")
                m.batch_errors.append(f"batch {batch.no}: {first}")
            else:
                m.batches_succeeded += 1
            m.bisection_passes += max(0, s.attempts - 1)
            m.validation_over_budget += int(s.over_budget)
            for outcome in s.outcomes:
                if outcome == "added":
                    m.records_added += 1
                elif outcome == "updated":
                    m.records_updated += 1
                elif outcome == "unchanged":
                    m.records_unchanged += 1
            m.records_committed += sum(1 for o in s.outcomes if o != "unchanged")
            for name, value in s.timings.items():
                setattr(m, f"{name}_ms", getattr(m, f"{name}_ms") + value * 1000)
            for item, issue in [*batch.rejected, *s.quarantined]:
                m.records_quarantined += 1
                result.quarantined.append(QuarantinedRecord(item.key, batch.no, issue.rule, issue.message, issue.field))
            result.warnings.extend([*batch.warnings, *s.warnings])

    def _journal_batch(self, batch: _Batch, result: RunResult) -> None:
        s = batch.settled
        assert s is not None and result.run_id is not None
        j = self.journal
        bad = [*batch.rejected, *s.quarantined]
        every = [*batch.items, *(i for i, _ in batch.rejected)]
        outcomes = s.outcomes
        status = "committed" if not bad else ("partial" if s.committed else "failed")
        j.add_batch(
            BatchRow(
                result.run_id,
                batch.no,
                status,
                len(every),
                len(s.committed),
                len(bad),
                added=outcomes.count("added"),
                updated=outcomes.count("updated"),
                unchanged=outcomes.count("unchanged"),
                attempts=s.attempts,
                first_key=every[0].key if every else None,
                last_key=every[-1].key if every else None,
                first_position=min((i.position for i in every), default=None),
                last_position=max((i.position for i in every), default=None),
                cursor=_max_cursor(s.committed),
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
        if self.keep_undo and s.changes and not result.dry_run:
            written = [it.key for it, o in zip(s.committed, outcomes, strict=False) if o != "unchanged"]
            j.store_undo(result.run_id, batch.no, s.changes, written if len(outcomes) == len(s.committed) else None)
        if result.dry_run:
            result.changes.extend(s.changes)
        issues = [issue for _, issue in bad] + batch.warnings + s.warnings
        if s.over_budget:
            message = f"validation exceeded its budget of {self.budget_ms:g} ms"
            issues.append(Issue("validation_timeout", message, severity="warning"))
        if issues:
            j.add_issues(result.run_id, batch.no, issues)
        for item, issue in bad:
            j.quarantine(result.run_id, batch.no, item.key, self.payload(item.record), issue)
        if self._quarantined_before:
            # a key also quarantined in this batch (a later duplicate) is not resolved
            still_bad = {it.key for it, _ in bad}
            resolved = [it.key for it in s.committed if it.key in self._quarantined_before and it.key not in still_bad]
            if resolved:
                result.metrics.records_resolved += j.resolve(result.run_id, resolved)

    def _run_final_checks(self, result: RunResult) -> None:
        """The post-run cross-batch check; batches behind an error are compensated (``_compensate``)."""
        if not self.final_validators:
            return
        issues = run_all(self.final_validators, self.conn)
        if not any(i.severity == "error" for i in issues):
            if issues:
                result.warnings.extend(issues)
                self._write(lambda: self.journal.add_issues(result.run_id, None, issues))  # type: ignore[arg-type]
            return
        assert result.run_id is not None
        done = compensate(self.conn, self.journal, result.run_id, issues, partial(run_all, self.final_validators))
        if done.batches:
            self._count_compensated(done, issues, result)
        elif not done.traced and all(i.rows or i.record for i in issues):
            # every finding names rows no batch of this run wrote: older damage, reported, not ours
            done.remaining = [_preexisting(i) for i in issues]
            self._write(lambda: self.journal.add_issues(result.run_id, None, done.remaining))  # type: ignore[arg-type]
        else:
            self._write(lambda: self.journal.add_issues(result.run_id, None, issues))  # type: ignore[arg-type]
        result.warnings.extend(done.remaining)
        if any(i.severity == "error" for i in done.remaining):
            result.status = "completed_with_errors"

    def _count_compensated(self, done: Compensation, issues: list[Issue], result: RunResult) -> None:
        m = result.metrics
        named = {i.record: i for i in issues if i.severity == "error" and i.record}
        m.batches_compensated += len(done.batches)
        m.batches_succeeded -= len(done.batches)
        m.batches_failed += len(done.batches)
        for no in done.batches:
            m.batch_errors.append(f"batch {no}: undone by the post-run check")
            for key in done.keys[no]:
                issue = named.get(key)
                rule, reason = (
                    (issue.rule, issue.message) if issue else ("post_run_check", "batch undone by the post-run check")
                )
                result.quarantined.append(QuarantinedRecord(key, no, rule, reason, issue.field if issue else None))
        keys = sum(len(done.keys[no]) for no in done.batches)
        m.records_compensated += keys
        m.records_committed -= keys
        m.records_quarantined += keys

    # -- all-or-nothing mode (the seed behaviour behind ENABLE_BATCH_PROCESSING=false) --------
    def _run_all_or_nothing(self, records: Iterable[Any], result: RunResult, dry_run: bool, skip_to: int) -> None:
        if not dry_run:
            path = backup(self.conn, self.backup_dir, self.backup_retention)
            result.backup_path = str(path) if path else None
        raw = self.conn.raw
        if raw.get_autocommit():
            raw.execute("BEGIN IMMEDIATE")
        failures: list[tuple[Item, Issue, int]] = []
        outcomes: list[str] = []
        items_all: list[Item] = []
        uow = self.conn.unit_of_work(self.strategy, name="all-or-nothing", nested=True).begin()
        lost = False  # a record made SQLite end the transaction: the rest is only read and checked
        try:
            for batch in self._batches(records, result, skip_to):
                failures.extend((it, iss, batch.no) for it, iss in batch.rejected)
                result.warnings.extend(batch.warnings)
                result.metrics.batch_count += 1
                if lost:
                    continue
                try:
                    got = self.apply(uow, [it.prepared for it in batch.items])
                except RecordFailed as exc:
                    failures.append((Item(exc.issue.record or "?", None, None, 0), exc.issue, batch.no))
                    got = None
                except TransactionLost as exc:
                    lost, cause = True, exc.__cause__ or exc
                    reason = f"a record of this batch made SQLite end the transaction: {cause}"
                    failures.extend((it, Issue("transaction_rollback", reason, it.key), batch.no) for it in batch.items)
                    got = None
                except FATAL_ERRORS:
                    raise
                except Exception as exc:  # noqa: BLE001 - fails the whole run, named by batch
                    for it in batch.items:
                        failures.append((it, Issue(type(exc).__name__, str(exc), it.key), batch.no))
                    got = None
                if got is not None:
                    outcomes.extend(got)
                items_all.extend(batch.items)
                if self.progress:
                    self.progress(len(batch.items) + len(batch.rejected))
            if not failures and self.batch_validators:
                ctx = BatchContext(self.conn, uow, [i.record for i in items_all], [i.key for i in items_all], 0)
                for issue in run_all(self.batch_validators, ctx):
                    if issue.severity == "error":
                        failures.append((Item(issue.record or "-", None, None, 0), issue, 0))
                    else:
                        result.warnings.append(issue)
            if not failures and not lost and self.final_validators:  # the cross-batch check, before COMMIT
                for issue in run_all(self.final_validators, self.conn):
                    if issue.severity == "error":
                        failures.append((Item(issue.record or "-", None, None, 0), issue, 0))
                    else:
                        result.warnings.append(issue)
        except BaseException:
            if uow.state == "active" and self.conn.in_transaction:
                uow.rollback()
            self._drop_unit()
            raise
        m = result.metrics
        if failures or dry_run:
            if dry_run and not lost:
                result.changes.extend(uow.changes)
            if self.conn.in_transaction:
                uow.rollback()
                raw.execute("ROLLBACK")
            else:  # already ended by SQLite: nothing to undo
                self._drop_unit()
            if failures:
                result.status = "rolled_back"
                m.batches_failed = m.batch_count
                for item, issue, no in failures:
                    m.records_quarantined += 1
                    result.quarantined.append(QuarantinedRecord(item.key, no, issue.rule, issue.message, issue.field))
                m.batch_errors.append(f"run rolled back: {len(failures)} failing record(s)")
            self._count(outcomes, m, dry_run and not failures)
            if not dry_run:
                kept = [i for _, i, _ in failures] + result.warnings
                self._write(lambda: self.journal.add_issues(result.run_id, None, kept))  # type: ignore[arg-type]
        else:
            uow.commit()
            if result.warnings:  # in the same transaction as the data they describe
                self.journal.add_issues(result.run_id, None, result.warnings)  # type: ignore[arg-type]
            if self.keep_undo and uow.changes:
                self.journal.store_undo(result.run_id, 0, uow.changes)  # type: ignore[arg-type]
            raw.execute("COMMIT")
            m.batches_succeeded = m.batch_count
            self._count(outcomes, m, True)
        self._finish(result, dry_run)

    @staticmethod
    def _count(outcomes: list[str], m: Metrics, committed: bool) -> None:
        m.records_added += outcomes.count("added")
        m.records_updated += outcomes.count("updated")
        m.records_unchanged += outcomes.count("unchanged")
        if committed:
            m.records_committed += len(outcomes) - outcomes.count("unchanged")


def _with_key(issue: Issue, key: str) -> Issue:
    if issue.record == key:
        return issue
    return Issue(issue.rule, issue.message, key, issue.field, issue.severity)


def _preexisting(issue: Issue) -> Issue:
    if issue.severity != "error":
        return issue
    message = f"{issue.message} (rows this run did not write: fix them by hand)"
    return Issue(issue.rule, message, issue.record, issue.field, "warning", issue.rows)


def _max_cursor(items: list[Item]) -> str | None:
    cursors = [i.cursor for i in items if i.cursor]
    return max(cursors) if cursors else None


def _describe_fatal(exc: BaseException) -> str:
    if isinstance(exc, apsw.FullError):
        return "the disk is full (SQLITE_FULL): free space, then run again; committed batches are kept"
    if isinstance(exc, RETRYABLE):
        return (
            "the database stayed locked by another process beyond the retry budget: run again later;"
            " committed batches are kept"
        )
    if isinstance(exc, apsw.IOError):
        return f"an I/O error stopped the run ({exc}): check the disk, then run again; committed batches are kept"
    if isinstance(exc, apsw.ReadOnlyError):
        return "the database is read-only: give a writable file"
    if isinstance(exc, SourceFailed):
        return str(exc)
    if isinstance(exc, KeyboardInterrupt):
        return "interrupted: run again to resume; committed batches are kept"
    return f"{type(exc).__name__}: {exc}; committed batches are kept, run again to resume"
