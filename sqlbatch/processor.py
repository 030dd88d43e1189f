"""The batch processor: records in, batches out, each a unit of work of its own.

    records ─▶ prepare/record validators ─▶ batches of N ─▶ unit of work per batch
            ─▶ apply ─▶ batch validators ─▶ keep │ isolate (bisect) │ skip-batch
            ─▶ journal rows in the same transaction ─▶ commit (every batch, or grouped)
            ─▶ post-run check ─▶ compensate the batches behind an error

This module is the façade; each part has one job and shares one :class:`RunState`:
``_config`` (the checked settings), ``_lifecycle`` (journal row, resume point, dead runs,
setup, finish, abort), ``_reading`` (records into batches), ``_group`` (batched mode: the
commit group under retry), ``_all_or_nothing`` (one transaction for the whole run),
``_final`` (post-run check and compensation), ``_tally`` (the one place that counts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any

from . import _lifecycle
from ._backend import backend_for
from ._config import ProcessorConfig
from ._connection import Connection
from ._errors import CaptureConflictError, ConfigurationError, UnsupportedSchemaError
from ._final import run_final_checks
from ._group import run_batched
from ._isolate import BatchRunner, RecordFailed
from ._journal import Journal
from ._lease import RunLocked, describe_holder
from ._metrics import Metrics
from ._results import Outcome, Prepared, ProcessorAborted, QuarantinedRecord, RunResult, SourceFailed
from ._state import RunState

__all__ = [
    "Outcome",
    "Prepared",
    "Processor",
    "ProcessorAborted",
    "ProcessorConfig",
    "QuarantinedRecord",
    "RecordFailed",
    "RunLocked",
    "RunResult",
    "SourceFailed",
]

#: usage errors: reported as such after the clean-up, not wrapped in ProcessorAborted
_USAGE_ERRORS = (ConfigurationError, UnsupportedSchemaError, CaptureConflictError)


class Processor:
    """Applies records in batches with failure isolation, quarantine, journal and metrics.

    ``apply(uow, prepared_records) -> outcomes | None`` writes one batch through the unit of
    work; ``outcomes`` (one :class:`Outcome` per record, or its string) feeds the counts.
    ``prepare(record)`` (optional) turns a raw record into what ``apply`` gets and may raise
    :class:`RecordFailed`; record validators run before it. ``setup(uow)`` (optional) runs
    once per run in the run's first unit of work (journaled as batch 0, so a revert undoes it).
    Every keyword is a field of :class:`ProcessorConfig`, checked here.
    """

    def __init__(
        self,
        conn: Connection,
        apply: Callable[[Any, list[Any]], Sequence[str] | None] | None = None,
        *,
        config: ProcessorConfig | None = None,
        **options: Any,
    ) -> None:
        if config is None:
            try:
                config = ProcessorConfig(apply, **options)  # type: ignore[arg-type]
            except TypeError as exc:  # an unknown keyword
                raise ConfigurationError(f"Processor(): {exc}".replace("ProcessorConfig.__init__() ", "")) from None
        elif apply is not None or options:
            raise ConfigurationError("Processor(config=...): give the config alone, or keywords without it")
        self.conn, self.config = conn, config
        self.backend = backend_for(conn)
        self.backend.check_strategy(config.tracker)  # e.g. session on PostgreSQL: refused now
        self.journal = Journal(conn, self.backend)
        self.runner = BatchRunner(
            conn,
            config.apply,
            config.batch_validators,
            config.tracker,
            config.on_failure,
            config.validation_budget_ms,
            config.clock,
            keep_changes=config.keep_undo,
            fatal=self.backend.fatal_errors,
        )

    def run(
        self, records: Iterable[Any], *, source: str | None = None, dry_run: bool = False, resume: bool = True
    ) -> RunResult:
        """Process every record holding the run lease; returns the result.

        Raises :class:`RunLocked` (nothing done, no journal row) when another live run holds
        the lease beyond ``lock_timeout`` seconds, :class:`ProcessorAborted` on a fatal error.
        """
        config = self.config
        lease = config.lease or self.backend.lease(self.conn, config.job)
        if not lease.acquire(config.lock_timeout):
            raise RunLocked(
                f"another run holds this database: {describe_holder(self.conn)}; waited {config.lock_timeout:g} s"
                " (RUN_LOCK_TIMEOUT): run again when it has finished"
            )
        try:
            return self._run_leased(records, source, dry_run, resume)
        finally:
            lease.release()

    def _run_leased(self, records: Iterable[Any], source: str | None, dry_run: bool, resume: bool) -> RunResult:
        config, clock = self.config, self.config.clock
        started = clock()
        result = RunResult(
            None, "running", config.mode, config.strategy_name, config.batch_size, config.on_failure, Metrics()
        )
        result.dry_run = dry_run
        state = RunState(self.conn, config, self.backend, self.journal, self.runner, result, dry_run, source)
        if self.conn.in_transaction:
            raise ConfigurationError("Processor.run(): the connection is inside a transaction; commit it first")
        try:
            self._steps(state, records, resume)
        except (*self.backend.fatal_errors, KeyboardInterrupt, Exception) as exc:
            # Exception too (SourceFailed, a failing key/cursor/progress callable...): the
            # connection must not stay inside a transaction, nor the run "running".
            result.metrics.duration_s = clock() - started
            _lifecycle.abort(state, exc)
            if isinstance(exc, _USAGE_ERRORS):
                raise  # a usage error, reported as such (after the clean-up)
            raise ProcessorAborted(result.error or str(exc), result) from exc
        result.metrics.duration_s = clock() - started
        return result

    def _steps(self, state: RunState, records: Iterable[Any], resume: bool) -> None:
        state.retry(lambda: _lifecycle.start(state))
        skip_to = 0
        if not state.dry_run:
            if resume:
                skip_to = _lifecycle.resume_point(state)
            _lifecycle.mark_dead_runs(state)
        if self.config.all_or_nothing:
            from ._all_or_nothing import run_all_or_nothing  # imported by the runs that use it

            run_all_or_nothing(state, records, skip_to)
        else:
            run_batched(state, records, skip_to, before_first=lambda: _lifecycle.run_setup(state))
            if not state.dry_run:
                run_final_checks(state)
        _lifecycle.finish(state)

    def __repr__(self) -> str:
        c = self.config
        return f"<Processor {c.job!r} {c.mode} {c.strategy_name} batch_size={c.batch_size}>"
