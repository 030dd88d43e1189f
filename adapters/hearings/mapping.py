"""A parsed meeting → the rows of the earlier system's schema: pure functions, no database.

Conventions (chosen to match the earlier database where it was right, measured on the
1,027 meetings it holds: every hearing column is reproduced exactly):

- ``hearing_date`` and ``hearing_date_only``: the date part ``YYYY-MM-DD``;
  ``hearing_time``: ``HH:MM:SS`` (kept, not dropped), both in UTC as the API gives them.
- ``update_date``: ``YYYY-MM-DD HH:MM:SS`` (UTC).
- ``url``: the payload's when it has one, else
  ``https://api.congress.gov/v3/committee-meeting/{congress}/{chamber}/{eventId}?format=json``.
- ``location``: readable text, ``"Room 2154, Rayburn House Office Building"``, the field
  address, or ``WEBEX`` for virtual meetings (the API's ``----------`` building is dropped).
- ``jacket_number``: the first ``hearingTranscript[].jacketNumber``.
- Committees: in payload order, duplicates dropped, **every listed committee primary**. The
  API documents ``committees`` as "the committees or subcommittees that held the meeting"
  and has no primary flag, and the earlier database marks all of them primary (216 of its
  joint meetings); ``first_only_primary=True`` marks only the first.
- Witnesses: deduplicated by :func:`witness_key` (honorifics stripped, whitespace
  collapsed, casefolded name + organisation), appearance order 1..n after deduplication.
  ``full_name`` is the cleaned display name (:func:`clean_name`); ``first_name`` /
  ``last_name`` come from :func:`split_name`; position and organization are stored as given.
- Witness documents are attached to the witness their file name names (the House's
  ``...-Wstate-LastnameF-YYYYMMDD.pdf`` convention, the only place the API says whose
  document it is) when exactly one witness matches; the others are meeting-level
  supporting documents with the API's ``documentType``.
- Meeting documents → ``supporting_documents`` (``documentType`` as given, ``name`` as title).
- Videos → ``supporting_documents`` with ``document_type='Video'``, title = video name; where
  the database has the earlier system's video columns, the preferred video fills them
  instead (see ``related``).
- Transcripts → ``hearing_transcripts`` (jacket number, API URL as ``document_url``).
- ``witness_type``: derived from organisation and position (see ``witness_type``).
- Related bills, treaties, nominations and continuations: see ``related``.

A detail payload is the whole record: an absent list means none now (every child set is
replaced), an absent title or date is empty. ``congress``, ``chamber``, ``type``,
``meetingStatus`` and ``updateDate`` are written only when present (they cannot be blanked;
the API always sends them). A witness without a name is left out (the rules warn).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from .models import Location, Meeting, RecordInvalid, Unparsed
from .names import clean_name, collapse, dedup_key, split_name, witness_key
from .related import (
    BillLink,
    ContinuationRow,
    NumberedLink,
    VideoColumns,
    bill_links,
    continuation_rows,
    numbered_links,
    video_columns,
)
from .sources.endpoints import DEFAULT_BASE_URL
from .witness_type import witness_type

__all__ = [
    "CommitteeLink",
    "DocumentRow",
    "MeetingRows",
    "TranscriptRow",
    "WitnessRow",
    "api_url",
    "clean_name",
    "location_text",
    "meeting_rows",
    "split_name",
    "supporting_source",
    "witness_document_type",
    "witness_key",
]

_API_WITNESS_TYPES = {
    "witness statement": "Statement",
    "statement": "Statement",
    "witness biography": "Biography",
    "biography": "Biography",
    "witness truth in testimony": "Truth Statement",
    "truth in testimony": "Truth Statement",
    "truth statement": "Truth Statement",
    "witness supporting document": "Supplemental",
    "supplemental": "Supplemental",
    "questions for record": "Questions for Record",
    "questions for the record": "Questions for Record",
}

VIDEO_DOCUMENT_TYPE = "Video"
GENERIC_DOCUMENT_TYPE = "Generic Document"
WITNESS_DOCUMENT_FALLBACK = "Witness Document"


# -- rows ----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class CommitteeLink:
    """A ``hearing_committees`` link by the committee's ``system_code``."""

    system_code: str
    is_primary: bool
    index: int  # position in the payload's committees (for error messages)


@dataclass(frozen=True, slots=True)
class DocumentRow:
    """A ``witness_documents`` or ``supporting_documents`` row's own columns."""

    document_type: str
    title: str | None = None
    document_url: str | None = None
    format_type: str | None = None
    description: str | None = None  # supporting documents only


@dataclass(frozen=True, slots=True)
class WitnessRow:
    """One witness of the meeting, after deduplication, with its appearance and documents."""

    key: str
    raw_name: str
    full_name: str
    first_name: str | None
    last_name: str | None
    organization: str | None
    position: str | None
    order: int
    documents: tuple[DocumentRow, ...] = ()
    witness_type: str | None = None


