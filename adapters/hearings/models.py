"""The Congress.gov committee-meeting detail payload, as pydantic models (the edge).

The models describe the inner object of ``{"committeeMeeting": {...}}`` as the API documents
it (``Documentation/CommitteeMeetingEndpoint.md`` of LibraryOfCongress/api.congress.gov):

- ``committees[]``: ``{systemCode, name, url}``
- ``location``: ``{room, building}`` for meetings on the Hill, ``{address}`` for field meetings
  (``address`` holds building, street address, city, state and postal code), or absent/null
- ``witnesses[]``: ``{name, position, organization}``
- ``witnessDocuments[]``: ``{documentType, format, url}``; ``documentType`` is one of
  "Witness Statement", "Witness Biography", "Witness Truth in Testimony",
  "Witness Supporting Document" (no witness name: the URL's file name carries it)
- ``meetingDocuments[]``: ``{name, documentType, description, format, url}``
- ``hearingTranscript[]``: ``{jacketNumber, url}``
- ``videos[]``: ``{name, url}``
- ``relatedItems``: ``{bills: [{congress, type, number, url}], treaties: [{part, number,
  congress, url}], nominations: [{part, number, congress, url}]}`` (``number`` is a string in
  the documented JSON: ``"1532"``)
- ``continuations[]``: the later days of a multi-day meeting, ``{continuationDate}`` (the
  documentation's XML names the element ``meeting_dt``; both are read)

Unknown fields are ignored. The API leaves empty elements out of its responses, so a detail
payload is the whole record: an absent list is an empty one. :meth:`Meeting.has` still tells
an absent scalar from one present as ``null`` (``model_fields_set``), for the columns that
cannot be blanked (``congress``, ``chamber``, ``type``, ``meetingStatus``, ``updateDate``).

Dates (``date``, ``updateDate``, ``continuationDate``) are parsed here, once (:data:`When`):
``2025-05-21T14:00:00Z`` and offsets become aware UTC datetimes, a naive date-time stays
naive, ``2025-05-21`` a date; text that does not parse (or is empty) is kept as
:class:`Unparsed`, for the rules to reject with the record's other issues.

:func:`parse_meeting` is the only entry point; it turns every pydantic ``ValidationError``
into a :class:`RecordInvalid` naming the first failing field path and rule.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, PlainValidator, ValidationError
from pydantic.alias_generators import to_camel
from pydantic_core import PydanticCustomError

from .sources.record import event_id_of
from .sources.timestamps import parse_api_datetime


class RecordInvalid(ValueError):
    """One input record breaks a rule; the record is rejected, the rest of the run goes on.

    ``field`` is the API field path (``"date"``, ``"witnesses[2].name"``), ``rule`` a short
    snake_case rule name (``"type"``, ``"required"``, ``"date_parses"``...), ``reason`` a
    human sentence, ``key`` the record's ``eventId`` when known.
    """

    def __init__(self, field: str, rule: str, reason: str, *, key: str | None = None) -> None:
        self.field = field
        self.rule = rule
        self.reason = reason
        self.key = key
        super().__init__(self._message())

    def _message(self) -> str:
        prefix = f"eventId {self.key}: " if self.key else ""
        return f"{prefix}field '{self.field}': rule '{self.rule}': {self.reason}"

    def with_key(self, key: str | None) -> RecordInvalid:
        """Set the record key (when it was not known where the error was raised)."""
        if key and not self.key:
            self.key = key
            self.args = (self._message(),)
        return self


# -- coercions ---------------------------------------------------------------------------


def _id_text(value: Any) -> Any:
    """Accept an identifier as a string or an integer (never a bool), as text, stripped."""
    if isinstance(value, bool):
        return value  # left to fail the ``str`` check
    if isinstance(value, int):
        return str(value)
    if isinstance(value, str):
        return value.strip()
    return value


def _strict_int(value: Any) -> Any:
    """An integer, or a string of digits; never a bool or a float."""
    if isinstance(value, (bool, float)):
        raise ValueError(f"{value!r} is not an integer")
    if isinstance(value, str) and value.strip().isdigit():
        return int(value.strip())
    return value


def _list_or_empty(value: Any) -> Any:
    """A JSON ``null`` list means "none" (the field is still present)."""
    return [] if value is None else value


_ADDRESS_ORDER = ("building", "streetAddress", "street", "city", "state", "postalCode", "zip")


def _address_text(value: Any) -> Any:
    """Flatten an ``address`` object into one readable line; strings pass through.

    Known keys come first in postal order (building, street, city, state, postal code),
    then any other text values in payload order.
    """
    if not isinstance(value, dict):
        return value
    parts: list[str] = []
    keys = [k for k in _ADDRESS_ORDER if k in value] + [k for k in value if k not in _ADDRESS_ORDER]
    for key in keys:
        item = value[key]
        if isinstance(item, (str, int)) and not isinstance(item, bool):
            text = " ".join(str(item).split())
            if text:
                parts.append(text)
    return ", ".join(parts) if parts else None


def _location_object(value: Any) -> Any:
    """A bare string location is taken as an address."""
    if isinstance(value, str):
        return {"address": value}
    return value


class Unparsed(str):
    """A date text that is not an ISO 8601 date(-time) (or is empty): kept as given, for the
    rule that rejects it (``date_parses``...) to name it with the record's other issues."""

    __slots__ = ()


