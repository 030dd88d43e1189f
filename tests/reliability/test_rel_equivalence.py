"""Scenario 8: strategies are interchangeable under faults (memory, savepoint and session leave
byte-identical data, quarantine and counts for the same input), property-based.

Hypothesis draws an update of real meetings with faults mixed in (bad enums, unknown
committees, impossible dates, broken lines, non-objects, conflicting duplicates, control
characters, missing ids), a batch size and a failure mode, over a database that already
holds an earlier run. The same file through memory, savepoint and session must leave the
same data (ids and AUTOINCREMENT counters included), the same quarantine and the same counts.
"""

from __future__ import annotations

import copy
import tempfile
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from adapters.hearings.sources import read_path
from tests.support import reliability as R
from tests.support.data import load_meetings, write_ndjson
from tests.support.db import STRATEGIES, query
from tests.support.hearings import update

COUNTS = (
    "records_total",
    "records_committed",
    "records_added",
    "records_updated",
    "records_unchanged",
    "records_quarantined",
    "batch_count",
    "batches_failed",
)
_USABLE = [m for m in load_meetings() if m["title"] and m["date"]]
MEETINGS = _USABLE[:120]
FIRST = _USABLE[120]  # every update file starts with it: a file whose first line is '[' is a JSON array

Fault = Callable[[dict[str, Any]], dict[str, Any] | str]
FAULTS: dict[str, Fault] = {
    "none": lambda m: m,
    "chamber": lambda m: {**m, "chamber": "Moon"},
    "committee": lambda m: {**m, "committees": [{"systemCode": "zzzz99", "name": "None such"}]},
    "date": lambda m: {**m, "date": "2025-02-30T10:00:00Z"},
    "control": lambda m: {**m, "title": m["title"] + "\u0001"},
    "no id": lambda m: {k: v for k, v in m.items() if k != "eventId"},
    "broken": lambda m: '{"committeeMeeting": {"eventId": "' + m["eventId"],
    "list": lambda m: "[1, 2, 3]",
    "retitled": lambda m: {**m, "title": "Renamed: " + m["title"]},
}


def _records(draw: st.DrawFn) -> list[dict[str, Any] | str]:
    picks = draw(st.lists(st.integers(0, len(MEETINGS) - 1), min_size=5, max_size=50, unique=True))
    faults = draw(
        st.lists(st.sampled_from([*FAULTS, "none", "none", "none", "none"]), min_size=len(picks), max_size=len(picks))
    )
    lines: list[dict[str, Any] | str] = [
        FAULTS[f](copy.deepcopy(MEETINGS[i])) for i, f in zip(picks, faults, strict=True)
    ]
    duplicates = draw(st.lists(st.sampled_from(picks), max_size=3))
    for index in duplicates:  # a second copy with other content, later in the file
        lines.insert(
            draw(st.integers(0, len(lines))), {**MEETINGS[index], "location": {"room": "B-1", "building": "X"}}
        )
    return [FIRST, *lines]


@st.composite
def scenarios(draw: st.DrawFn) -> dict[str, Any]:
    return {
        "earlier": draw(st.lists(st.integers(0, len(MEETINGS) - 1), min_size=1, max_size=40, unique=True)),
        "lines": _records(draw),
        "batch_size": draw(st.integers(1, 16)),
        "on_failure": draw(st.sampled_from(["isolate", "skip-batch"])),
    }


def _outcome(db: Path, result: Any) -> tuple[Any, ...]:
    ids = query(db, "SELECT event_id, hearing_id FROM hearings ORDER BY hearing_id")
    sequence = query(db, "SELECT name, seq FROM sqlite_sequence WHERE name NOT LIKE 'sqlbatch%' ORDER BY name")
    quarantine = query(db, "SELECT record_key, rule, field, reason, status FROM sqlbatch_quarantine ORDER BY 1")
    counts = {name: getattr(result.metrics, name) for name in COUNTS}
    return R.natural_dump(db), ids, sequence, quarantine, counts, result.status


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenario=scenarios())
def test_strategies_leave_the_same_data_under_faults(scenario: dict[str, Any]) -> None:
    outcomes = {}
    with tempfile.TemporaryDirectory() as tmp:
        directory = Path(tmp)
        earlier = write_ndjson(directory / "earlier.ndjson", [MEETINGS[i] for i in scenario["earlier"]])
        source = write_ndjson(directory / "update.ndjson", scenario["lines"])
        for strategy in STRATEGIES:
            db = directory / f"{strategy}.db"
            update(db, read_path(earlier), strategy=strategy)
            result = update(
                db,
                read_path(source),
                strategy=strategy,
                batch_size=scenario["batch_size"],
                on_failure=scenario["on_failure"],
            )
            payloads = {m["eventId"]: m for m in MEETINGS}
            R.assert_sound(db, {k: v for k, v in payloads.items() if k not in _touched(scenario)})
            outcomes[strategy] = _outcome(db, result)
    assert outcomes["memory"] == outcomes["savepoint"] == outcomes["session"]
    R.record_figures(
        "equivalence",
        {"records": len(scenario["lines"]), "quarantined": outcomes["memory"][4]["records_quarantined"]},
    )


def _touched(scenario: dict[str, Any]) -> set[str]:
    """Event ids whose stored shape may legitimately differ from the pristine payload."""
    return {line["eventId"] for line in scenario["lines"] if isinstance(line, dict) and "eventId" in line}
