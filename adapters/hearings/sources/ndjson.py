"""NDJSON parsing: one record a line, streamed, one bad line never hides the others."""

from __future__ import annotations

from collections.abc import Iterable, Iterator

from .jsontext import JsonTextError, decode_json
from .record import RawRecord, unwrap

__all__ = ["iter_ndjson"]

_BOM = b"\xef\xbb\xbf"


def iter_ndjson(lines: Iterable[tuple[int, bytes]]) -> Iterator[RawRecord]:
    """Turn numbered raw lines into records; ``position`` is the 1-based line number.

    Blank (whitespace-only) lines are skipped and are not records. A line that is not valid
    UTF-8 or not valid JSON yields ``RawRecord(line, None, error="line N: invalid ...")``.
    A ``{"committeeMeeting": {...}}`` wrapper is removed; any other JSON value is kept as
    the payload (the validators decide what to do with it).
    """
    for number, raw in lines:
        if number == 1:
            raw = raw.removeprefix(_BOM)
        if not raw.strip():
            continue
        try:
            value = decode_json(raw)
        except JsonTextError as exc:
            yield RawRecord(number, None, error=f"line {number}: {exc}")
            continue
        yield RawRecord(number, unwrap(value))
