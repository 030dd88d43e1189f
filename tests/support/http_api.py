"""A real local HTTP server that answers like the Congress.gov API, for the client tests.

It serves recorded-shape responses built from the bundled real meetings and committees:
list pages (``committeeMeetings`` + ``pagination``), details (``committeeMeeting``) and the
committee list, checks the ``X-Api-Key`` header like api.data.gov, records every request,
and can be scripted to misbehave (status codes, delays, truncated bodies, HTML pages...).
"""

from __future__ import annotations

import json
import threading
import time
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

API_HOST = "https://api.congress.gov/v3"


@dataclass(frozen=True)
class Reply:
    """One scripted answer. ``delay`` sleeps first; ``truncate`` announces the full length
    but sends only the first ``truncate`` bytes and closes the connection; ``body=None``
    means "the normal answer" (useful with ``delay`` or ``truncate``)."""

    status: int = 200
    body: bytes | None = None
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0
    truncate: int | None = None


def status(code: int, body: Any = None, **headers: str) -> Reply:
    data = json.dumps(body).encode() if body is not None else b""
    return Reply(code, data, {"Content-Type": "application/json", **_header_names(headers)})


def html(code: int = 200) -> Reply:
    page = (
        b"<!DOCTYPE html><html><head><title>Service Unavailable</title></head><body><h1>Maintenance</h1></body></html>"
    )
    return Reply(code, page, {"Content-Type": "text/html; charset=utf-8"})


def raw(body: bytes, code: int = 200, content_type: str = "application/json") -> Reply:
    return Reply(code, body, {"Content-Type": content_type})


def slow(seconds: float) -> Reply:
    return Reply(delay=seconds)


def truncated(keep: int = 40) -> Reply:
    return Reply(truncate=keep)


def _header_names(headers: dict[str, str]) -> dict[str, str]:
    return {name.replace("_", "-"): value for name, value in headers.items()}


@dataclass
class RateWindow:
    """api.data.gov's limit: ``limit`` requests per key over a rolling ``window`` (seconds).

    A request over it gets HTTP 429 with ``OVER_RATE_LIMIT`` and no ``Retry-After`` (as the
    real gateway answers); ``headers`` adds ``X-RateLimit-Limit``/``-Remaining`` to every
    answer. Rejected requests do not count. ``spend(n)`` makes ``n`` requests of another
    program with the same key, now.
    """

    limit: int
    window: float
    headers: bool = True
    rejected: int = 0
    admitted: int = 0
    starts: deque[float] = field(default_factory=deque)

    def spend(self, n: int, at: float) -> None:
        self.starts.extend([at] * n)

    def admit(self, now: float) -> tuple[bool, dict[str, str]]:
        while self.starts and self.starts[0] <= now - self.window:
            self.starts.popleft()
        ok = len(self.starts) < self.limit
        if ok:
            self.starts.append(now)
            self.admitted += 1
        else:
            self.rejected += 1
        left = self.limit - len(self.starts)
        shown = {"X-RateLimit-Limit": str(self.limit), "X-RateLimit-Remaining": str(left)} if self.headers else {}
        return ok, shown


OVER_RATE_LIMIT = {
    "error": {
        "code": "OVER_RATE_LIMIT",
        "message": "You have exceeded your rate limit. Try again later or contact us at https://api.data.gov/contact/",
    }
}


@dataclass(frozen=True)
class Seen:
    """A request as the server received it."""

    path: str
    query: dict[str, str]
    headers: dict[str, str]
    raw_target: str
    stamp: float


