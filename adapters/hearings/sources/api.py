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

The parts: :mod:`.transport` (one request: key header, rate limit, retries), :mod:`.listing`
(pages and the meeting list), :mod:`.committee_list`, :mod:`.details` (a meeting the API
will not serve becomes a quarantined record). This module holds the endpoints' paths and
the client that combines them.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable, Iterator
from datetime import date, datetime
from typing import Any
from urllib.parse import quote

from .committee_list import committee_rows
from .details import detail_records
from .errors import ApiResponseError, wrong_shape
from .listing import MAX_PAGE_SIZE, read_listing
from .payloads import CHAMBERS, committee_detail_is_current, shape
from .record import RawRecord, event_id_of
from .timestamps import api_timestamp
from .transport import DEFAULT_BASE_URL, ApiTransport

__all__ = ["CHAMBERS", "DEFAULT_BASE_URL", "MAX_PAGE_SIZE", "CongressClient"]

logger = logging.getLogger("adapters.hearings.api")

Timestamp = str | date | datetime


class CongressClient:
    """Reads committee meetings and committees from the Congress.gov API.

    ``page_size`` is the list pages' ``limit`` (at most 250). The other keywords are the
    request's, :class:`~.transport.ApiTransport`'s: ``timeout``, ``max_requests_per_hour``,
    ``sleep`` and ``clock`` (drive the rate limiter and the retry waits: inject fakes in
    tests), ``transport`` (handed to ``httpx.Client``), ``retry`` (an
    :class:`~.retry.HttpRetry`), ``rate_window`` (the rolling window the key's limit is
    counted over: an hour) and ``max_rate_wait`` (the total seconds the client may wait for
    it, ``None``: no bound; the command line passes ``API_MAX_WAIT_SECONDS``; beyond it
    :class:`ApiRateLimited` ends the run). Raises :class:`ApiAuthError` at once when the key
    is missing or malformed. Use it as a context manager, or call :meth:`close`.
    """

    def __init__(
        self, api_key: str | None, base_url: str = DEFAULT_BASE_URL, *, page_size: int = MAX_PAGE_SIZE, **transport: Any
    ) -> None:
        if not 1 <= page_size <= MAX_PAGE_SIZE:
            raise ValueError(f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        self._transport = ApiTransport(api_key, base_url, **transport)
        self._get_json = self._transport.get_json
        self._redact = self._transport.redact
        self._page_size = page_size

    # -- lifecycle ---------------------------------------------------------------------------

    def close(self) -> None:
        """Close the HTTP connections."""
        self._transport.close()

    def __enter__(self) -> CongressClient:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return (
            f"CongressClient(base_url={self._transport.base_url!r}, api_key=<redacted>, "
            f"max_requests_per_hour={self._transport.limiter.max_requests})"
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
        return read_listing(
            self._get_json, self._page_size, _meetings_path(congress, chamber), self._window(since, until)
        )

    def get_meeting(self, congress: int, chamber: str, event_id: str) -> dict[str, Any]:
        """One meeting's detail, unwrapped; :class:`ApiResponseError` when it is not usable."""
        path = f"/committee-meeting/{_congress(congress)}/{_chamber(chamber)}/{quote(str(event_id).strip(), safe='')}"
        body = self._get_json(path, {"format": "json"}, item=True)
        meeting = body.get("committeeMeeting") if isinstance(body, dict) else None
        if not isinstance(meeting, dict):
            raise wrong_shape(path, f"expected an object with a 'committeeMeeting' object, got {shape(body)}")
        got = meeting.get("eventId")
        if got is None or str(got).strip() != str(event_id).strip():
            raise wrong_shape(path, f"its eventId is {self._redact(repr(got))}, not {str(event_id)!r}")
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
        rows = committee_rows(self._get_json, self._page_size, path)
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

    # -- internals -----------------------------------------------------------------

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
        items = read_listing(self._get_json, self._page_size, path, params)
        listed = {event_id_of(item) for item in items}
        again = [item for item in refetch if event_id_of(item) not in listed]
        if again:
            logger.info("fetching %d meeting(s) again by id that earlier runs could not fetch", len(again))
        yield from detail_records(self.get_meeting, path, congress, items + again)

    # -- internals: one request --------------------------------------------------------------


# -- pure helpers ------------------------------------------------------------------------


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
