"""The API's dates: the one parser of its ISO 8601 forms, and its query timestamp format
(``YYYY-MM-DDTHH:MM:SSZ``, UTC)."""

from __future__ import annotations

from datetime import UTC, date, datetime

__all__ = ["api_timestamp", "parse_api_datetime", "parse_timestamp"]

_API_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse_api_datetime(text: str) -> datetime | date:
    """Parse the API's ISO 8601 forms: date-time (``Z``, offset or naive) or a plain date.

    Returns an aware ``datetime`` converted to UTC (the API's own zone) when the text has
    an offset, a naive one when it has none, a ``date`` for a date alone. Raises
    ``ValueError`` for anything else.
    """
    value = text.strip()
    if len(value) == 10:
        return date.fromisoformat(value)
    if len(value) < 16 or value[10] not in "T ":
        raise ValueError(f"{text!r} is not an ISO date-time")
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is not None:
        parsed = parsed.astimezone(UTC)
    return parsed


def parse_timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from an API date (text, ``date`` or ``datetime``), or ``None``
    when it is not one; a plain date is midnight UTC, a naive value is taken as UTC."""
    if isinstance(value, str):
        try:
            value = parse_api_datetime(value)
        except ValueError:
            return None
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    else:
        return None
    if parsed.tzinfo is None:
        return parsed.replace(tzinfo=UTC)
    return parsed.astimezone(UTC)


def api_timestamp(value: str | date | datetime, *, name: str = "timestamp") -> str:
    """Format ``value`` for ``fromDateTime``/``toDateTime``; ``ValueError`` names ``name``."""
    parsed = parse_timestamp(value)
    if parsed is None:
        raise ValueError(f"{name}: {value!r} is not a date or timestamp (use YYYY-MM-DD or YYYY-MM-DDTHH:MM:SSZ)")
    return parsed.strftime(_API_FORMAT)