def _parse_stamp(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


class FakeCongressApi:
    """Serve ``meetings`` (inner detail objects) and ``committees`` (committees.json rows).

    ``key`` is the only API key accepted. ``stamp`` is called for each request (tests pass
    a fake clock to see when requests happened). Use as a context manager.
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
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, kwargs={"poll_interval": 0.02}, daemon=True)

    # -- lifecycle ------------------------------------------------------------------------

    def __enter__(self) -> FakeCongressApi:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    @property
    def base_url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/v3"

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

    # -- normal answers -------------------------------------------------------------------

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if parts[:1] == ["committee-meeting"] and len(parts) in (2, 3):
            return 200, self._meeting_list(parts[1:], query)
        if parts[:1] == ["committee-meeting"] and len(parts) == 4:
            return self._meeting_detail(*parts[1:])
        if parts[:1] == ["committee"] and len(parts) == 2:
            return 200, self._committee_list(query)
        return 404, {"error": f"Unknown resource: {path.strip('/')}", "request": {}}

    def _meeting_list(self, selector: list[str], query: dict[str, str]) -> dict[str, Any]:
        congress = int(selector[0])
        chamber = selector[1] if len(selector) > 1 else None
        since, until = _parse_stamp(query.get("fromDateTime")), _parse_stamp(query.get("toDateTime"))
        chosen = []
        for meeting in self.meetings:
            updated = datetime.fromisoformat(meeting["updateDate"]).astimezone(UTC)
            if meeting["congress"] != congress:
                continue
            if chamber and meeting["chamber"].lower() != chamber:
                continue
            if (since and updated < since) or (until and updated > until):
                continue
            chosen.append(meeting)
        offset, limit = int(query.get("offset", 0)), min(int(query.get("limit", 20)), 250)
        served = self.repeat_offsets.get(offset, offset)
        if served != offset and self.repeat_budget is not None:
            if self.repeat_budget <= 0:
                served = offset
            else:
                self.repeat_budget -= 1
        items = [
            {
                "chamber": meeting["chamber"],
                "congress": meeting["congress"],
                "eventId": meeting["eventId"],
                "updateDate": meeting["updateDate"],
                "url": f"{API_HOST}/committee-meeting/{congress}/"
                f"{meeting['chamber'].lower()}/{meeting['eventId']}?format=json",
            }
            for meeting in chosen[served : served + limit]
        ]
        pagination: dict[str, Any] = {"count": len(chosen)}
        base = f"{API_HOST}/committee-meeting/{'/'.join(selector)}"
        if offset + limit < len(chosen):
            pagination["next"] = f"{base}?offset={offset + limit}&limit={limit}&format=json"
        if offset > 0:
            pagination["prev"] = f"{base}?offset={max(0, offset - limit)}&limit={limit}&format=json"
        return {
            "committeeMeetings": items,
            "pagination": pagination,
            "request": {"congress": str(congress), "contentType": "application/json", "format": "json"},
        }

    def _meeting_detail(self, congress: str, chamber: str, event_id: str) -> tuple[int, Any]:
        for meeting in self.meetings:
            if (
                str(meeting["congress"]) == congress
                and meeting["eventId"] == event_id
                and meeting["chamber"].lower() == chamber
            ):
                return 200, {
                    "committeeMeeting": meeting,
                    "request": {"congress": congress, "chamber": chamber, "eventId": event_id, "format": "json"},
                }
        return 404, {
            "error": f"Unknown resource: committee-meeting/{congress}/{chamber}/{event_id}",
            "request": {"format": "json"},
        }

    def _committee_list(self, query: dict[str, str]) -> dict[str, Any]:
        by_code = {row["systemCode"]: row for row in self.committees}
        items = []
        for row in self.committees:
            item = {key: row[key] for key in ("chamber", "committeeTypeCode", "name", "systemCode", "url")}
            item["updateDate"] = "2025-01-03T12:00:00Z"
            parent = by_code.get(row["parent"]) if row["parent"] else None
            if row["parent"]:
                item["parent"] = {
                    "systemCode": row["parent"],
                    "name": parent["name"] if parent else None,
                    "url": parent["url"] if parent else None,
                }
            items.append(item)
        offset, limit = int(query.get("offset", 0)), min(int(query.get("limit", 20)), 250)
        page = items[offset : offset + limit]
        pagination: dict[str, Any] = {"count": len(items)}
        if offset + limit < len(items):
            pagination["next"] = f"{API_HOST}/committee/119?offset={offset + limit}&limit={limit}"
        return {"committees": page, "pagination": pagination, "request": {"format": "json"}}

    # -- HTTP plumbing --------------------------------------------------------------------

    def _handler_class(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            disable_nagle_algorithm = True  # headers and body go out at once, no 40 ms stalls

            def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
                pass

            def do_GET(self) -> None:  # noqa: N802
                try:
                    api._serve(self)
                except (BrokenPipeError, ConnectionResetError, ConnectionAbortedError):
                    self.close_connection = True

        return Handler

    def _serve(self, handler: BaseHTTPRequestHandler) -> None:
        target = urlsplit(handler.path)
        path = target.path.removeprefix("/v3")
        query = {name: values[-1] for name, values in parse_qs(target.query).items()}
        headers = {name.lower(): value for name, value in handler.headers.items()}
        self.requests.append(Seen(path, query, headers, handler.path, self.stamp()))
        counted: dict[str, str] = {}
        if self.rate is not None:
            with self._lock:
                admitted, counted = self.rate.admit(self.stamp())
            if not admitted:
                body = json.dumps(OVER_RATE_LIMIT).encode()
                self._send(handler, 429, body, {"Content-Type": "application/json", **counted}, None)
                return

        offset = int(query["offset"]) if query.get("offset", "").isdigit() else None
        fault = self._next_fault(path, offset)
        if fault is not None and fault.delay:
            time.sleep(fault.delay)
        if fault is not None and fault.body is not None:
            self._send(handler, fault.status, fault.body, {**fault.headers, **counted}, fault.truncate)
            return
        code, body = self._authorised_answer(headers, path, query)
        data = json.dumps(body).encode()
        truncate = fault.truncate if fault is not None else None
        self._send(handler, code, data, {"Content-Type": "application/json", **counted}, truncate)

    def _authorised_answer(self, headers: dict[str, str], path: str, query: dict[str, str]) -> tuple[int, Any]:
        given = headers.get("x-api-key") or query.get("api_key")
        if not given:
            return 403, {
                "error": {
                    "code": "API_KEY_MISSING",
                    "message": "No api_key was supplied. Get one at https://api.congress.gov/sign-up/",
                }
            }
        if given != self.key:
            return 403, {
                "error": {
                    "code": "API_KEY_INVALID",
                    "message": "An invalid api_key was supplied. Get one at https://api.congress.gov/sign-up/",
                }
            }
        return self.answer(path, query)

    @staticmethod
    def _send(
        handler: BaseHTTPRequestHandler, code: int, body: bytes, headers: dict[str, str], truncate: int | None
    ) -> None:
        handler.send_response(code)
        for name, value in headers.items():
            handler.send_header(name, value)
        handler.send_header("Content-Length", str(len(body)))
        if truncate is not None:
            handler.send_header("Connection", "close")
        handler.end_headers()
        handler.wfile.write(body if truncate is None else body[:truncate])
        handler.wfile.flush()
        if truncate is not None:
            handler.close_connection = True
