"""A fake Congress.gov API: one routing core, served in process or by a real local HTTP server.

It answers from the bundled real meetings and committees in the recorded shapes
(:mod:`tests.support.api_shapes`), checks the ``X-Api-Key`` header like api.data.gov,
records every request, and can be scripted to misbehave (status codes, HTML pages, a rate
window...; :mod:`tests.support.api_replies`). The same :meth:`FakeCongressApi.respond`
answers both ways:

- in process, no socket: ``CongressClient(key, IN_PROCESS_URL, transport=api.transport())``
  (an ``httpx.MockTransport``), for the shape and status tests;
- over a socket: ``with FakeCongressApi(...) as api`` serves ``api.base_url``
  (:mod:`tests.support.api_server`), for delayed and truncated replies and for the CLI
  running as its own process.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from typing import Any
from urllib.parse import parse_qs, urlsplit

import httpx

from .api_replies import (
    API_KEY_INVALID,
    API_KEY_MISSING,
    OVER_RATE_LIMIT,
    RateWindow,
    Reply,
    html,
    json_reply,
    raw,
    slow,
    status,
    truncated,
)
from .api_server import LocalServer
from .api_shapes import committee_page, listed_meetings, meeting_detail, meeting_page, page_window

__all__ = [
    "IN_PROCESS_URL",
    "FakeCongressApi",
    "RateWindow",
    "Reply",
    "Seen",
    "html",
    "raw",
    "slow",
    "status",
    "truncated",
]

IN_PROCESS_URL = "http://congress.test/v3"  # any host: the MockTransport answers every request


@dataclass(frozen=True)
class Seen:
    """A request as the fake received it."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw_target: str
    stamp: float


