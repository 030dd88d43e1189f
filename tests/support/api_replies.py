"""What the fake Congress.gov API answers: scripted replies, the rate window, the gateway's errors.

A :class:`Reply` is one answer, the same whether it goes out through the local HTTP server or
through ``httpx.MockTransport`` (only the server can delay or truncate one: those need a socket).
"""

from __future__ import annotations

import json
from collections import deque
from dataclasses import dataclass, field
from typing import Any

JSON = {"Content-Type": "application/json"}


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
    return Reply(code, data, {**JSON, **_header_names(headers)})


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


def json_reply(code: int, body: Any, headers: dict[str, str] | None = None) -> Reply:
    """``body`` as JSON with ``code``, plus ``headers``."""
    return Reply(code, json.dumps(body).encode(), {**JSON, **(headers or {})})


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
API_KEY_MISSING = {
    "error": {
        "code": "API_KEY_MISSING",
        "message": "No api_key was supplied. Get one at https://api.congress.gov/sign-up/",
    }
}
API_KEY_INVALID = {
    "error": {
        "code": "API_KEY_INVALID",
        "message": "An invalid api_key was supplied. Get one at https://api.congress.gov/sign-up/",
    }
}
