"""The API's timestamp format (``YYYY-MM-DDTHH:MM:SSZ``, UTC) and lenient parsing of its dates."""

from __future__ import annotations

from datetime import UTC, date, datetime

__all__ = ["api_timestamp", "parse_timestamp"]

_API_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse_timestamp(value: object) -> datetime | None:
    """An aware UTC datetime from an API date string, or ``None`` when it is not one.

    Accepts the forms the API uses (``2025-01-28T23:08:16Z``, ``2023-03-27 18:11:19+00:00``)
    and plain dates (``2025-01-28``, midnight UTC). Naive values are taken as UTC.
    """
    if isinstance(value, datetime):
        parsed = value
    elif isinstance(value, date):
        parsed = datetime(value.year, value.month, value.day)
    elif isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.strip())
        except ValueError:
            return None
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
