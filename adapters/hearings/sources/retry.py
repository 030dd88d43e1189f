"""Retry policy for API requests, built on tenacity: what is retried, how long to wait, when
to give up.

Only :class:`TransientError` is retried (the client raises it for 429, 5xx, timeouts,
connection errors and truncated bodies). The wait is the server's ``Retry-After`` when it
gave one (capped), otherwise exponential backoff with jitter. Attempts are bounded, and so
is the total time spent waiting between them.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import parsedate_to_datetime

import tenacity

__all__ = ["HttpRetry", "TransientError", "parse_retry_after"]


class TransientError(Exception):
    """A failure worth retrying; ``retry_after`` is the server's requested delay in seconds."""

    def __init__(self, reason: str, *, status_code: int | None = None, retry_after: float | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status_code = status_code
        self.retry_after = retry_after


def parse_retry_after(value: str | None, *, now: datetime | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header: delta-seconds or an HTTP date.

    Returns ``None`` when the header is missing or unreadable, ``0.0`` for a date in the past.
    """
    if value is None:
        return None
    text = value.strip()
    if not text:
        return None
    if text.isdigit():
        return float(text)
    try:
        when = parsedate_to_datetime(text)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    delta = (when - (now or datetime.now(UTC))).total_seconds()
    return max(0.0, delta)


@dataclass(frozen=True, slots=True)
class HttpRetry:
    """How one request is retried.

    ``max_attempts`` counts every try (first one included). ``max_total_wait`` bounds the
    sum of the waits between tries; a wait that would exceed it ends the retries at once
    (so a ``Retry-After`` of an hour gives up instead of hanging). Backoff before retry
    *n* is ``min(backoff_max, backoff_initial * 2**(n-1))`` plus up to ``jitter`` times
    that, at random. ``Retry-After`` values are capped at ``retry_after_cap``.
    """

    max_attempts: int = 5
    max_total_wait: float = 120.0
    backoff_initial: float = 0.5
    backoff_max: float = 30.0
    jitter: float = 0.5
    retry_after_cap: float = 120.0
    rand: Callable[[], float] = field(default=random.random, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if min(self.max_total_wait, self.backoff_initial, self.backoff_max, self.jitter, self.retry_after_cap) < 0:
            raise ValueError("retry delays must not be negative")

    def wait_for(self, attempt_number: int, error: BaseException | None) -> float:
        """Seconds to wait after failed attempt ``attempt_number`` (1-based)."""
        retry_after = getattr(error, "retry_after", None)
        if retry_after is not None:
            return min(float(retry_after), self.retry_after_cap)
        base = min(self.backoff_max, self.backoff_initial * 2 ** (attempt_number - 1))
        return min(self.backoff_max, base + base * self.jitter * self.rand())

    def retrying(
        self,
        *,
        sleep: Callable[[float], object],
        before_sleep: Callable[[tenacity.RetryCallState], object] | None = None,
    ) -> tenacity.Retrying:
        """A tenacity ``Retrying`` applying this policy, sleeping with ``sleep``."""
        return tenacity.Retrying(
            retry=tenacity.retry_if_exception_type(TransientError),
            wait=self._wait,
            stop=tenacity.stop_after_attempt(self.max_attempts) | self._over_budget,
            sleep=sleep,
            before_sleep=before_sleep,
            reraise=False,
        )

    def _wait(self, state: tenacity.RetryCallState) -> float:
        error = state.outcome.exception() if state.outcome else None
        return self.wait_for(state.attempt_number, error)

    def _over_budget(self, state: tenacity.RetryCallState) -> bool:
        upcoming = getattr(state, "upcoming_sleep", 0.0) or 0.0
        return state.idle_for + upcoming > self.max_total_wait
