"""Congress.gov API client (sync httpx): committee meetings and committees of a Congress.

Endpoints used (https://api.congress.gov, LibraryOfCongress/api.congress.gov docs):

* ``GET /committee-meeting/{congress}[/{chamber}]`` list, ``fromDateTime``/``toDateTime``
  filter on the *update* date (``YYYY-MM-DDTHH:MM:SSZ``), ``offset``/``limit`` (max 250),
  body ``{"committeeMeetings": [{eventId, chamber, congress, updateDate, url}], "pagination":
  {"count", "next"}}``;
* ``GET /committee-meeting/{congress}/{chamber}/{eventId}`` detail, body
  ``{"committeeMeeting": {...}, "request": {...}}``;
* ``GET /committee/{congress}`` list, body ``{"committees": [{systemCode, name, chamber,
  committeeTypeCode, parent: {systemCode, name, url}, subcommittees, url}]}``.

The key travels only in the ``X-Api-Key`` header (api.data.gov accepts it there), so it is
never part of a URL; every message and log record built here is redacted as well. Every
request goes through the rate limiter and the retry policy. ``pagination.next`` is read
for its ``offset`` only: requests always go to ``base_url`` (a mirror or test server is
never left for the host written in ``next``), and redirects are not followed (the key
header would go with them).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Collection, Iterable, Iterator
from datetime import date, datetime
from functools import partial
from typing import Any
from urllib.parse import quote

import httpx
import tenacity

from .details import detail_records
from .errors import ApiAuthError, ApiRateLimited, ApiResponseError, ApiUnavailable
from .jsontext import JsonTextError, decode_json
from .payloads import (
    CHAMBERS,
    committee_detail_is_current,
    committee_row,
    item_event_id,
    listing_order,
    next_offset,
    shape,
    subcommittee_rows,
    updated,
)
from .ratelimit import RateLimiter, RateLimitWaitExceeded, over_budget_line, waiting_line
from .record import RawRecord
from .redact import RedactingFilter, Redactor
from .retry import RetryPolicy, TransientError, parse_retry_after
from .timestamps import api_timestamp

__all__ = ["CHAMBERS", "DEFAULT_BASE_URL", "MAX_PAGE_SIZE", "CongressClient"]

logger = logging.getLogger("adapters.hearings.api")

DEFAULT_BASE_URL = "https://api.congress.gov/v3"
MAX_PAGE_SIZE = 250
_MAX_PAGES = 10_000
_LISTING_PASSES = 3  # reads of the list while its pages shift (see ``_listing``)
_SIGN_UP = "https://api.congress.gov/sign-up/"

Timestamp = str | date | datetime


class _ApiKeyAuth(httpx.Auth):
    """Adds the ``X-Api-Key`` header to each request; its repr never shows the key."""

    def __init__(self, key: str) -> None:
        self._key = key

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        request.headers["X-Api-Key"] = self._key
        yield request

    def __repr__(self) -> str:
        return "_ApiKeyAuth(<redacted>)"


class CongressClient:
    """Reads committee meetings and committees from the Congress.gov API.

    ``sleep`` and ``clock`` drive the rate limiter and the retry waits (inject fakes in
    tests); ``transport`` is handed to ``httpx.Client``; ``retry`` is a :class:`RetryPolicy`.
    ``rate_window`` is the rolling window the key's limit is counted over (an hour) and
    ``max_rate_wait`` the total seconds the client may wait for it (``None``: no bound; the
    command line passes ``API_MAX_WAIT_SECONDS``); beyond it :class:`ApiRateLimited` ends the
    run. A 429 is not retried like a 5xx: it waits for the window (or its ``Retry-After``,
    capped at the policy's ``retry_after_cap``) and asks again.
    Raises :class:`ApiAuthError` at once when the key is missing or malformed. Use it as a
    context manager, or call :meth:`close`.
    """

    def __init__(
        self,
        api_key: str | None,
        base_url: str = DEFAULT_BASE_URL,
        *,
        timeout: float | httpx.Timeout = 30.0,
        max_requests_per_hour: int = 5000,
        sleep: Callable[[float], object] = time.sleep,
        clock: Callable[[], float] = time.monotonic,
        transport: httpx.BaseTransport | None = None,
        retry: RetryPolicy | None = None,
        page_size: int = MAX_PAGE_SIZE,
        rate_window: float = 3600.0,
        max_rate_wait: float | None = None,
    ) -> None:
        key = _checked_key(api_key)
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        self._redact = Redactor(key)
        self._base_url = _checked_base_url(base_url, self._redact)
        self._sleep = sleep
        self._retry = retry or RetryPolicy()
        self._page_size = page_size
        self._limiter = RateLimiter(
            max_requests_per_hour, rate_window, clock=clock, sleep=sleep, max_wait=max_rate_wait, on_wait=self._say_wait
        )
        self._answered = 0  # responses received: a 403 on the very first one is the key's fault
        self._last_429 = ""  # what the last 429 said, for the message when waiting is over budget
        self._http = httpx.Client(
            base_url=self._base_url + "/",
            auth=_ApiKeyAuth(key),
            timeout=timeout,
            transport=transport,
            follow_redirects=False,
            headers={"Accept": "application/json", "User-Agent": "sqlbatch-hearings/0.1"},
        )
        self._log_filter = RedactingFilter(self._redact)
        logger.addFilter(self._log_filter)

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP connections."""
        self._http.close()
        logger.removeFilter(self._log_filter)

    def __enter__(self) -> CongressClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"CongressClient(base_url={self._base_url!r}, api_key=<redacted>, "
            f"max_requests_per_hour={self._limiter.max_requests})"
        )

    # -- committee meetings ------------------------------------------------------------------

    def iter_meetings(
        self,
        congress: int,
        since: Timestamp | None = None,
        until: Timestamp | None = None,
        *,
        chamber: str | None = None,
        refetch: Iterable[dict[str, Any]] = (),
    ) -> Iterator[RawRecord]:
        """Detail records of the meetings of ``congress`` updated in ``[since, until]``.

        The list is read first (all pages, de-duplicated by ``eventId``, ordered by
        ``updateDate`` then ``eventId`` so a cursor on ``updateDate`` resumes exactly), then
        each detail is fetched and yielded unwrapped, ``position`` = 1-based index. A detail
        that fails for good (404, invalid JSON, an HTML page, a wrong-shaped body) yields
        ``RawRecord(n, {"eventId": id}, error=...)``: it is quarantined, not lost. A detail
        the API will not serve (5xx after the retries, a 403 that is not about the key, a 404)
        yields a record with ``rule="fetch"``, the HTTP status in ``error`` and the list item
        (``eventId``, ``chamber``, ``congress``) as payload. ``refetch`` are such items of
        earlier runs: each is fetched again by id after the listed ones (unless listed).
        Arguments are checked at once (``ValueError``); :class:`ApiUnavailable` or
        :class:`ApiAuthError` end the iteration when the API cannot be used at all, and so
        do a few detail failures in a row (the API is down, not one meeting: see ``details``).
        """
        params = self._window(since, until)
        path = _meetings_path(congress, chamber)
        return self._meeting_records(congress, path, params, list(refetch))

    def list_meetings(
        self,
        congress: int,
        since: Timestamp | None = None,
        until: Timestamp | None = None,
        *,
        chamber: str | None = None,
    ) -> list[dict[str, Any]]:
        """The list items (``eventId, chamber, congress, updateDate, url``), de-duplicated and
        ordered as :meth:`iter_meetings` fetches them; items without ``eventId`` come last."""
        return self._listing(_meetings_path(congress, chamber), self._window(since, until))

    def get_meeting(self, congress: int, chamber: str, event_id: str) -> dict[str, Any]:
        """One meeting's detail, unwrapped; :class:`ApiResponseError` when it is not usable."""
        path = f"/committee-meeting/{_congress(congress)}/{_chamber(chamber)}/{quote(str(event_id).strip(), safe='')}"
        body = self._get_json(path, {"format": "json"}, item=True)
        meeting = body.get("committeeMeeting") if isinstance(body, dict) else None
        if not isinstance(meeting, dict):
            raise ApiResponseError(
                f"GET {path}: wrong-shaped response: expected an object with a "
                f"'committeeMeeting' object, got {shape(body)}",
                path=path,
                status_code=200,
            )
        got = meeting.get("eventId")
        if got is None or str(got).strip() != str(event_id).strip():
            raise ApiResponseError(
                f"GET {path}: wrong-shaped response: its eventId is {self._redact(repr(got))}, not {str(event_id)!r}",
                path=path,
                status_code=200,
            )
        return meeting

    # -- committees --------------------------------------------------------------------------

    def iter_committees(
        self, congress: int, *, details: bool = False, known: Collection[str] = ()
    ) -> Iterator[dict[str, Any]]:
        """Committees and subcommittees of ``congress``, shaped like ``committees.json``:
        ``{systemCode, name, chamber, committeeTypeCode, parent, url, isCurrent}`` with
        ``parent`` the parent's ``systemCode`` (or ``None``). Subcommittees only named in a
        parent's ``subcommittees`` list are yielded too (type ``Subcommittee``, parent's
        chamber). ``isCurrent`` is documented for the committee detail only: with
        ``details=True`` each committee whose list item lacks it is asked for it
        (``GET /committee/{chamber}/{systemCode}``, one request each); a detail that cannot be
        read leaves it ``None`` (the stored flag is kept). Committees in ``known`` (stored for
        this Congress already) are not asked again: a daily run spends no request on them."""
        path = f"/committee/{_congress(congress)}"
        rows = self._committees(path)
        if not details:
            return rows
        return (row if row["systemCode"] in known else self._with_is_current(row) for row in rows)

    def committee_is_current(self, chamber: str, system_code: str) -> bool | None:
        """``isCurrent`` of one committee's detail; ``None`` when the API does not say."""
        path = f"/committee/{_chamber(chamber)}/{quote(system_code.strip(), safe='')}"
        return committee_detail_is_current(self._get_json(path, {"format": "json"}))

    def _with_is_current(self, row: dict[str, Any]) -> dict[str, Any]:
        if row.get("isCurrent") is not None or not row.get("chamber"):
            return row
        try:
            return {**row, "isCurrent": self.committee_is_current(str(row["chamber"]), row["systemCode"])}
        except (ApiResponseError, ValueError) as exc:
            logger.debug("committee %s: isCurrent not read: %s", row["systemCode"], exc)
            return row

    # -- internals: listings -----------------------------------------------------------------

    def _window(self, since: Timestamp | None, until: Timestamp | None) -> dict[str, str]:
        params: dict[str, str] = {}
        if since is not None:
            params["fromDateTime"] = api_timestamp(since, name="since")
        if until is not None:
            params["toDateTime"] = api_timestamp(until, name="until")
        return params

    def _meeting_records(
        self, congress: int, path: str, params: dict[str, str], refetch: list[dict[str, Any]]
    ) -> Iterator[RawRecord]:
        items = self._listing(path, params)
        listed = {item_event_id(item) for item in items}
        again = [item for item in refetch if item_event_id(item) not in listed]
        if again:
            logger.info("fetching %d meeting(s) again by id that earlier runs could not fetch", len(again))
        yield from detail_records(self.get_meeting, path, congress, items + again)

    def _listing(self, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
        """Every list item, read again (up to ``_LISTING_PASSES`` passes) while the pages shift.

        A meeting updated while the list is read moves, and the pages after it shift: one
        page repeats items and another item is never served. A missed meeting would stay
        missed, since the next run starts at this run's cursor, so the list is read again
        and the passes are merged (the newest ``updateDate`` of each ``eventId`` wins).
        """
        unique: dict[str, dict[str, Any]] = {}
        without_id: list[dict[str, Any]] = []
        for attempt in range(1, _LISTING_PASSES + 1):
            without_id, shifted_at = self._listing_pass(path, params, unique)
            if shifted_at is None:
                break
            then = (
                f"reading the list again (pass {attempt + 1} of {_LISTING_PASSES})"
                if attempt < _LISTING_PASSES
                else f"still in pass {attempt}: meetings the API did not list are missing from this run;"
                " run again with --since before this run's cursor"
            )
            logger.warning(
                "GET %s offset %d repeated meetings already listed (the pagination shifted): %s", path, shifted_at, then
            )
        ordered = sorted(unique.values(), key=listing_order)
        logger.info("GET %s: %d meetings listed", path, len(ordered) + len(without_id))
        return ordered + without_id

    def _listing_pass(
        self, path: str, params: dict[str, str], unique: dict[str, dict[str, Any]]
    ) -> tuple[list[dict[str, Any]], int | None]:
        """One read of every page into ``unique``; the items without eventId, and the first
        offset whose page repeated an item of an earlier page (None when no page did)."""
        first_offset: dict[str, int] = {}  # eventId -> offset of the page that listed it first
        without_id: list[dict[str, Any]] = []
        shifted_at: int | None = None
        duplicates = 0
        for offset, page in self._pages(path, params, "committeeMeetings"):
            for item in page:
                if not isinstance(item, dict):
                    logger.warning("GET %s offset %d: skipped a list item that is %s", path, offset, shape(item))
                    continue
                event_id = item_event_id(item)
                if event_id is None:
                    without_id.append(item)
                    continue
                known = unique.get(event_id)
                if known is None or updated(item) > updated(known):
                    unique[event_id] = item
                if event_id not in first_offset:
                    first_offset[event_id] = offset
                    continue
                duplicates += 1
                if first_offset[event_id] != offset and shifted_at is None:
                    shifted_at = offset  # an item of an earlier page again: the pages moved
        if duplicates:
            logger.info("GET %s: dropped %d duplicate list items", path, duplicates)
        return without_id, shifted_at

    def _committees(self, path: str) -> Iterator[dict[str, Any]]:
        seen: set[str] = set()
        mentioned: dict[str, dict[str, Any]] = {}
        for offset, page in self._pages(path, {}, "committees"):
            for item in page:
                committee = committee_row(item)
                if committee is None:
                    logger.warning("GET %s offset %d: skipped a committee without systemCode", path, offset)
                    continue
                for sub in subcommittee_rows(item, committee):
                    mentioned.setdefault(sub["systemCode"], sub)
                if committee["systemCode"] in seen:
                    continue
                seen.add(committee["systemCode"])
                yield committee
        for code, sub in mentioned.items():
            if code not in seen:
                seen.add(code)
                yield sub

    def _pages(self, path: str, params: dict[str, str], items_key: str) -> Iterator[tuple[int, list[Any]]]:
        """``(offset, items)`` of each page, following ``pagination.next`` by its offset."""
        offset = 0
        for _ in range(_MAX_PAGES):
            query = {"format": "json", "limit": str(self._page_size), "offset": str(offset), **params}
            body = self._get_json(path, query)
            items = body.get(items_key) if isinstance(body, dict) else None
            if not isinstance(items, list):
                raise ApiResponseError(
                    f"GET {path} (offset {offset}): wrong-shaped response: expected an object "
                    f"with a {items_key!r} list, got {shape(body)}",
                    path=path,
                    status_code=200,
                )
            yield offset, items
            following = next_offset(body.get("pagination"), offset, len(items))
            if following is None:
                return
            offset = following
        raise ApiResponseError(f"GET {path}: pagination did not end after {_MAX_PAGES} pages", path=path)

    # -- internals: one request --------------------------------------------------------------

    def _get_json(self, path: str, params: dict[str, str], *, item: bool = False) -> Any:
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
                self._limiter.exhausted(limited.retry_after)  # the next acquire waits for the window
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
            reason = getattr(error, "reason", None) or self._redact(str(error))
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
        self._limiter.acquire()
        try:
            response = self._http.get(path.lstrip("/"), params=params)
        except httpx.TimeoutException as exc:
            raise TransientError(f"timed out ({type(exc).__name__})") from exc
        except (httpx.TransportError, httpx.DecodingError) as exc:
            raise TransientError(f"{type(exc).__name__}: {self._redact(str(exc))}") from exc
        status = response.status_code
        logger.debug("GET %s offset=%s -> HTTP %d", path, params.get("offset", "-"), status)
        self._answered += 1
        headers = response.headers
        self._limiter.observe(_header_int(headers, "X-RateLimit-Limit"), _header_int(headers, "X-RateLimit-Remaining"))
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
                f"CONGRESS_API_KEY to a valid key (sign up at {_SIGN_UP})",
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
        line = waiting_line(self._limiter, seconds, reason)
        if line:
            logger.warning("%s", line)

    def _over_budget(self, path: str, over: RateLimitWaitExceeded) -> str:
        return over_budget_line(over, f"GET {path}: {self._last_429}" if self._last_429 else "")

    def _log_retry(self, path: str, state: tenacity.RetryCallState) -> None:
        error = state.outcome.exception() if state.outcome else None
        reason = getattr(error, "reason", None) or self._redact(str(error))
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
        return ": " + self._redact(text[:200])

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
        raise ApiAuthError(f"no Congress.gov API key: set CONGRESS_API_KEY (get a key at {_SIGN_UP})")
    if not key.isascii() or not key.isprintable() or any(ch.isspace() for ch in key):
        raise ApiAuthError(
            "CONGRESS_API_KEY is not a valid key (it must be printable ASCII without spaces); "
            f"set it to the key you got at {_SIGN_UP}"
        )
    return key


def _checked_base_url(base_url: str, redact: Redactor) -> str:
    url = httpx.URL(str(base_url).strip())
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError(f"CONGRESS_API_BASE_URL: {redact(str(base_url))!r} is not an http(s) URL")
    return str(url.copy_with(query=None, fragment=None)).rstrip("/")


def _congress(congress: object) -> int:
    if isinstance(congress, bool):
        raise ValueError(f"congress: {congress!r} is not a Congress number")
    try:
        number = int(str(congress).strip())
    except (TypeError, ValueError):
        raise ValueError(f"congress: {congress!r} is not a Congress number") from None
    if number < 1:
        raise ValueError(f"congress: {congress!r} is not a Congress number")
    return number


def _chamber(chamber: str) -> str:
    name = str(chamber).strip().lower()
    if name not in CHAMBERS:
        raise ValueError(f"chamber: {chamber!r} is not one of {', '.join(CHAMBERS)}")
    return name


def _meetings_path(congress: int, chamber: str | None) -> str:
    path = f"/committee-meeting/{_congress(congress)}"
    return f"{path}/{_chamber(chamber)}" if chamber is not None else path


def _looks_like_html(response: httpx.Response) -> bool:
    if "html" in response.headers.get("Content-Type", "").lower():
        return True
    return response.content.lstrip()[:1] == b"<"
