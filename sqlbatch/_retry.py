"""Retry policy for lock contention (tenacity).

``apsw.BusyError`` and ``apsw.LockedError`` mean another connection holds the lock: the
open commit group is rolled back and retried whole, with exponential backoff and jitter,
within a bounded total time. Other errors are never retried. Matching is by exception
class, never by message text. ``sleep`` is injectable for tests.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import apsw
import tenacity

from ._errors import ConfigurationError

T = TypeVar("T")

RETRYABLE: tuple[type[BaseException], ...] = (apsw.BusyError, apsw.LockedError)


@dataclass
class RetryPolicy:
    max_seconds: float = 30.0
    max_attempts: int = 20
    initial_wait: float = 0.05
    max_wait: float = 2.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def __post_init__(self) -> None:
        if self.max_seconds < 0 or self.max_attempts < 1 or self.initial_wait < 0:
            raise ConfigurationError(f"RetryPolicy({self!r}): times must be >= 0 and attempts >= 1")

    def call(self, func: Callable[[], T], *, on_retry: Callable[[BaseException], None] | None = None) -> T:
        """Call ``func``; on a retryable error call ``on_retry(exc)`` then try again."""

        def before_sleep(state: tenacity.RetryCallState) -> None:
            if on_retry is not None and state.outcome is not None:
                on_retry(state.outcome.exception())  # type: ignore[arg-type]

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(RETRYABLE),
            stop=tenacity.stop_after_delay(self.max_seconds) | tenacity.stop_after_attempt(self.max_attempts),
            wait=self._wait,
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        return retrying(func)

    def _wait(self, state: tenacity.RetryCallState) -> float:
        """Exponential backoff from ``initial_wait`` with jitter of up to ``initial_wait``, capped.

        (tenacity's ``wait_exponential_jitter`` adds up to a whole second of jitter by default,
        which made every wait ~0.5 s whatever ``initial_wait`` said.)
        """
        base = self.initial_wait * 2 ** min(state.attempt_number - 1, 60)
        return min(self.max_wait, base + random.uniform(0, self.initial_wait))
