"""One Congress.gov request: the key header, the rate limiter, the retries, the JSON body.

The key travels only in the ``X-Api-Key`` header (api.data.gov accepts it there), so it is
never part of a URL; every message and log record built here is redacted as well. Requests
always go to ``base_url``, and redirects are not followed (the key header would go with
them). A 429 is not retried like a 5xx: it waits for the rate-limit window (or its
``Retry-After``, capped at the policy's ``retry_after_cap``) and asks again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from functools import partial
from typing import Any

import httpx
import tenacity

from .endpoints import DEFAULT_BASE_URL, SIGN_UP_URL
from .errors import ApiAuthError, ApiRateLimited, ApiResponseError, ApiUnavailable
from .jsontext import JsonTextError, decode_json
from .ratelimit import (
    HOURLY_REQUESTS,
    RATE_WINDOW_SECONDS,
    RateLimiter,
    RateLimitWaitExceeded,
    over_budget_line,
    waiting_line,
)
from .redact import RedactingFilter, Redactor
from .retry import HttpRetry, TransientError, parse_retry_after

__all__ = ["DEFAULT_BASE_URL", "SIGN_UP_URL", "ApiTransport"]

logger = logging.getLogger("adapters.hearings.api")


class _ApiKeyAuth(httpx.Auth):
    """Adds the ``X-Api-Key`` header to each request; its repr never shows the key."""

    def __init__(self, key: str) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["X-Api-Key"] = self._key
        yield request

    def __repr__(self) -> str:
        return "_ApiKeyAuth(<redacted>)"


class ApiTransport:
    """GETs JSON from the API: one request with its rate limit and retries, errors worded
    for the operator and redacted. :meth:`get_json` is the one way in."""

    def __init__(
        self,
        api_key: str | None,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float | httpx.Timeout = 30.0,
        max_requests_per_hour: int = HOURLY_REQUESTS,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
        retry: HttpRetry | None = None,
        rate_window: float = RATE_WINDOW_SECONDS,
        max_rate_wait: float | None = None,
    ) -> None:
        key = _checked_key(api_key)
        self.redact = Redactor(key)
        self.base_url = _checked_base_url(base_url, self.redact)
        self._sleep = sleep
        self._retry = retry or HttpRetry()
        self.limiter = RateLimiter(
            max_requests_per_hour, rate_window, clock=clock, sleep=sleep, max_wait=max_rate_wait, on_wait=self._say_wait
        )
        self._answered = 0  # responses received: a 403 on the very first one is the key's fault
        self._last_429 = ""  # what the last 429 said, for the message when waiting is over budget
        self._http = httpx.Client(
            base_url=self.base_url + "/",
            auth=_ApiKeyAuth(key),
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "sqlbatch-hearings/0.1"},
        )
        self._log_filter = RedactingFilter(self.redact)
        logger.addFilter(self._log_filter)

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()
        logger.removeFilter(self._log_filter)

    def get_json(self, path: str, params: dict[str, str], *, item: bool = False) -> Any:
        """The decoded body of ``GET path``; ``item=True``: a 403 for this one resource is
        answered (the caller quarantines it) once the key has been seen to work."""
        response = self._send(path, params, item)
        status = response.status_code
        if status != 200:
            hint = ""
            if 300 <= status < 400:
                hint = " (redirects are not followed; check CONGRESS_API_BASE_URL)"
            raise ApiResponseError(
                f"GET {path}: HTTP {status} {response.reason_phrase}{self._server_says(response)}{hint}",
                path=path,
                status_code=status,
            )
        try:
            return decode_json(response.content, strip_bom=True)
        except JsonTextError as exc:
            raise ApiResponseError(
                f"GET {path}: {self._not_json(response, exc)}", path=path, status_code=status
            ) from None

    def _send(self, path: str, params: dict[str, str], item: bool = False) -> httpx.Response:
        """One request with its retries; a 429 waits for the rate-limit window, then asks again."""
        while True:
            try:
                return self._send_retried(path, params, item)
            except _RateLimited as limited:
                self._last_429 = limited.reason
                self.limiter.exhausted(limited.retry_after)  # the next acquire waits for the window
            except RateLimitWaitExceeded as over:
                raise ApiRateLimited(self._over_budget(path, over), path=path, status_code=429) from None

    def _send_retried(self, path: str, params: dict[str, str], item: bool) -> httpx.Response:
        retrying = self._retry.retrying(sleep=self._sleep, before_sleep=partial(self._log_retry, path))
        try:
            for attempt in retrying:
                with attempt:
                    return self._attempt(path, params, item)
        except tenacity.RetryError as exc:
            last = exc.last_attempt
            error = last.exception()
            reason = getattr(error, "reason", None) or self.redact(str(error))
            waited = float(retrying.statistics.get("idle_for", 0.0))
            raise ApiUnavailable(
                f"the Congress.gov API is unavailable: GET {path} failed "
                f"{last.attempt_number} time(s) over {waited:.1f} s of waiting; last error: "
                f"{reason}. Committed batches stay; run again later to resume.",
                path=path,
                status_code=getattr(error, "status_code", None),
                reason=f"GET {path} failed {last.attempt_number} time(s), last: {reason}",
            ) from error
        raise AssertionError("unreachable: tenacity ended without a result")  # pragma: no cover

    def _attempt(self, path: str, params: dict[str, str], item: bool = False) -> httpx.Response:
        self.limiter.acquire()
        try:
            response = self._http.get(path.lstrip("/"), params=params)
        except httpx.TimeoutException as exc:
            raise TransientError(f"timed out ({type(exc).__name__})") from exc
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise TransientError(f"{type(exc).__name__}: {self.redact(str(exc))}") from exc
        status = response.status_code
        logger.debug("GET %s offset=%s -> HTTP %d", path, params.get("offset", "-"), status)
        self._answered += 1
        headers = response.headers
        self.limiter.observe(_header_int(headers, "X-RateLimit-Limit"), _header_int(headers, "X-RateLimit-Remaining"))
        if status == 429:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            if retry_after is not None:
                retry_after = min(retry_after, self._retry.retry_after_cap)
            asked = f" (Retry-After {retry_after:g} s)" if retry_after is not None else ""
            raise _RateLimited(f"HTTP 429 {response.reason_phrase}{self._server_says(response)}{asked}", retry_after)
        if status == 403 and item and self._answered > 1 and not _names_the_key(response):
            return response  # forbidden for this one meeting, the key works: the caller quarantines it
        if status in (401, 403):
            raise ApiAuthError(
                f"the Congress.gov API refused the key (GET {path}: HTTP {status} "
                f"{response.reason_phrase}{self._server_says(response)}); set "
                f"CONGRESS_API_KEY to a valid key (sign up at {SIGN_UP_URL})",
                path=path,
                status_code=status,
            )
        if status == 408 or status >= 500:
            retry_after = parse_retry_after(response.headers.get("Retry-After"))
            asked = f" (Retry-After {retry_after:g} s)" if retry_after is not None else ""
            raise TransientError(
                f"HTTP {status} {response.reason_phrase}{self._server_says(response)}{asked}",
                status_code=status,
                retry_after=retry_after,
            )
        return response

    def _say_wait(self, seconds: float, reason: str) -> None:
        line = waiting_line(self.limiter, seconds, reason)
        if line:
            logger.warning("%s", line)

    def _over_budget(self, path: str, over: RateLimitWaitExceeded) -> str:
        return over_budget_line(over, f"GET {path}: {self._last_429}" if self._last_429 else "")

    def _log_retry(self, path: str, state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        reason = getattr(error, "reason", None) or self.redact(str(error))
        logger.warning(
            "GET %s failed (%s); attempt %d of %d, retrying in %.2f s",
            path,
            reason,
            state.attempt_number,
            self._retry.max_attempts,
            getattr(state, "upcoming_sleep", 0.0),
        )

    def _server_says(self, response: httpx.Response) -> str:
        """``": <the server's error text>"``, short and redacted, or ``""``."""
        text = ""
        try:
            body = decode_json(response.content)
        except JsonTextError:
            body = None
            if not _looks_like_html(response):
                text = response.content[:200].decode("utf-8", "replace")
        if isinstance(body, dict):
            error = body.get("error", body.get("message"))
            if isinstance(error, dict):
                error = error.get("message") or error.get("code")
            if error is not None:
                text = str(error)
        text = " ".join(text.split())
        if not text:
            return ""
        return ": " + self.redact(text[:200])

    def _not_json(self, response: httpx.Response, exc: JsonTextError) -> str:
        content_type = response.headers.get("Content-Type", "no Content-Type")
        if _looks_like_html(response):
            return f"got an HTML page instead of JSON (HTTP {response.status_code}, {content_type})"
        return f"{exc} (HTTP {response.status_code}, {content_type})"


# -- pure helpers ------------------------------------------------------------------------


class _RateLimited(Exception):
    """A 429: not retried like a transient error, waited out in the rate-limit window."""

    def __init__(self, reason: str, retry_after: float | None) -> None:
        super().__init__(reason)
        self.reason, self.retry_after = reason, retry_after


def _header_int(headers: httpx.Headers, name: str) -> int | None:
    text = headers.get(name, "").strip()
    return int(text) if text.isdigit() else None


def _names_the_key(response: httpx.Response) -> bool:
    """Whether a 403 says the key is at fault (api.data.gov: ``API_KEY_INVALID``, ``_MISSING``...)."""
    return b"API_KEY" in response.content[:2000].upper()


def _checked_key(api_key: str | None) -> str:
    key = (api_key or "").strip()
    if not key:
        raise ApiAuthError(f"no Congress.gov API key: set CONGRESS_API_KEY (get a key at {SIGN_UP_URL})")
    if not key.isascii() or not key.isprintable() or any(ch.isspace() for ch in key):
        raise ApiAuthError(
            "CONGRESS_API_KEY is not a valid key (it must be printable ASCII without spaces); "
            f"set it to the key you got at {SIGN_UP_URL}"
        )
    return key


def _checked_base_url(base_url: str, redact: Redactor) -> str:
    url = httpx.URL(str(base_url).strip())
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"CONGRESS_API_BASE_URL: {redact(str(base_url))!r} is not an http(s) URL")
    return str(url.copy_with(query=None, fragment=None)).rstrip("/")


def _looks_like_html(response: httpx.Response) -> bool:
    if "html" in response.headers.get("Content-Type", "").lower():
        return True
    return response.content.lstrip()[:1] == b"<"
