"""Reading the pieces of Congress.gov responses: list items, pagination, committee rows.

Pure functions, no I/O: the client uses them to de-duplicate and order meeting list items,
to find the next page, and to turn committee list items into ``committees.json`` rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx

from .record import event_id_of
from .timestamps import parse_timestamp

__all__ = [
    "CHAMBERS",
    "committee_detail_is_current",
    "committee_row",
    "is_current",
    "NEVER",
    "item_chamber",
    "listing_order",
    "next_offset",
    "shape",
    "subcommittee_rows",
    "updated",
]

CHAMBERS = ("house", "senate", "joint", "nochamber")


def item_chamber(item: dict[str, Any]) -> str | None:
    """The chamber of a list item, from ``chamber`` or else from its ``url``."""
    value = item.get("chamber")
    if isinstance(value, str) and value.strip().lower() in CHAMBERS:
        return value.strip().lower()
    url = item.get("url")
    if isinstance(url, str):
        try:
            parts = httpx.URL(url).path.strip("/").split("/")
        except httpx.InvalidURL:
            return None
        if "committee-meeting" in parts:
            rest = parts[parts.index("committee-meeting") + 1 :]
            if len(rest) >= 2 and rest[1].lower() in CHAMBERS:
                return rest[1].lower()
    return None


NEVER = datetime.min.replace(tzinfo=UTC)


def updated(item: dict[str, Any]) -> datetime:
    """The item's ``updateDate`` (``NEVER`` when missing or unreadable)."""
    return parse_timestamp(item.get("updateDate")) or NEVER


def listing_order(item: dict[str, Any]) -> tuple[bool, datetime, int, str]:
    """Oldest update first (unreadable dates last), then eventId numerically."""
    stamp = parse_timestamp(item.get("updateDate"))
    event_id = event_id_of(item) or ""
    return (stamp is None, stamp or NEVER, len(event_id), event_id)


def next_offset(pagination: object, offset: int, count: int) -> int | None:
    """The offset of the next page, or ``None`` at the end (no ``next``, or an empty page)."""
    if not isinstance(pagination, dict) or not pagination.get("next") or count == 0:
        return None
    following = offset + count
    try:
        stated = int(httpx.URL(str(pagination["next"])).params.get("offset", ""))
    except (ValueError, httpx.InvalidURL):
        stated = None
    if stated is not None and stated > offset:
        following = stated
    total = pagination.get("count")
    if isinstance(total, int) and not isinstance(total, bool) and following >= total:
        return None
    return following


def committee_row(item: object) -> dict[str, Any] | None:
    """A committee list item as a ``committees.json`` row (``parent`` = parent's systemCode);
    ``None`` when it has no ``systemCode``."""
    if not isinstance(item, dict):
        return None
    code = item.get("systemCode")
    if not isinstance(code, str) or not code.strip():
        return None
    parent = item.get("parent")
    if isinstance(parent, dict):
        parent = parent.get("systemCode")
    row = {
        "systemCode": code.strip(),
        "name": item.get("name"),
        "chamber": item.get("chamber"),
        "committeeTypeCode": item.get("committeeTypeCode", item.get("type")),
        "parent": parent if isinstance(parent, str) and parent.strip() else None,
        "url": item.get("url"),
    }
    return _with_is_current(row, item)


def _with_is_current(row: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    """``row`` plus ``isCurrent`` when the item says (list items usually do not)."""
    flag = is_current(item.get("isCurrent"))
    return {**row, "isCurrent": flag} if flag is not None else row


def is_current(value: object) -> bool | None:
    """The API's ``isCurrent`` flag (``true``/``false``, or "True"/"False" as its XML writes
    it) as a bool; ``None`` when absent or unreadable."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().casefold() in ("true", "false"):
        return value.strip().casefold() == "true"
    return None


def committee_detail_is_current(body: object) -> bool | None:
    """``committee.isCurrent`` of a committee detail response (``GET /committee/{chamber}/{code}``)."""
    committee = body.get("committee") if isinstance(body, dict) else None
    return is_current(committee.get("isCurrent")) if isinstance(committee, dict) else None


def subcommittee_rows(item: dict[str, Any], parent: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """Rows for the subcommittees a committee item names (chamber taken from the parent)."""
    subs = item.get("subcommittees")
    if not isinstance(subs, list):
        return
    for sub in subs:
        if isinstance(sub, dict) and isinstance(sub.get("systemCode"), str):
            row = {
                "systemCode": sub["systemCode"].strip(),
                "name": sub.get("name"),
                "chamber": parent["chamber"],
                "committeeTypeCode": "Subcommittee",
                "parent": parent["systemCode"],
                "url": sub.get("url"),
            }
            yield _with_is_current(row, sub)


def shape(value: object) -> str:
    """A short description of a JSON value's shape, for error messages (never its content)."""
    if isinstance(value, dict):
        keys = ", ".join(sorted(map(str, value))[:5])
        return f"an object with keys [{keys}]" if keys else "an empty object"
    if isinstance(value, list):
        return f"a list of {len(value)}"
    if value is None:
        return "null"
    return f"a {type(value).__name__}"