class FakeCongressApi:
    """Serve ``meetings`` (inner detail objects) and ``committees`` (committees.json rows).

    ``key`` is the only API key accepted. ``stamp`` is called for each request (tests pass
    a fake clock to see when requests happened). :meth:`transport` answers in process; as a
    context manager it also serves on a local port (:attr:`base_url`).
    """

    def __init__(
        self,
        meetings: Iterable[dict[str, Any]] = (),
        committees: Iterable[dict[str, Any]] = (),
        *,
        key: str = "test-key-123",
        stamp: Callable[[], float] = time.monotonic,
    ) -> None:
        self.meetings = list(meetings)
        self.committees = list(committees)
        self.key = key
        self.stamp = stamp
        self.requests: list[Seen] = []
        self.repeat_offsets: dict[int, int] = {}  # offset asked -> offset served
        self.repeat_budget: int | None = None  # how many repeats are served (None: every time)
        self.rate: RateWindow | None = None  # a rolling request limit, like api.data.gov's (see ``limit_rate``)
        self._faults: dict[tuple[str, int | None], deque[list[Any]]] = {}
        self._lock = threading.Lock()  # the local server answers from several threads
        self._server: LocalServer | None = None

    # -- the two ways in ------------------------------------------------------------------

    def transport(self) -> httpx.MockTransport:
        """An in-process transport answering like the server (no delays, no truncation)."""

        def handle(request: httpx.Request) -> httpx.Response:
            headers = {name.lower(): value for name, value in request.headers.items()}
            reply = self.respond(request.url.raw_path.decode("ascii"), headers)
            if reply.delay or reply.truncate is not None:
                raise RuntimeError("a delayed or truncated reply needs the real server: `with FakeCongressApi(...)`")
            return httpx.Response(reply.status, headers=reply.headers, content=reply.body or b"")

        return httpx.MockTransport(handle)

    def __enter__(self) -> FakeCongressApi:
        self._server = LocalServer(self.respond)
        self._server.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        if self._server is not None:
            self._server.stop()
            self._server = None

    @property
    def base_url(self) -> str:
        """The local server's API root (only while serving, inside ``with``)."""
        if self._server is None:
            raise RuntimeError("FakeCongressApi is not serving: use `with` for a URL, or transport= in process")
        return self._server.url + "/v3"

    # -- scripting ------------------------------------------------------------------------

    def fail(self, path: str, *replies: Reply, offset: int | None = None, forever: bool = False) -> None:
        """Answer the next requests to ``path`` (API path, e.g. ``/committee-meeting/119``;
        ``offset`` narrows to one list page) with ``replies`` in order; ``forever`` repeats
        the last one for good."""
        with self._lock:
            queue = self._faults.setdefault((path, offset), deque())
            for index, reply in enumerate(replies):
                last = index == len(replies) - 1
                queue.append([reply, forever and last])

    def limit_rate(self, limit: int, window: float, *, headers: bool = True, spent: int = 0) -> RateWindow:
        """Count requests like api.data.gov: ``limit`` per rolling ``window`` s (``spent`` used already)."""
        self.rate = RateWindow(limit, window, headers)
        self.rate.spend(spent, self.stamp())
        return self.rate

    def clear_faults(self) -> None:
        """The server is fixed: every scripted fault is forgotten."""
        with self._lock:
            self._faults.clear()

    def requests_to(self, path: str) -> list[Seen]:
        return [seen for seen in self.requests if seen.path == path]

    def _next_fault(self, path: str, offset: int | None) -> Reply | None:
        with self._lock:
            for key in ((path, offset), (path, None)):
                queue = self._faults.get(key)
                if queue:
                    reply, sticky = queue[0]
                    if not sticky:
                        queue.popleft()
                    return reply
        return None

    # -- the routing core -----------------------------------------------------------------

    def respond(self, target: str, headers: dict[str, str]) -> Reply:
        """The reply to ``GET target`` (the raw request target) with lower-cased ``headers``."""
        parts = urlsplit(target)
        path = parts.path.removeprefix("/v3")
        query = {name: values[-1] for name, values in parse_qs(parts.query).items()}
        self.requests.append(Seen(path, query, headers, target, self.stamp()))
        counted: dict[str, str] = {}
        if self.rate is not None:
            with self._lock:
                admitted, counted = self.rate.admit(self.stamp())
            if not admitted:
                return json_reply(429, OVER_RATE_LIMIT, counted)
        offset = int(query["offset"]) if query.get("offset", "").isdigit() else None
        fault = self._next_fault(path, offset)
        if fault is not None and fault.body is not None:
            return replace(fault, headers={**fault.headers, **counted})
        code, body = self._authorised_answer(headers, path, query)
        normal = json_reply(code, body, counted)
        return normal if fault is None else replace(normal, delay=fault.delay, truncate=fault.truncate)

    def _authorised_answer(self, headers: dict[str, str], path: str, query: dict[str, str]) -> tuple[int, Any]:
        given = headers.get("x-api-key") or query.get("api_key")
        if not given:
            return 403, API_KEY_MISSING
        if given != self.key:
            return 403, API_KEY_INVALID
        return self.answer(path, query)

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        """The normal answer (status, JSON body) to an authorised request; subclasses add resources."""
        parts = path.strip("/").split("/")
        if parts[:1] == ["committee-meeting"] and len(parts) in (2, 3):
            return 200, self._meeting_list(parts[1:], query)
        if parts[:1] == ["committee-meeting"] and len(parts) == 4:
            return meeting_detail(self.meetings, *parts[1:])
        if parts[:1] == ["committee"] and len(parts) == 2:
            return 200, committee_page(self.committees, query)
        return 404, {"error": f"Unknown resource: {path.strip('/')}", "request": {}}

    def _meeting_list(self, selector: list[str], query: dict[str, str]) -> dict[str, Any]:
        chamber = selector[1] if len(selector) > 1 else None
        chosen = listed_meetings(self.meetings, int(selector[0]), chamber, query)
        offset, limit = page_window(query)
        served = self.repeat_offsets.get(offset, offset)
        if served != offset and self.repeat_budget is not None:
            if self.repeat_budget <= 0:
                served = offset
            else:
                self.repeat_budget -= 1
        return meeting_page(selector, chosen, offset, limit, served)
