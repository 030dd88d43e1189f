"""A meeting's related items, continuations and video columns as rows: pure functions.

- ``relatedItems.bills[]`` → one ``bills`` row per (congress, type, number) and a
  ``hearing_bills`` link. ``relationship_type`` is ``markup`` when the meeting's ``type`` is
  Markup (the committee votes on the bill), else ``related``: the API says only that the
  bill is "associated" with the meeting, and ``primary_subject`` / ``mentioned`` would claim
  more than it says. ``number`` is stored as an integer when it is one (the documented JSON
  sends ``"1532"``), as given otherwise. The type is upper-cased; duplicates are dropped.
- ``relatedItems.treaties[]`` / ``nominations[]`` → ``hearing_treaties`` /
  ``hearing_nominations`` (``congress``, ``number``, ``part``, ``url``), duplicates dropped.
- ``continuations[].continuationDate`` → ``hearing_continuations`` (``continuation_date``
  ``YYYY-MM-DD``, ``continuation_time`` ``HH:MM:SS``, UTC as the API gives them).
- ``videos[]`` → where the database has the earlier system's ``hearings.video_url``,
  ``youtube_video_id``, ``video_type``: the preferred video (the first with a YouTube id,
  else the first Congress.gov committee video, else the first with a URL). ``video_type`` is
  one of the values the earlier web app renders: ``youtube`` (an id was found: a
  ``youtube.com``/``youtu.be`` URL, or the 11-character id that ends a Congress.gov
  ``/committees/video/...`` URL), ``senate_isvp``, ``house_video``, ``committee_video``,
  ``event_page``; otherwise ``NULL`` (the app shows a plain link).

Items the rules found incomplete (no type or number, no congress) are left out here; the
rules report them as warnings.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import parse_qs, unquote, urlsplit

from .models import BillRef, Meeting, NumberedRef, Unparsed, Video
from .rules import bill_type_of

__all__ = [
    "BillLink",
    "ContinuationRow",
    "NumberedLink",
    "VideoColumns",
    "bill_links",
    "continuation_rows",
    "numbered_links",
    "relationship_type",
    "video_columns",
    "youtube_id",
]

VIDEO_COLUMNS = ("video_url", "youtube_video_id", "video_type")

_YOUTUBE_ID = re.compile(r"^[A-Za-z0-9_-]{11}$")


@dataclass(frozen=True, slots=True)
class BillLink:
    """A ``bills`` row's key and URL, with the ``hearing_bills.relationship_type``."""

    congress: int
    bill_type: str
    number: int | str
    url: str | None
    relationship: str


@dataclass(frozen=True, slots=True)
class NumberedLink:
    """A ``hearing_treaties`` or ``hearing_nominations`` row's own columns."""

    congress: int | None
    number: str
    part: str | None
    url: str | None


@dataclass(frozen=True, slots=True)
class ContinuationRow:
    """A ``hearing_continuations`` row's own columns."""

    continuation_date: str
    continuation_time: str | None


@dataclass(frozen=True, slots=True)
class VideoColumns:
    """The earlier system's three ``hearings`` video columns."""

    video_url: str | None
    youtube_video_id: str | None
    video_type: str | None

    def as_columns(self) -> dict[str, str | None]:
        return dict(zip(VIDEO_COLUMNS, (self.video_url, self.youtube_video_id, self.video_type), strict=True))


NO_VIDEO = VideoColumns(None, None, None)


def relationship_type(meeting_type: str | None) -> str:
    """``markup`` for a Markup meeting, else ``related``."""
    return "markup" if meeting_type == "Markup" else "related"


def bill_complete(bill: BillRef) -> bool:
    return bill.congress is not None and bool(bill_type_of(bill)) and bool(bill.number)