@dataclass(frozen=True, slots=True)
class TranscriptRow:
    """A ``hearing_transcripts`` row's own columns."""

    jacket_number: str | None
    document_url: str | None


@dataclass(frozen=True, slots=True)
class MeetingRows:
    """Everything one meeting writes; every child set is the whole set (empty: none now).

    ``hearing`` holds the hearing's columns (``event_id`` first); the columns that cannot
    be blanked only when the payload carries them. ``supporting`` maps a source
    (``"meeting"``, ``"video"``, ``"witness"``, see :func:`supporting_source`) to its rows.
    ``video`` fills the earlier system's video columns where the database has them (the
    store then keeps that video out of ``supporting``).
    """

    event_id: str
    hearing: dict[str, Any]
    committees: tuple[CommitteeLink, ...] = ()
    witnesses: tuple[WitnessRow, ...] = ()
    supporting: dict[str, tuple[DocumentRow, ...]] = field(default_factory=dict)
    transcripts: tuple[TranscriptRow, ...] = ()
    bills: tuple[BillLink, ...] = ()
    treaties: tuple[NumberedLink, ...] = ()
    nominations: tuple[NumberedLink, ...] = ()
    continuations: tuple[ContinuationRow, ...] = ()
    video: VideoColumns = field(default_factory=lambda: VideoColumns(None, None, None))


# -- columns -------------------------------------------------------------------------------


def _blank_to_none(text: str | None) -> str | None:
    return text if text is not None and text.strip() else None


def location_text(location: Location | None) -> str | None:
    """Readable location: ``"Room 2154, Rayburn House Office Building"`` or the address."""
    if location is None:
        return None
    parts: list[str] = []
    room = collapse(location.room)
    building = collapse(location.building)
    if building.strip("-") == "":
        building = ""
    if room:
        is_plain = room.upper() == "WEBEX" or room.casefold().startswith("room ")
        parts.append(room if is_plain else f"Room {room}")
    if building:
        parts.append(building)
    address = collapse(location.address)
    if address and address not in parts:
        parts.append(address)
    return ", ".join(parts) or None


def api_url(congress: int, chamber: str, event_id: str) -> str:
    """The API detail URL the earlier database stores for a meeting."""
    return f"{DEFAULT_BASE_URL}/committee-meeting/{congress}/{chamber.lower()}/{event_id}?format=json"


def _when(m: Meeting, attr: str, field_name: str) -> datetime | date | None:
    """The parsed date-time (the model parsed it); text that did not parse is refused."""
    value = getattr(m, attr)
    if isinstance(value, Unparsed):
        raise RecordInvalid(field_name, "date_parses", f"{value!r} is not an ISO date-time", key=m.event_id)
    return value


def _day(when: datetime | date) -> str:
    """``YYYY-MM-DD``. ``isoformat`` is several times faster than ``strftime``; below the year
    1000 it pads the year where strftime does not, so those keep strftime's text."""
    return when.isoformat()[:10] if when.year >= 1000 else when.strftime("%Y-%m-%d")


def _day_clock(when: datetime) -> tuple[str, str]:
    """``(YYYY-MM-DD, HH:MM:SS)`` from one ``isoformat`` (see :func:`_day`)."""
    if when.year < 1000:
        return when.strftime("%Y-%m-%d"), when.strftime("%H:%M:%S")
    text = when.isoformat()
    return text[:10], text[11:19]


def _hearing_columns(m: Meeting) -> dict[str, Any]:
    cols: dict[str, Any] = {"event_id": m.event_id}
    if m.has("congress"):
        cols["congress"] = m.congress
    if m.has("chamber"):
        cols["chamber"] = m.chamber
    cols["title"] = m.title if m.title is not None else ""
    if m.has("type"):
        cols["hearing_type"] = m.type
    if m.has("meeting_status"):
        cols["status"] = m.meeting_status
    when = _when(m, "date", "date")
    if isinstance(when, datetime):
        day, clock = _day_clock(when)
    else:  # a date without a time, or none
        day, clock = (_day(when) if when is not None else None), None
    cols["hearing_date"] = day
    cols["hearing_date_only"] = day
    cols["hearing_time"] = clock
    cols["location"] = location_text(m.location)
    first = m.hearing_transcript[0] if m.hearing_transcript else None
    cols["jacket_number"] = first.jacket_number if first else None
    if m.has("update_date"):
        when = _when(m, "update_date", "updateDate")
        if isinstance(when, datetime):
            day, clock = _day_clock(when)
            cols["update_date"] = f"{day} {clock}"
        else:
            cols["update_date"] = _day(when) if when else None
    if m.url:
        cols["url"] = m.url
    elif m.congress is not None and m.chamber and m.event_id:
        cols["url"] = api_url(m.congress, m.chamber, m.event_id)
    return cols


# -- children ------------------------------------------------------------------------------


