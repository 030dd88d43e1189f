"""The hearings updater's post-run checks (foreign keys, every hearing linked) on real data."""

from __future__ import annotations

import shutil
from pathlib import Path

import apsw

import sqlbatch
from adapters.hearings.sources import read_sample
from adapters.hearings.updater import UpdateOptions, hearings_all_linked, prepare_database, run_update


def _run(path: Path) -> sqlbatch.RunResult:
    conn = sqlbatch.connect(path)
    try:
        prepare_database(conn)
        return run_update(conn, read_sample(), UpdateOptions(), source="sample")
    finally:
        conn.close()


def test_sample_run_passes_the_post_run_checks(tmp_path: Path) -> None:
    result = _run(tmp_path / "h.db")
    assert result.status == "completed"
    assert not [w for w in result.warnings if w.rule in ("foreign_key", "committee_link")]
    conn = sqlbatch.connect(tmp_path / "h.db")
    try:
        assert hearings_all_linked(conn) == [] and sqlbatch.foreign_key_check(conn) == []
    finally:
        conn.close()


def test_older_unlinked_hearing_is_reported_not_blamed_on_the_run(tmp_path: Path, earlier_db_source: Path) -> None:
    """A hearing without committee links written by hand before the run: a warning naming it;
    the run's own work all commits and the run is not marked as failed."""
    path = tmp_path / "earlier.db"
    shutil.copyfile(earlier_db_source, path)
    raw = apsw.Connection(str(path))
    raw.execute(
        "INSERT INTO hearings(event_id, congress, chamber, title, hearing_type, status)"
        " VALUES ('hand-made', 119, 'House', 'typed by hand', 'Hearing', 'Scheduled')"
    )
    raw.close()
    result = _run(path)
    assert result.status == "completed"
    assert result.metrics.records_added == 141 and result.metrics.batches_compensated == 0
    found = [w for w in result.warnings if w.rule == "committee_link"]
    assert [(w.record, w.severity) for w in found] == [("hand-made", "warning")]
    assert "did not write" in found[0].message
