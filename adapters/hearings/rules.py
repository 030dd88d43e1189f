"""Domain rules over a parsed :class:`~adapters.hearings.models.Meeting`: pure functions.

Each rule yields :class:`Issue` objects; severity ``"error"`` rejects the record (it goes to
the quarantine), ``"warning"`` keeps it and is reported. A detail payload is the whole record
(the API leaves empty elements out): an absent title, date or list is judged as empty. The
rules that need the stored meeting (``title_kept``, ``date_kept``: an update may not replace
a stored title or date with nothing) are checked by the store.

Rules (short snake_case names):

=========================  ========  ====================================================
rule                       severity  what
=========================  ========  ====================================================
``event_id_present``       error     ``eventId`` is a non-empty string
``chamber_valid``          error     ``chamber`` in House, Senate, NoChamber (the schema's
                                     CHECK; the API documents exactly these three)
``type_valid``             error     ``type`` in Hearing, Meeting, Markup
``status_valid``           error     ``meetingStatus`` in Scheduled, Canceled, Postponed,
                                     Rescheduled
``congress_range``         error     ``congress`` in ``[congress_min, congress_max]``;
                                     default 1 (the First Congress) to the current Congress
                                     + 1 (a meeting can be announced for the next one)
``title_present``          error     a meeting with a date has no title (empty or absent)
``title_present``          warning   neither title nor date: the real placeholder meeting
                                     (20 in the snapshot; stored with title ``''``)
``title_length``           error     longer than ``title_max_length`` (default 10,000;
                                     real markup titles reach 4,233 characters)
``date_present``           warning   no date (the placeholder meetings)
``date_parses``            error     ``date`` is an ISO 8601 date-time or date
``update_date_parses``     error     ``updateDate`` likewise
``committee_present``      error     no committee listed (empty or absent)
``witness_name_present``   warning   a witness without a name: that witness is dropped,
                                     the meeting is kept
``bill_type_valid``        error     a related bill's ``type`` is one of HR, S, HJRES,
                                     SJRES, HCONRES, SCONRES, HRES, SRES (the schema's CHECK)
``related_item_complete``  warning   a related bill without type, number or congress, or a
                                     treaty or nomination without number: that item is
                                     dropped
``continuation_parses``    error     a ``continuationDate`` is an ISO 8601 date(-time);
                                     an empty one is dropped with a warning of this rule
``text_repaired``          warning   a C1 control character (U+0080-U+009F) was read as the
                                     Windows-1252 character it encodes (U+0092 → ’); set by
                                     the text repair before the rules run
``no_control_chars``       error     no control characters other than tab, CR, LF in any
                                     text field (C1 characters Windows-1252 does not define
                                     stay here)
=========================  ========  ====================================================
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlbatch import Issue

from .ddl import BILL_TYPES, CHAMBERS, MEETING_TYPES, STATUSES
from .models import BillRef, Meeting, RecordInvalid, Unparsed

__all__ = [
    "bill_type_of",
    "DEFAULT_TITLE_MAX_LENGTH",
    "RuleConfig",
    "check_meeting",
    "current_congress",
    "may_hold_control_chars",
    "validate_meeting",
]


_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


#: 2.4x the longest real title (4,233 characters): every real meeting passes, a runaway
#: payload (a 2 MB "title") is quarantined instead of stored.
DEFAULT_TITLE_MAX_LENGTH = 10_000


@dataclass(frozen=True, slots=True)
class RuleConfig:
    """The configurable limits. ``congress_max=None`` means current Congress + 1."""

    congress_min: int = 1
    congress_max: int | None = None
    title_max_length: int | None = DEFAULT_TITLE_MAX_LENGTH  # None: no limit

    def upper_congress(self, today: date | None = None) -> int:
        """The highest accepted Congress number."""
        if self.congress_max is not None:
            return self.congress_max
        return current_congress(today) + 1


DEFAULT_RULES = RuleConfig()


def current_congress(today: date | None = None) -> int:
    """The Congress sitting on ``today``: the n-th begins on 3 January of 1789 + 2(n-1)."""
    today = today or datetime.now(UTC).date()
    number = (today.year - 1789) // 2 + 1
    if (today.year - 1789) % 2 == 0 and (today.month, today.day) < (1, 3):
        number -= 1
    return number


def _text_fields(value: Any, path: str) -> Iterator[tuple[str, str]]:
    """Every string in a dumped payload with its field path."""
    if isinstance(value, str):
        yield path, value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _text_fields(item, f"{path}.{key}" if path else key)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _text_fields(item, f"{path}[{index}]")


def _one_of(m: Meeting, attr: str, field: str, allowed: frozenset[str], rule: str) -> list[Issue]:
    if not m.has(attr):
        return []
    value = getattr(m, attr)
    if value in allowed:
        return []
    choices = ", ".join(sorted(allowed))
    return [Issue(rule, f"{value!r} is not one of {choices}", field=field)]


def _date_issues(m: Meeting, attr: str, field: str, rule: str) -> list[Issue]:
    value = getattr(m, attr)
    if isinstance(value, Unparsed):  # the model parsed it; what did not parse is kept as text
        return [Issue(rule, f"{value!r} is not an ISO date-time", field=field)]
    return []


def bill_type_of(bill: BillRef) -> str | None:
    """A related bill's type as the schema spells it (upper case, no dots or spaces)."""
    if bill.type is None:
        return None
    return re.sub(r"[\s.]", "", bill.type).upper() or None


