"""Reading a paginated Congress.gov list: pages by ``pagination.next``, and the meeting list
read again while its pages shift.

``pagination.next`` is read for its ``offset`` only: requests always go to the client's base
URL (a mirror or test server is never left for the host written in ``next``).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from typing import Any

from .errors import ApiResponseError, wrong_shape
from .payloads import listing_order, next_offset, shape, updated
from .record import event_id_of

__all__ = ["MAX_PAGE_SIZE", "GetJson", "pages", "read_listing"]

logger = logging.getLogger("adapters.hearings.api")

MAX_PAGE_SIZE = 250
_MAX_PAGES = 10_000
_LISTING_PASSES = 3  # reads of the list while its pages shift (see ``read_listing``)

GetJson = Callable[[str, dict[str, str]], Any]


def read_listing(get_json: GetJson, page_size: int, path: str, params: dict[str, str]) -> list[dict[str, Any]]:
    """Every list item, read again (up to ``_LISTING_PASSES`` passes) while the pages shift.

    A meeting updated while the list is read moves, and the pages after it shift: one
    page repeats items and another item is never served. A missed meeting would stay
    missed, since the next run starts at this run's cursor, so the list is read again
    and the passes are merged (the newest ``updateDate`` of each ``eventId`` wins).
    """
    unique: dict[str, dict[str, Any]] = {}
    without_id: list[dict[str, Any]] = []
    for attempt in range(1, _LISTING_PASSES + 1):
        without_id, shifted_at = _listing_pass(get_json, page_size, path, params, unique)
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
    get_json: GetJson, page_size: int, path: str, params: dict[str, str], unique: dict[str, dict[str, Any]]
) -> tuple[list[dict[str, Any]], int | None]:
    """One read of every page into ``unique``; the items without eventId, and the first
    offset whose page repeated an item of an earlier page (None when no page did)."""
    first_offset: dict[str, int] = {}  # eventId -> offset of the page that listed it first
    without_id: list[dict[str, Any]] = []
    shifted_at: int | None = None
    duplicates = 0
    for offset, page in pages(get_json, page_size, path, params, "committeeMeetings"):
        for item in page:
            if not isinstance(item, dict):
                logger.warning("GET %s offset %d: skipped a list item that is %s", path, offset, shape(item))
                continue
            event_id = event_id_of(item)
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


def pages(
    get_json: GetJson, page_size: int, path: str, params: dict[str, str], items_key: str
) -> Iterator[tuple[int, list[Any]]]:
    """``(offset, items)`` of each page, following ``pagination.next`` by its offset."""
    offset = 0
    for _ in range(_MAX_PAGES):
        query = {"format": "json", "limit": str(page_size), "offset": str(offset), **params}
        body = get_json(path, query)
        items = body.get(items_key) if isinstance(body, dict) else None
        if not isinstance(items, list):
            raise wrong_shape(
                path, f"expected an object with a {items_key!r} list, got {shape(body)}", at=f" (offset {offset})"
            )
        yield offset, items
        following = next_offset(body.get("pagination"), offset, len(items))
        if following is None:
            return
        offset = following
    raise ApiResponseError(f"GET {path}: pagination did not end after {_MAX_PAGES} pages", path=path)