def _when(value: Any) -> datetime | date | Unparsed | None:
    """The API's date-time or date, parsed (aware UTC, naive, or a plain date)."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise PydanticCustomError("string_type", "Input should be a valid string")
    try:
        return parse_api_datetime(value)
    except ValueError:
        return Unparsed(value)


When = Annotated[datetime | date | Unparsed | None, PlainValidator(_when)]
IdText = Annotated[str, BeforeValidator(_id_text)]
OptionalIdText = Annotated[str | None, BeforeValidator(_id_text)]
StrictInt = Annotated[int, BeforeValidator(_strict_int)]


# -- models ------------------------------------------------------------------------------


class _ApiModel(BaseModel):
    """Common configuration: camelCase aliases, unknown fields ignored, immutable."""

    model_config = ConfigDict(alias_generator=to_camel, populate_by_name=True, extra="ignore", frozen=True)


class CommitteeRef(_ApiModel):
    """A committee or subcommittee that held the meeting."""

    system_code: IdText
    name: str | None = None
    url: str | None = None


class Location(_ApiModel):
    """Where the meeting is held: room and building, or a field address."""

    room: OptionalIdText = None
    building: str | None = None
    address: Annotated[str | None, BeforeValidator(_address_text)] = None


class Witness(_ApiModel):
    """A witness as the API lists it (name with any honorific, position, organization)."""

    name: str | None = None
    position: str | None = None
    organization: str | None = None


class WitnessDocument(_ApiModel):
    """A document provided by a witness (statement, biography, truth in testimony...)."""

    document_type: str | None = None
    format: str | None = None
    url: str | None = None


class MeetingDocument(_ApiModel):
    """A committee-provided document of the meeting (notice, report, bill text...)."""

    name: str | None = None
    document_type: str | None = None
    description: str | None = None
    format: str | None = None
    url: str | None = None


class HearingTranscript(_ApiModel):
    """A published hearing transcript of the meeting."""

    jacket_number: OptionalIdText = None
    url: str | None = None


class Video(_ApiModel):
    """A video of the meeting on Congress.gov."""

    name: str | None = None
    url: str | None = None


class BillRef(_ApiModel):
    """A bill or resolution the meeting considers (``relatedItems.bills[]``)."""

    congress: StrictInt | None = None
    type: str | None = None
    number: OptionalIdText = None
    url: str | None = None


class NumberedRef(_ApiModel):
    """A treaty or nomination of the meeting (``relatedItems.treaties[]`` / ``nominations[]``)."""

    congress: StrictInt | None = None
    number: OptionalIdText = None
    part: OptionalIdText = None
    url: str | None = None


#: A list field of a payload model: an absent or null list is empty. Its default is a plain
#: ``[]`` (pydantic copies a mutable default for each model): ``default_factory=list`` made
#: pydantic parse the text signature of ``list`` once per field at import, ~1 ms each.
ListOf = BeforeValidator(_list_or_empty)


class RelatedItems(_ApiModel):
    """The bills, treaties and nominations associated with the meeting."""

    bills: Annotated[list[BillRef], ListOf] = []
    treaties: Annotated[list[NumberedRef], ListOf] = []
    nominations: Annotated[list[NumberedRef], ListOf] = []


class Continuation(_ApiModel):
    """A later day of a multi-day meeting."""

    continuation_date: When = None
    meeting_dt: When = Field(default=None, alias="meeting_dt")

    @property
    def when(self) -> datetime | date | Unparsed | None:
        """The continuation's date-time, whichever name the payload used."""
        return self.continuation_date if self.continuation_date is not None else self.meeting_dt


