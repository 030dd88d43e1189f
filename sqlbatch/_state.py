"""The one state object a run's parts share: connection, backend, journal, config, result."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._backend import Backend
    from ._config import ProcessorConfig
    from ._connection import Connection
    from ._isolate import BatchRunner
    from ._journal import Journal
    from ._results import RunResult


@dataclass
class RunState:
    conn: Connection
    config: ProcessorConfig
    backend: Backend
    journal: Journal
    runner: BatchRunner
    result: RunResult
    dry_run: bool = False
    source: str | None = None
    #: keys quarantined before this run: one that commits now is marked resolved
    quarantined_before: set[str] = field(default_factory=set)

    def write(self, func: Callable[[], None]) -> None:
        """Run ``func`` in a transaction of its own, retried under lock contention."""

        def once() -> None:
            with self.conn:
                func()

        self.retry(once)

    def retry(self, func: Callable[[], object], on_retry: Callable[[BaseException], object] | None = None) -> None:
        assert self.config.retry is not None
        self.config.retry.call(func, on_retry=on_retry, retryable=self.backend.retryable_errors)

    def begin(self) -> None:
        self.backend.begin(self.conn)

    def rollback_quietly(self) -> None:
        """End the open transaction and unit of work, whatever state a failure left them in."""
        self.conn.abort()

    def progressed(self, records: int) -> None:
        if self.config.progress is not None:
            self.config.progress(records)