def witness_document_type(api_type: str | None) -> str:
    """The API's witness ``documentType`` as one of the schema's ``witness_documents`` types
    (:data:`~adapters.hearings.ddl.WITNESS_DOCUMENT_TYPES`)."""
    text = collapse(api_type).casefold()
    if text in _API_WITNESS_TYPES:
        return _API_WITNESS_TYPES[text]
    if "question" in text:
        return "Questions for Record"
    return "Supplemental"


def supporting_source(document_type: str) -> str:
    """Which payload field a ``supporting_documents`` row comes from, by its type."""
    if document_type == VIDEO_DOCUMENT_TYPE:
        return "video"
    if document_type.startswith("Witness"):
        return "witness"
    return "meeting"


def _name_token(first: str | None, last: str | None) -> str | None:
    """``LastnameF`` as the House's document file names spell it, casefolded."""
    if not first or not last:
        return None
    letters = re.sub(r"[^\w]", "", last.split(",")[0]).replace("_", "")
    return (letters + first[0]).casefold() if letters else None


def _owner(url: str | None, tokens: dict[str, list[int]]) -> int | None:
    """The index of the one witness the document's file name names, else ``None``."""
    if not url:
        return None
    stem = url.rsplit("/", 1)[-1].split("?", 1)[0].rsplit(".", 1)[0]
    owners = {i for part in stem.split("-") for i in tokens.get(part.casefold(), [])}
    return owners.pop() if len(owners) == 1 else None


def _witnesses(m: Meeting) -> tuple[tuple[WitnessRow, ...], tuple[DocumentRow, ...]]:
    """Deduplicated witnesses with their documents, and the documents no witness claims."""
    unique: dict[str, tuple[str, str, Any]] = {}
    for witness in m.witnesses:
        raw = witness.name or ""
        if not raw.strip():
            continue  # no name: dropped (the rules warn)
        full = clean_name(raw)
        key = dedup_key(full, witness.organization)
        if key not in unique:
            unique[key] = (raw, full, witness)
    names = [(key, raw, full, w, *split_name(full)) for key, (raw, full, w) in unique.items()]
    tokens: dict[str, list[int]] = {}
    for index, (_, _, _, _, first, last) in enumerate(names):
        token = _name_token(first, last)
        if token:
            tokens.setdefault(token, []).append(index)
    claimed: dict[int, list[DocumentRow]] = {}
    loose: list[DocumentRow] = []
    for doc in m.witness_documents:
        owner = _owner(doc.url, tokens)
        if owner is None:
            loose.append(
                DocumentRow(
                    _blank_to_none(collapse(doc.document_type)) or WITNESS_DOCUMENT_FALLBACK,
                    None,
                    doc.url,
                    doc.format,
                )
            )
        else:
            claimed.setdefault(owner, []).append(
                DocumentRow(
                    witness_document_type(doc.document_type),
                    _blank_to_none(doc.document_type),
                    doc.url,
                    doc.format,
                )
            )
    rows = tuple(
        WitnessRow(
            key=key,
            raw_name=raw,
            full_name=full,
            first_name=first,
            last_name=last,
            organization=w.organization,
            position=w.position,
            order=index + 1,
            documents=tuple(claimed.get(index, ())),
            witness_type=witness_type(w.organization, w.position),
        )
        for index, (key, raw, full, w, first, last) in enumerate(names)
    )
    return rows, tuple(loose)


def meeting_rows(m: Meeting, *, first_only_primary: bool = False) -> MeetingRows:
    """Map a parsed (and rule-checked) meeting to its rows; see the module conventions."""
    seen: set[str] = set()
    links: list[CommitteeLink] = []
    for index, ref in enumerate(m.committees):
        if ref.system_code in seen:
            continue
        seen.add(ref.system_code)
        primary = not first_only_primary or not links
        links.append(CommitteeLink(ref.system_code, primary, index))
    witnesses, loose = _witnesses(m)
    supporting: dict[str, tuple[DocumentRow, ...]] = {"witness": loose}
    supporting["meeting"] = tuple(
        DocumentRow(
            _blank_to_none(collapse(doc.document_type)) or GENERIC_DOCUMENT_TYPE,
            _blank_to_none(doc.name),
            doc.url,
            doc.format,
            _blank_to_none(doc.description),
        )
        for doc in m.meeting_documents
    )
    supporting["video"] = tuple(
        DocumentRow(VIDEO_DOCUMENT_TYPE, _blank_to_none(video.name), video.url) for video in m.videos
    )
    related = m.related_items
    return MeetingRows(
        event_id=m.event_id,
        hearing=_hearing_columns(m),
        committees=tuple(links),
        witnesses=witnesses,
        supporting=supporting,
        transcripts=tuple(TranscriptRow(t.jacket_number, t.url) for t in m.hearing_transcript),
        bills=bill_links(m),
        treaties=numbered_links(related.treaties if related else []),
        nominations=numbered_links(related.nominations if related else []),
        continuations=continuation_rows(m),
        video=video_columns(m.videos),
    )
