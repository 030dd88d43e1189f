"""The fake API's normal answers, shaped like Congress.gov's: meeting list pages
(``committeeMeetings`` + ``pagination``), meeting details (``committeeMeeting``) and the
committee list, built from the bundled real meetings and committees rows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

API_HOST = "https://api.congress.gov/v3"

Meeting = dict[str, Any]


def page_window(query: dict[str, str]) -> tuple[int, int]:
    """``offset`` and ``limit`` of a list request (the API serves at most 250 at once)."""
    return int(query.get("offset", 0)), min(int(query.get("limit", 20)), 250)


def _parse_stamp(text: str | None) -> datetime | None:
    return datetime.fromisoformat(text).astimezone(UTC) if text else None


def listed_meetings(
    meetings: Sequence[Meeting], congress: int, chamber: str | None, query: dict[str, str]
) -> list[Meeting]:
    """The meetings a list request selects: its Congress, chamber and update window."""
    since, until = _parse_stamp(query.get("fromDateTime")), _parse_stamp(query.get("toDateTime"))
    chosen = []
    for meeting in meetings:
        updated = datetime.fromisoformat(meeting["updateDate"]).astimezone(UTC)
        if meeting["congress"] != congress:
            continue
        if chamber and meeting["chamber"].lower() != chamber:
            continue
        if (since and updated < since) or (until and updated > until):
            continue
        chosen.append(meeting)
    return chosen


def meeting_page(selector: list[str], chosen: list[Meeting], offset: int, limit: int, served: int) -> dict[str, Any]:
    """One list page: the items from ``served`` on, the links as if ``offset`` was served."""
    congress = int(selector[0])
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


def meeting_detail(meetings: Sequence[Meeting], congress: str, chamber: str, event_id: str) -> tuple[int, Any]:
    for meeting in meetings:
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


def committee_page(committees: Sequence[dict[str, Any]], query: dict[str, str]) -> dict[str, Any]:
    """One page of the committee list, each row as the API lists it (the parent as an object)."""
    by_code = {row["systemCode"]: row for row in committees}
    items = []
    for row in committees:
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
    offset, limit = page_window(query)
    page = items[offset : offset + limit]
    pagination: dict[str, Any] = {"count": len(items)}
    if offset + limit < len(items):
        pagination["next"] = f"{API_HOST}/committee/119?offset={offset + limit}&limit={limit}"
    return {"committees": page, "pagination": pagination, "request": {"format": "json"}}