def _object_or_none(value: Any) -> Any:
    """``relatedItems: null`` or ``[]`` (an empty container) means none."""
    return None if value in (None, [], {}) else value


class Meeting(_ApiModel):
    """One committee meeting (the detail payload); only ``eventId`` is required."""

    event_id: IdText
    update_date: When = None
    congress: StrictInt | None = None
    chamber: str | None = None
    type: str | None = None
    title: str | None = None
    meeting_status: str | None = None
    date: When = None
    url: str | None = None
    committees: Annotated[list[CommitteeRef], ListOf] = []
    location: Annotated[Location | None, BeforeValidator(_location_object)] = None
    witnesses: Annotated[list[Witness], ListOf] = []
    witness_documents: Annotated[list[WitnessDocument], ListOf] = []
    meeting_documents: Annotated[list[MeetingDocument], ListOf] = []
    hearing_transcript: Annotated[list[HearingTranscript], ListOf] = []
    videos: Annotated[list[Video], ListOf] = []
    related_items: Annotated[RelatedItems | None, BeforeValidator(_object_or_none)] = None
    continuations: Annotated[list[Continuation], ListOf] = []

    def has(self, name: str) -> bool:
        """Whether the payload carried this field (by attribute name), even as ``null``."""
        return name in self.model_fields_set


# -- parsing -----------------------------------------------------------------------------


def _field_path(loc: tuple[Any, ...]) -> str:
    """``("witnesses", 2, "name")`` → ``"witnesses[2].name"``."""
    path = ""
    for part in loc:
        if isinstance(part, int):
            path += f"[{part}]"
        else:
            path += f".{part}" if path else str(part)
    return path or "(record)"


def _rule_of(error_type: str) -> str:
    """Pydantic's error type as a short rule name: ``required``, ``type`` or its own."""
    if error_type == "missing":
        return "required"
    if error_type.endswith(("_type", "_parsing")) or error_type in {
        "int_from_float",
        "value_error",
    }:
        return "type"
    return error_type


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def parse_meeting(payload: object) -> Meeting:
    """Validate one detail payload (the inner object) into a :class:`Meeting`.

    Raises :class:`RecordInvalid` for a payload that is not a JSON object or whose fields
    have the wrong types; the domain rules (allowed values, dates...) are in ``rules``.
    """
    if not isinstance(payload, dict):
        raise RecordInvalid("(record)", "type", f"expected a JSON object, got {type(payload).__name__}")
    try:
        return Meeting.model_validate(payload)
    except ValidationError as exc:
        first = exc.errors(include_url=False)[0]
        field = _field_path(tuple(first["loc"]))
        rule = _rule_of(first["type"])
        reason = "the field is required" if rule == "required" else f"{_short(first.get('input'))}: {first['msg']}"
        raise RecordInvalid(field, rule, reason, key=event_id_of(payload)) from None
