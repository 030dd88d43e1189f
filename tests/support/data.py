"""The real data the tests run on: the bundled sample of meetings and the earlier database."""

from __future__ import annotations

import copy
import json
from collections.abc import Iterable
from importlib import resources
from pathlib import Path
from typing import Any

from adapters.hearings.sources.record import RawRecord

REPO = Path(__file__).resolve().parents[2]
EARLIER_DB_NAME = "hearings-119-until-2025-08-31.db"
_SHARED = (REPO.parent / "shared" / "data" / "congress-119", Path("/work/shared/data/congress-119"))


def load_meetings() -> list[dict[str, Any]]:
    """The 1,168 real meetings (inner objects) from the package's bundled copy, a fresh copy."""
    text = resources.files("adapters.hearings").joinpath("data", "meetings.ndjson").read_text("utf-8")
    return [json.loads(line)["committeeMeeting"] for line in text.splitlines() if line.strip()]


def find_earlier_db() -> Path | None:
    """The real earlier database in ../shared (read only: tests copy it), when available."""
    for folder in _SHARED:
        if (folder / EARLIER_DB_NAME).is_file():
            return (folder / EARLIER_DB_NAME).resolve()
    return None


def records_of(items: Iterable[Any]) -> list[RawRecord]:
    """Items as a source yields them (1-based positions); a payload dict is copied, a RawRecord kept."""
    return [
        item if isinstance(item, RawRecord) else RawRecord(i, copy.deepcopy(item))
        for i, item in enumerate(items, start=1)
    ]


def write_ndjson(path: Path, lines: Iterable[bytes | str | dict[str, Any]]) -> Path:
    """One line per item: a dict as JSON, a string as it is (blank or broken lines), bytes raw
    (invalid UTF-8 allowed)."""
    with path.open("wb") as out:
        for item in lines:
            data = json.dumps(item).encode() if isinstance(item, dict) else item
            out.write((data.encode("utf-8") if isinstance(data, str) else data) + b"\n")
    return path


def write_meetings(path: Path, payloads: Iterable[dict[str, Any]]) -> Path:
    """NDJSON of meetings wrapped as the API's detail answers, ``{"committeeMeeting": {...}}``."""
    return write_ndjson(path, ({"committeeMeeting": p} for p in payloads))