def bill_links(m: Meeting, stored_type: str | None = None) -> tuple[BillLink, ...]:
    """The meeting's bills, in payload order, duplicates and incomplete items dropped."""
    items = m.related_items.bills if m.related_items else []
    relationship = relationship_type(m.type if m.has("type") else stored_type)
    seen: set[tuple[int, str, int | str]] = set()
    links = []
    for bill in items:
        if not bill_complete(bill):
            continue
        number: int | str = int(bill.number) if bill.number.isdigit() else bill.number  # type: ignore[union-attr]
        key = (bill.congress, bill_type_of(bill), number)  # type: ignore[arg-type]
        if key in seen:
            continue
        seen.add(key)  # type: ignore[arg-type]
        links.append(BillLink(key[0], key[1], number, bill.url, relationship))  # type: ignore[arg-type]
    return tuple(links)


def numbered_links(items: list[NumberedRef]) -> tuple[NumberedLink, ...]:
    """Treaties or nominations, duplicates and items without a number dropped."""
    seen: set[NumberedLink] = set()
    links = []
    for item in items:
        if not item.number:
            continue
        link = NumberedLink(item.congress, item.number, item.part, item.url)
        if link not in seen:
            seen.add(link)
            links.append(link)
    return tuple(links)


def continuation_rows(m: Meeting) -> tuple[ContinuationRow, ...]:
    """The continuation days (the rules have checked that each date parses)."""
    rows: list[ContinuationRow] = []
    for item in m.continuations:
        when = item.when
        if when is None or isinstance(when, Unparsed):  # empty: dropped; unparsed: refused by the rules
            continue
        time = when.strftime("%H:%M:%S") if isinstance(when, datetime) else None
        row = ContinuationRow(when.strftime("%Y-%m-%d"), time)
        if row not in rows:
            rows.append(row)
    return tuple(rows)


def _url_parts(url: str) -> tuple[str, str, dict[str, list[str]]] | None:
    """Host (lower case), decoded path and query parameters of a URL; ``None``: not a URL.

    ``urllib.parse`` rather than ``httpx.URL``: a run from a file never loads httpx.
    """
    try:
        parsed = urlsplit(url.strip())
        parsed.port  # noqa: B018 - a bad port makes the URL invalid, as it would for httpx
    except ValueError:
        return None
    return (parsed.hostname or "").lower(), unquote(parsed.path), parse_qs(parsed.query)


def youtube_id(url: str | None) -> str | None:
    """The YouTube video id a video URL carries, or ``None``."""
    if not url:
        return None
    parts = _url_parts(url)
    if parts is None:
        return None
    host, path, params = parts
    host = host.removeprefix("www.").removeprefix("m.")
    segments = [s for s in path.split("/") if s]
    candidate: str | None = None
    if host == "youtu.be" and segments:
        candidate = segments[0]
    elif host.endswith("youtube.com"):
        if params.get("v"):
            candidate = params["v"][0]
        elif len(segments) >= 2 and segments[0] in ("embed", "live", "shorts", "v"):
            candidate = segments[1]
    elif host.endswith("congress.gov") and segments[:2] == ["committees", "video"] and len(segments) > 2:
        candidate = segments[-1]
    return candidate if candidate and _YOUTUBE_ID.match(candidate) else None


def _video_type(url: str) -> str | None:
    if youtube_id(url):
        return "youtube"
    parts = _url_parts(url)
    if parts is None:
        return None
    host, path, _ = parts
    path = path.lower()
    if host.endswith("senate.gov") and "isvp" in path:
        return "senate_isvp"
    if host.endswith("house.gov"):
        return "house_video"
    if host.endswith("congress.gov") and path.startswith("/committees/video"):
        return "committee_video"
    if host.endswith("congress.gov") and "/event/" in path:
        return "event_page"
    return None


def preferred_video(videos: list[Video]) -> Video | None:
    """The video the hearing's columns show (see the module rules)."""
    with_url = [v for v in videos if v.url and v.url.strip()]
    for test in (lambda v: youtube_id(v.url) is not None, lambda v: "/committees/video" in (v.url or "")):
        for video in with_url:
            if test(video):
                return video
    return with_url[0] if with_url else None


def video_columns(videos: list[Video]) -> VideoColumns:
    """The three video columns for these videos (all ``None`` when there is none)."""
    video = preferred_video(videos)
    if video is None or not video.url:
        return NO_VIDEO
    url = video.url.strip()
    return VideoColumns(url, youtube_id(url), _video_type(url))
