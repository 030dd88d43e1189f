"""Client-side rate limiting over a rolling window, paced by what the server says is left.

Congress.gov (through api.data.gov) allows 5,000 requests an hour per key, counted over a
rolling hour: each request stops counting one hour after it was made. Responses carry
``X-RateLimit-Limit`` and ``X-RateLimit-Remaining``; a request over the limit gets HTTP 429,
often without ``Retry-After``. Other programs may share the key, so the server's count is
the truth; our own request times tell when part of it frees up.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta

__all__ = [
    "HOURLY_REQUESTS",
    "RATE_WINDOW_SECONDS",
    "RateLimitWaitExceeded",
    "RateLimiter",
    "over_budget_line",
    "waiting_line",
]

#: api.data.gov's limit per key, and the rolling window it is counted over (one hour)
HOURLY_REQUESTS = 5000
RATE_WINDOW_SECONDS = 3600.0


class RateLimitWaitExceeded(Exception):
    """The next request could go only after the wait budget: ``delay`` s from now, ``waited`` so far."""

    def __init__(self, delay: float, waited: float, budget: float) -> None:
        super().__init__(f"the next request may go in {delay:.1f} s; {waited:.1f} of {budget:g} s already waited")
        self.delay, self.waited, self.budget = delay, waited, budget


class RateLimiter:
    """At most ``max_requests`` of our requests start in any ``period`` seconds, and none
    while the server's known budget is used up.

    :meth:`observe` takes the server's ``X-RateLimit-Limit``/``Remaining`` after each
    response; :meth:`exhausted` records a 429. With nothing left, the wait is until a slot
    surely frees: the server counts only requests of the last ``period``, so the oldest of
    ours still counted frees one at its time + ``period`` (with none of ours counted, every
    counted request is younger than ``period``: one frees within ``period``). A
    ``Retry-After`` the server gave replaces that bound.

    ``max_wait`` bounds the total time :meth:`acquire` may wait (None: unbounded); a wait
    beyond it raises :class:`RateLimitWaitExceeded` at once, without waiting. ``on_wait``
    is told ``(seconds, reason)`` before each wait. ``clock`` and ``sleep`` are injectable;
    after sleeping the limiter trusts that the time it asked for has passed, so a fake
    ``sleep`` that does not move a fake clock cannot make it spin.
    """

    def __init__(
        self,
        max_requests: int,
        period: float = RATE_WINDOW_SECONDS,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
        max_wait: float | None = None,
        on_wait: Callable[[float, str], object] | None = None,
    ) -> None:
        if max_requests < 1:
            raise ValueError("max_requests must be at least 1")
        if period <= 0:
            raise ValueError("period must be positive")
        if max_wait is not None and max_wait < 0:
            raise ValueError("max_wait must not be negative")
        self.max_requests = max_requests
        self.period = float(period)
        self.max_wait = max_wait
        self.waited = 0.0  # total seconds spent waiting, against ``max_wait``
        self._clock = clock
        self._sleep = sleep
        self._on_wait = on_wait
        self._starts: deque[float] = deque()
        self._remaining: int | None = None  # the server's budget as last known, minus what we sent since
        self._server_counts = False  # the server sends X-RateLimit-Remaining
        self._not_before = float("-inf")  # a Retry-After: no request before this time
        self._latest = float("-inf")  # time never runs backwards for the limiter
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait until one more request fits, record it; return the seconds waited."""
        waited = 0.0
        with self._lock:
            while True:
                now = self._now()
                self._expire(now)
                ready_at, reason = self._ready_at(now)
                if ready_at <= now:
                    break
                waited += self._wait(ready_at - now, reason)
                self._latest = max(self._latest, ready_at)
                self._expire(self._now())
                self._after_wait(ready_at)
            self._starts.append(now)
            if self._remaining is not None:
                self._remaining -= 1
        return waited

    def observe(self, limit: int | None, remaining: int | None) -> None:
        """The server's ``X-RateLimit-Limit`` and ``X-RateLimit-Remaining`` of the last response."""
        with self._lock:
            if limit is not None and limit >= 1:
                self.max_requests = limit
            if remaining is not None and remaining >= 0:
                self._remaining, self._server_counts = remaining, True

    def exhausted(self, retry_after: float | None = None) -> None:
        """The server answered 429: nothing is left until a slot frees (or ``retry_after`` s pass)."""
        with self._lock:
            self._remaining = 0
            if retry_after is not None:
                # at least a second: a server repeating "429, Retry-After: 0" must not make us spin
                self._not_before = self._now() + max(1.0, retry_after)

    # -- internals ---------------------------------------------------------------------------

    def _ready_at(self, now: float) -> tuple[float, str]:
        if self._not_before > now:
            return self._not_before, "the server's Retry-After"
        if self._remaining is not None and self._remaining <= 0:
            # our times are taken before sending, the server's on arrival: a small margin covers the difference
            margin = min(1.0, 0.05 * self.period)
            bound = (self._starts[0] if self._starts else now) + self.period + margin
            return bound, "the server's count (X-RateLimit-Remaining 0 or HTTP 429)"
        if len(self._starts) >= self.max_requests:
            return self._starts[0] + self.period, f"our own {self.max_requests} requests in {self.period:g} s"
        return now, ""

    def _wait(self, delay: float, reason: str) -> float:
        if self.max_wait is not None and self.waited + delay > self.max_wait:
            raise RateLimitWaitExceeded(delay, self.waited, self.max_wait)
        if self._on_wait is not None:
            self._on_wait(delay, reason)
        self._sleep(delay)
        self.waited += delay
        return delay

    def _after_wait(self, ready_at: float) -> None:
        if self._not_before <= ready_at:
            self._not_before = float("-inf")
        if self._remaining is not None and self._remaining <= 0:
            # one slot is surely free now; the next response says how many (if the server counts)
            self._remaining = 1 if self._server_counts else None

    def _now(self) -> float:
        self._latest = max(self._latest, self._clock())
        return self._latest

    def _expire(self, now: float) -> None:
        cutoff = now - self.period
        while self._starts and self._starts[0] <= cutoff:
            self._starts.popleft()

    def __repr__(self) -> str:
        return f"RateLimiter(max_requests={self.max_requests}, period={self.period:g})"


def waiting_line(limiter: RateLimiter, seconds: float, reason: str) -> str | None:
    """The stderr line saying what a run waits for and until when (None for pacing under a second)."""
    if seconds < 1.0:
        return None
    until = (datetime.now(UTC) + timedelta(seconds=seconds)).strftime("%H:%M:%S UTC")
    left = f"; {limiter.max_wait - limiter.waited:.0f} s of API_MAX_WAIT_SECONDS left" if limiter.max_wait else ""
    return (
        f"rate limit: waiting {seconds:.0f} s, until {until}, for the Congress.gov API's request window"
        f" ({limiter.max_requests} requests per {limiter.period:g} s per key; {reason}){left}"
    )


def over_budget_line(over: RateLimitWaitExceeded, said: str) -> str:
    """The one line of a run stopped by the wait budget: until when, and what to do."""
    until = datetime.now(UTC) + timedelta(seconds=over.delay)
    said = f" ({said})" if said else ""
    return (
        f"the Congress.gov API's rate limit is used up{said}: the next request may go at"
        f" {until:%H:%M:%S} UTC, in {over.delay:.0f} s, beyond API_MAX_WAIT_SECONDS={over.budget:g}"
        f" ({over.waited:.0f} s waited already). Committed batches stay; run again after"
        f" {until:%H:%M} UTC to resume."
    )
