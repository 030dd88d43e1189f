"""From list items to detail records: a meeting the API will not serve is quarantined, not fatal.

Each listed meeting's detail is fetched by id. When the API keeps failing for one meeting (a
5xx after the retries, or a 403/404 for that one item) the meeting becomes a record with
rule ``fetch``, the HTTP status in its error and, as payload, what it takes to ask for it
again (``eventId``, ``chamber``, ``congress``): the processor quarantines it and later runs
fetch it again by id. A body that arrived but cannot be used (invalid JSON, an HTML page,
another meeting) is ``readable``'s business, as before. Several details failing one after
another are no longer one bad meeting but an API that is down: that stays fatal.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from .errors import ApiError, ApiRateLimited, ApiResponseError, ApiUnavailable
from .payloads import item_chamber
from .record import RawRecord, event_id_of

__all__ = ["DOWN_AFTER", "FETCH_RULE", "detail_records"]

logger = logging.getLogger("adapters.hearings.api")

#: details failing for good one after another: the API is down, not one meeting
DOWN_AFTER = 3
FETCH_RULE = "fetch"

GetMeeting = Callable[[Any, str, str], dict[str, Any]]


def detail_records(
    get_meeting: GetMeeting, path: str, congress: int, items: list[dict[str, Any]]
) -> Iterator[RawRecord]:
    """One record per list item, ``position`` = 1-based index; raises when the API is down."""
    failed_in_a_row = 0
    for position, item in enumerate(items, start=1):
        event_id = event_id_of(item)
        if event_id is None:
            yield RawRecord(position, item, error=f"GET {path}: list item without an eventId")
            continue
        chamber = item_chamber(item)
        if chamber is None:
            error = f"GET {path}: list item {event_id} has no usable chamber"
            yield RawRecord(position, {"eventId": event_id}, error=error)
            continue
        item_congress = item.get("congress", congress)
        try:
            meeting = get_meeting(item_congress, chamber, event_id)
        except ApiRateLimited:
            raise  # the whole key is over its limit: no meeting's fault
        except ApiUnavailable as exc:
            failed_in_a_row += 1
            if failed_in_a_row >= DOWN_AFTER:
                raise ApiUnavailable(
                    f"{exc} ({failed_in_a_row} meeting details in a row failed: the API is down, not one meeting)",
                    path=exc.path,
                    status_code=exc.status_code,
                ) from exc
            yield _unfetched(position, event_id, chamber, item_congress, exc)
            continue
        except ApiResponseError as exc:
            if exc.status_code is not None and exc.status_code != 200:  # 403/404 for this one meeting
                yield _unfetched(position, event_id, chamber, item_congress, exc)
                continue
            logger.warning("meeting %s not usable: %s", event_id, exc)
            yield RawRecord(position, {"eventId": event_id}, error=str(exc))
            continue
        except ValueError as exc:
            logger.warning("meeting %s not usable: %s", event_id, exc)
            yield RawRecord(position, {"eventId": event_id}, error=str(exc))
            continue
        failed_in_a_row = 0
        yield RawRecord(position, meeting)


def _unfetched(position: int, event_id: str, chamber: str, congress: Any, exc: ApiError) -> RawRecord:
    status = f"HTTP {exc.status_code}" if exc.status_code is not None else "no HTTP answer"
    reason = (
        f"{status}: the API would not serve this meeting ({exc.reason or exc}); it is fetched again by id"
        " on every run until it goes in"
    )
    logger.warning("meeting %s could not be fetched (%s): quarantined, fetched again next run", event_id, status)
    payload = {"eventId": event_id, "chamber": chamber, "congress": congress}
    return RawRecord(position, payload, error=reason, rule=FETCH_RULE)
