"""The one shape every source yields: a raw record with its position in the source."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

__all__ = ["RawRecord", "event_id_of", "unwrap"]


def event_id_of(payload: Any) -> str | None:
    """The ``eventId`` of a payload or list item, as text; ``None`` when it has no usable one
    (missing, empty, or not a string or integer)."""
    if not isinstance(payload, dict):
        return None
    value = payload.get("eventId")
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        return None
    return str(value).strip() or None


@dataclass(frozen=True, slots=True)
class RawRecord:
    """One input record as read from a source, before any validation.

    ``position`` is 1-based (for NDJSON: the line number; blank lines are not records).
    ``payload`` is the inner committee-meeting object (a ``{"committeeMeeting": {...}}``
    wrapper is removed) or whatever JSON value the source held; ``None`` with ``error`` set
    when the record could not be read at all (invalid JSON, invalid UTF-8, an unusable body...).
    ``rule`` names why in the quarantine: ``readable``, or ``fetch`` when the source could not
    get the record at all (its detail request kept failing); the payload of a ``fetch``
    failure holds what it takes to ask for the record again.
    """

    position: int
    payload: Any
    error: str | None = None
    rule: str = "readable"

    @property
    def key(self) -> str:
        """The record's key in the journal and the quarantine: the ``eventId``, else ``#N``
        (the position), so that a record without one is still named."""
        return event_id_of(self.payload) or f"#{self.position}"

    @property
    def update_date(self) -> str | None:
        """The payload's ``updateDate`` when it is a string (used as the sync cursor)."""
        if isinstance(self.payload, dict):
            value = self.payload.get("updateDate")
            if isinstance(value, str):
                return value
        return None


def unwrap(value: Any) -> Any:
    """Remove the API's ``{"committeeMeeting": {...}}`` wrapper when present.

    Unwrapped: an object whose only key is ``committeeMeeting``, or a whole API response
    (``committeeMeeting`` next to ``request``). Anything else is returned unchanged.
    """
    if not isinstance(value, dict) or not isinstance(value.get("committeeMeeting"), dict):
        return value
    if len(value) == 1 or "request" in value:
        return value["committeeMeeting"]
    return value
