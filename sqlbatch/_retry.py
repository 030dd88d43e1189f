"""Retry policy for lock contention (tenacity).

Lock contention (SQLite: ``apsw.BusyError``, ``apsw.LockedError``; the backend's
``retryable_errors``) means another connection holds the lock: the open commit group is
rolled back and retried whole, with exponential backoff and jitter, within a bounded total
time. Other errors are never retried. Matching is by exception class, never by message
text. ``sleep`` is injectable for tests.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TypeVar

import tenacity

from ._backend import SQLITE
from ._errors import ConfigurationError

T = TypeVar("T")


@dataclass(frozen=True)
class RetryPolicy:
    """How long and how often to retry; every field is checked at construction."""

    max_seconds: float = 30.0
    max_attempts: int = 20
    initial_wait: float = 0.05
    max_wait: float = 2.0
    sleep: Callable[[float], None] = field(default=time.sleep, repr=False)

    def __post_init__(self) -> None:
        for name in ("max_seconds", "initial_wait", "max_wait"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or value < 0:
                raise ConfigurationError(f"RetryPolicy({name}={value!r}): must be a number >= 0")
        if isinstance(self.max_attempts, bool) or not isinstance(self.max_attempts, int) or self.max_attempts < 1:
            raise ConfigurationError(f"RetryPolicy(max_attempts={self.max_attempts!r}): must be an integer >= 1")
        if self.initial_wait > self.max_wait:
            raise ConfigurationError(
                f"RetryPolicy(initial_wait={self.initial_wait!r}, max_wait={self.max_wait!r}):"
                " initial_wait must be <= max_wait"
            )
        if not callable(self.sleep):
            raise ConfigurationError(f"RetryPolicy(sleep={self.sleep!r}): must be callable")

    def call(
        self,
        func: Callable[[], T],
        *,
        on_retry: Callable[[BaseException], None] | None = None,
        retryable: tuple[type[BaseException], ...] = SQLITE.retryable_errors,
    ) -> T:
        """Call ``func``; on a ``retryable`` error call ``on_retry(exc)`` then try again."""

        def before_sleep(state: tenacity.RetryCallState) -> None:
            if on_retry is not None and state.outcome is not None:
                on_retry(state.outcome.exception())  # type: ignore[arg-type]

        retrying = tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(retryable),
            stop=tenacity.stop_after_delay(self.max_seconds) | tenacity.stop_after_attempt(self.max_attempts),
            wait=_backoff(self.initial_wait, self.max_wait),
            sleep=self.sleep,
            before_sleep=before_sleep,
            reraise=True,
        )
        return retrying(func)


def _backoff(initial: float, maximum: float) -> tenacity.wait.wait_base:
    """``initial * 2**(n-1)`` plus a jitter of up to ``initial``, capped at ``maximum``.

    The jitter is bounded by ``initial``, not tenacity's default of a whole second (which made
    every wait ~0.5 s whatever ``initial_wait`` said).
    """
    try:  # tenacity >= 9.1 names the first wait ``multiplier`` (``initial`` is deprecated)
        return tenacity.wait_exponential_jitter(multiplier=initial, max=maximum, jitter=initial)
    except TypeError:
        return tenacity.wait_exponential_jitter(initial=initial, max=maximum, jitter=initial)
