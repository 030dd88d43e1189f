"""Client-side rate limiting: never more than N requests in any window of the given length."""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable

__all__ = ["RateLimiter"]


class RateLimiter:
    """A sliding-window limiter: at most ``max_requests`` calls to :meth:`acquire` start in
    any interval of ``period`` seconds (the Congress.gov limit is 5,000 requests an hour,
    counted on a rolling window by api.data.gov).

    ``clock`` and ``sleep`` are injectable; after sleeping the limiter trusts that the time it
    asked for has passed, so a fake ``sleep`` that does not move a fake clock cannot make it
    spin.
    """

    def __init__(
        self,
        max_requests: int,
        period: float = 3600.0,
        *,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], object] = time.sleep,
    ) -> None:
        if max_requests < 1:
            raise ValueError("max_requests must be at least 1")
        if period <= 0:
            raise ValueError("period must be positive")
        self.max_requests = max_requests
        self.period = float(period)
        self._clock = clock
        self._sleep = sleep
        self._starts: deque[float] = deque()
        self._latest = float("-inf")  # time never runs backwards for the limiter
        self._lock = threading.Lock()

    def acquire(self) -> float:
        """Wait until one more request fits in the window, record it; return the seconds waited."""
        waited = 0.0
        with self._lock:
            now = self._now()
            self._expire(now)
            if len(self._starts) >= self.max_requests:
                ready_at = self._starts[0] + self.period
                delay = ready_at - now
                if delay > 0:
                    self._sleep(delay)
                    waited = delay
                self._latest = max(self._latest, ready_at)
                now = self._now()
                self._expire(now)
            self._starts.append(now)
        return waited

    def _now(self) -> float:
        self._latest = max(self._latest, self._clock())
        return self._latest

    def _expire(self, now: float) -> None:
        cutoff = now - self.period
        while self._starts and self._starts[0] <= cutoff:
            self._starts.popleft()

    def __repr__(self) -> str:
        return f"RateLimiter(max_requests={self.max_requests}, period={self.period:g})"
