"""A fault-injected update from a real NDJSON file: exactly the bad records are quarantined.

Good real meetings are mixed with an unknown committee, a bad date, a bad chamber, a line
that is not JSON and a record without ``eventId``; the run goes through ``read_path`` (the
file source the CLI uses) and ``run_update``; the results are read back from the file.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from adapters.hearings.sources import read_path
from tests.support.data import write_ndjson
from tests.support.db import STRATEGIES, query
from tests.support.hearings import FaultFile, dump_data, make_fault_file, quarantine_rows, update


@pytest.fixture
def faults(tmp_path: Path, real_payloads: list[dict[str, Any]]) -> FaultFile:
    return make_fault_file(tmp_path, real_payloads)


def _stored(path: Path) -> set[str]:
    return {e for (e,) in query(path, "SELECT event_id FROM hearings")}


@pytest.mark.parametrize("batch_size", [1, 4, 50])
@pytest.mark.parametrize("strategy", STRATEGIES)
def test_exactly_the_bad_records_are_quarantined(
    tmp_path: Path, faults: FaultFile, strategy: str, batch_size: int
) -> None:
    db = tmp_path / "h.db"
    result = update(db, read_path(faults.path), strategy=strategy, batch_size=batch_size)

    m = result.metrics
    assert result.status == "completed_with_quarantine"
    assert (m.records_total, m.records_added, m.records_quarantined) == (faults.records, len(faults.good), 5)
    assert {q.record_key: (q.rule, q.field) for q in result.quarantined} == faults.bad
    assert all(q.reason and q.batch >= 1 for q in result.quarantined)
    # a batch holding a bad record counts as failed, in the metrics as in the journal
    assert (m.batch_count, m.batches_failed) == (-(-faults.records // batch_size), faults.failing_batches(batch_size))
    assert m.batches_succeeded == m.batch_count - m.batches_failed
    assert len(m.batch_errors) == m.batches_failed
    journal = query(db, "SELECT count(*) FROM sqlbatch_batches WHERE status != 'committed'")
    assert journal == [(m.batches_failed,)]
    assert _stored(db) == set(faults.good)
    table = quarantine_rows(db)
    assert {k: (rule, field) for k, (status, rule, field, _) in table.items()} == faults.bad
    assert {status for status, *_ in table.values()} == {"quarantined"}
    assert "zzzz99" in table[next(k for k, v in faults.bad.items() if v[0] == "committee_exists")][3]
    assert "line 7" in table["#7"][3]
    assert query(db, "PRAGMA foreign_key_check") == [] and query(db, "PRAGMA integrity_check") == [("ok",)]


def test_a_later_run_with_the_records_fixed_resolves_them(tmp_path: Path, faults: FaultFile) -> None:
    db = tmp_path / "h.db"
    update(db, read_path(faults.path), batch_size=4)
    fixed_file = write_ndjson(tmp_path / "fixed.ndjson", faults.fixed)

    result = update(db, read_path(fixed_file))

    keyed = {k for k in faults.bad if not k.startswith("#")}
    assert result.status == "completed" and result.quarantined == []
    assert (result.metrics.records_added, result.metrics.records_resolved) == (3, 3)
    assert _stored(db) == set(faults.good) | keyed
    table = quarantine_rows(db)
    assert {k for k, v in table.items() if v[0] == "resolved"} == keyed
    # A positional key (#N) names a line of one file, not a meeting: no later record carries it,
    # so those entries stay quarantined until someone deals with them.
    assert {k for k, v in table.items() if v[0] == "quarantined"} == {"#7", "#9"}
    assert query(db, "SELECT count(*) FROM sqlbatch_quarantine WHERE status = 'resolved' AND resolved_run = 2") == [
        (3,)
    ]


def test_skip_batch_rolls_back_every_batch_holding_a_bad_record(tmp_path: Path, faults: FaultFile) -> None:
    db = tmp_path / "h.db"
    result = update(db, read_path(faults.path), batch_size=4, on_failure="skip-batch")

    # batches of 4 records in file order (the blank line is not a record):
    # [g g g unknown] [date #7 chamber #9] [g g g g] [g]
    assert _stored(db) == set(faults.good[3:])
    m = result.metrics
    assert (m.batch_count, m.batches_failed, m.batches_succeeded) == (4, faults.failing_batches(4), 2)
    assert m.records_added == len(faults.good) - 3
    assert set(faults.bad) <= {q.record_key for q in result.quarantined}


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_all_or_nothing_applies_nothing_and_lists_the_failures(
    tmp_path: Path, faults: FaultFile, real_payloads: list[dict[str, Any]], strategy: str
) -> None:
    db = tmp_path / "h.db"
    update(db, [])  # a new, empty database with its committees
    before = dump_data(db)

    result = update(db, read_path(faults.path), all_or_nothing=True, strategy=strategy)

    assert result.status == "rolled_back" and result.mode != "batched"
    assert {q.record_key: (q.rule, q.field) for q in result.quarantined} == faults.bad
    assert dump_data(db) == before