def _related_issues(m: Meeting) -> list[Issue]:
    issues: list[Issue] = []
    items = m.related_items
    for index, bill in enumerate(items.bills if items else []):
        field = f"relatedItems.bills[{index}]"
        kind = bill_type_of(bill)
        if kind is None or not bill.number or bill.congress is None:
            issues.append(
                Issue(
                    "related_item_complete",
                    "bill without type, number or congress: dropped",
                    field=field,
                    severity="warning",
                )
            )
        elif kind not in BILL_TYPES:
            issues.append(
                Issue(
                    "bill_type_valid",
                    f"{bill.type!r} is not one of {', '.join(sorted(BILL_TYPES))}",
                    field=f"{field}.type",
                )
            )
    for name in ("treaties", "nominations"):
        for index, item in enumerate(getattr(items, name) if items else []):
            if not item.number:
                message = f"{name[:-1] if name == 'nominations' else 'treaty'} without a number: dropped"
                issues.append(
                    Issue("related_item_complete", message, field=f"relatedItems.{name}[{index}]", severity="warning")
                )
    for index, item in enumerate(m.continuations):
        when = item.when
        field = f"continuations[{index}].continuationDate"
        if when is None or (isinstance(when, Unparsed) and not when.strip()):
            issues.append(
                Issue("continuation_parses", "continuation without a date: dropped", field=field, severity="warning")
            )
        elif isinstance(when, Unparsed):
            issues.append(Issue("continuation_parses", f"{when!r} is not an ISO date-time", field=field))
    return issues


def check_meeting(
    m: Meeting, config: RuleConfig = DEFAULT_RULES, *, today: date | None = None, text_checked: bool = False
) -> list[Issue]:
    """Every issue of one meeting, errors and warnings, in field order.

    ``text_checked=True`` skips the control-character walk when the caller already knows
    the payload holds none (see :func:`may_hold_control_chars`).
    """
    issues: list[Issue] = []
    if not m.event_id:
        issues.append(Issue("event_id_present", "eventId is empty", field="eventId"))
    if m.has("congress") and m.congress is not None:
        high = config.upper_congress(today)
        if not config.congress_min <= m.congress <= high:
            issues.append(
                Issue("congress_range", f"{m.congress} is outside {config.congress_min}..{high}", field="congress")
            )
    elif m.has("congress"):
        issues.append(Issue("congress_range", "congress is null", field="congress"))
    issues += _one_of(m, "chamber", "chamber", CHAMBERS, "chamber_valid")
    issues += _one_of(m, "type", "type", MEETING_TYPES, "type_valid")
    issues += _one_of(m, "meeting_status", "meetingStatus", STATUSES, "status_valid")
    title = m.title or ""
    dated = m.date is not None  # an empty or broken date is judged by date_parses
    if not title.strip():
        if dated:
            issues.append(Issue("title_present", "a meeting with a date has no title", field="title"))
        else:
            issues.append(
                Issue("title_present", "no title and no date (placeholder meeting)", field="title", severity="warning")
            )
    limit = config.title_max_length
    if limit is not None and len(title) > limit:
        message = f"{len(title)} characters, more than the limit of {limit} (TITLE_MAX_LENGTH)"
        issues.append(Issue("title_length", message, field="title"))
    if not dated:
        issues.append(Issue("date_present", "no date (placeholder meeting)", field="date", severity="warning"))
    issues += _date_issues(m, "date", "date", "date_parses")
    issues += _date_issues(m, "update_date", "updateDate", "update_date_parses")
    if not m.committees:
        issues.append(Issue("committee_present", "no committee listed", field="committees"))
    for index, witness in enumerate(m.witnesses):
        if not (witness.name or "").strip():
            message = "witness has no name: this witness is dropped, the meeting is kept"
            issues.append(Issue("witness_name_present", message, field=f"witnesses[{index}].name", severity="warning"))
    issues += _related_issues(m)
    if text_checked:
        return issues
    dumped = m.model_dump(by_alias=True, exclude_unset=True)
    for path, text in _text_fields(dumped, ""):
        found = _CONTROL.search(text)
        if found:
            issues.append(
                Issue(
                    "no_control_chars",
                    f"control character U+{ord(found.group()):04X} at position {found.start()}",
                    field=path,
                )
            )
    return issues


_RAW_CONTROL = re.compile(r"[\x7f-\x9f]")


def may_hold_control_chars(json_text: str) -> bool:
    """A fast pre-check on the payload's ``json.dumps(..., ensure_ascii=False)`` text.

    JSON escapes C0 controls (``\\u0001``, ``\\b``, ``\\f``; tab, CR and LF are allowed); DEL and
    C1 controls stay raw, and C1 only in non-ASCII text. Substring tests are several times
    faster than one regular expression over every record. False positives (an escaped
    backslash before ``u``, ``b`` or ``f``) only cost the full field walk; there are no false
    negatives.
    """
    return (
        "\\u" in json_text
        or "\\b" in json_text
        or "\\f" in json_text
        or "\x7f" in json_text
        or (not json_text.isascii() and _RAW_CONTROL.search(json_text) is not None)
    )


def validate_meeting(m: Meeting, config: RuleConfig = DEFAULT_RULES, *, today: date | None = None) -> list[Issue]:
    """Raise :class:`RecordInvalid` for the first error; return the warnings."""
    issues = check_meeting(m, config, today=today)
    for issue in issues:
        if issue.severity == "error":
            raise RecordInvalid(issue.field, issue.rule, issue.message, key=m.event_id or None)
    return issues
