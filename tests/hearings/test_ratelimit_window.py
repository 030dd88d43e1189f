"""The hourly limit: pacing by ``X-RateLimit-Remaining``, waiting out 429s, the wait budget.

No test sleeps for real: the limiter and the fake API (answering in process) share a fake
clock, so an hour of rate-limit window passes in microseconds.
"""

from __future__ import annotations

import json
import logging
from importlib import resources
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.hearings.sources import ApiRateLimited, CongressClient, RateLimiter, read_sample
from adapters.hearings.sources.ratelimit import RateLimitWaitExceeded
from tests.support.http_api import IN_PROCESS_URL, FakeCongressApi

KEY = "rate-key-0b7c41"


class FakeTime:
    def __init__(self) -> None:
        self.now = 5000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


class ModelServer:
    """api.data.gov's counting: ``limit`` per rolling ``period``; rejected requests do not count."""

    def __init__(self, limit: int, period: float, spent_at: list[float]) -> None:
        self.limit, self.period = limit, period
        self.starts = sorted(spent_at)
        self.rejected = 0

    def request(self, now: float) -> tuple[bool, int]:
        self.starts = [t for t in self.starts if t > now - self.period]
        if len(self.starts) >= self.limit:
            self.rejected += 1
            return False, 0
        self.starts.append(now)
        return True, self.limit - len(self.starts)


@settings(max_examples=60, deadline=None)
@given(
    limit=st.integers(1, 12),
    spent=st.lists(st.floats(0.0, 0.999), max_size=12),
    gaps=st.lists(st.floats(0.0, 0.4), min_size=1, max_size=60),
)
def test_a_known_budget_is_never_exceeded(limit: int, spent: list[float], gaps: list[float]) -> None:
    """Whatever another program spent of the key before, at most the first request is refused."""
    period = 1.0
    time = FakeTime()
    others = [time.now - period + s * period for s in spent][:limit]  # another program's requests, last hour
    server = ModelServer(limit, period, others)
    limiter = RateLimiter(5000, period, clock=time.clock, sleep=time.sleep)
    done = 0
    for gap in gaps:
        time.now += gap
        limiter.acquire()
        ok, remaining = server.request(time.now)
        limiter.observe(limit, remaining)
        if not ok:
            limiter.exhausted()
            continue
        done += 1
    assert server.rejected <= 1  # only before the client heard the server's count
    assert server.rejected == 0 or len(others) == limit
    assert done == len(gaps) - server.rejected
    # and it did not wait needlessly long: never more than one window (and its small margin) at a time
    assert all(s <= period * 1.05 + 1e-9 for s in time.sleeps)


def test_a_429_without_retry_after_waits_until_our_oldest_request_leaves_the_window() -> None:
    time = FakeTime()
    limiter = RateLimiter(5000, 3600.0, clock=time.clock, sleep=time.sleep)
    limiter.acquire()  # t = 5000
    time.now += 600
    limiter.acquire()  # t = 5600: refused by the server (someone else used the key)
    limiter.exhausted()
    limiter.acquire()
    assert time.sleeps == [3001.0]  # 5000 + 3600 - 5600 (+1 s margin): when a request surely counts no more
    assert limiter.waited == 3001.0


def test_the_wait_budget_stops_at_once_without_waiting() -> None:
    time = FakeTime()
    limiter = RateLimiter(5000, 3600.0, clock=time.clock, sleep=time.sleep, max_wait=600.0)
    limiter.observe(5000, 0)
    with pytest.raises(RateLimitWaitExceeded) as over:
        limiter.acquire()
    assert over.value.delay == 3601.0 and time.sleeps == []


@pytest.fixture(scope="module")
def committees() -> list[dict[str, Any]]:
    return json.loads(resources.files("adapters.hearings").joinpath("data", "committees.json").read_text("utf-8"))


@pytest.fixture(scope="module")
def meetings() -> list[dict[str, Any]]:
    return [r.payload for r in read_sample()][:30]


def test_the_client_paces_by_the_servers_count_and_says_what_it_waits_for(
    meetings: list[dict[str, Any]], committees: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    time = FakeTime()
    caplog.set_level(logging.WARNING, logger="adapters.hearings.api")
    api = FakeCongressApi(meetings, committees, key=KEY, stamp=time.clock)
    window = api.limit_rate(10, 3600.0, spent=4)  # another program spent 4 of the hour's 10
    clock = {"sleep": time.sleep, "clock": time.clock}
    with CongressClient(KEY, IN_PROCESS_URL, transport=api.transport(), **clock, max_rate_wait=4 * 3600) as client:
        records = list(client.iter_meetings(119))
    assert len(records) == len(meetings) and all(r.error is None for r in records)
    assert window.rejected == 0  # the count the server sent was never exceeded
    assert window.admitted == 1 + len(meetings)  # one list page and the details
    assert sum(time.sleeps) <= 3 * 3601  # three windows (with their margin) for 31 requests at 10 an hour
    waits = [r.getMessage() for r in caplog.records if r.getMessage().startswith("rate limit: waiting")]
    assert waits and all(" UTC, for the Congress.gov API's request window (10 requests per 3600 s" in w for w in waits)
    assert "X-RateLimit-Remaining 0" in waits[0] and "of API_MAX_WAIT_SECONDS left" in waits[0]


def test_the_client_stops_when_the_window_is_further_away_than_its_budget(
    meetings: list[dict[str, Any]], committees: list[dict[str, Any]]
) -> None:
    time = FakeTime()
    api = FakeCongressApi(meetings, committees, key=KEY, stamp=time.clock)
    window = api.limit_rate(5, 3600.0, headers=False, spent=5)  # used up, and no count in the headers
    clock = {"sleep": time.sleep, "clock": time.clock}
    with (
        CongressClient(KEY, IN_PROCESS_URL, transport=api.transport(), **clock, max_rate_wait=60.0) as client,
        pytest.raises(ApiRateLimited) as over,
    ):
        list(client.iter_meetings(119))
    text = str(over.value)
    assert "HTTP 429 Too Many Requests: You have exceeded your rate limit" in text
    assert "beyond API_MAX_WAIT_SECONDS=60" in text and "run again after" in text and " UTC" in text
    assert time.sleeps == [] and window.rejected == 1  # it did not wait a budget it could not finish in
