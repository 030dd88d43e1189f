"""The change report (``sqlbatch.audit``) against the real net change of the data tables.

The truth is computed independently: two snapshots read by a second connection, diffed by
row identity (rowid, or the key of a WITHOUT ROWID table).
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import sqlbatch
from sqlbatch.audit import run_changes, summarize
from tests.support import revert as rs
from tests.support.generic_schema import apply, build, ops, snapshot


def report(changes: list[Any]) -> dict[str, Any]:
    return rs.counts_of({t: s.to_dict() for t, s in summarize(changes).items()})


@pytest.mark.parametrize("mode", [{}, {"all_or_nothing": True}, {"commit_interval_ms": 600_000}], ids=str)
@pytest.mark.parametrize("strategy", rs.STRATEGIES)
def test_dry_run_reports_the_net_diff_of_the_real_run(
    tmp_path: Path, payloads: list[dict[str, Any]], strategy: str, mode: dict[str, Any]
) -> None:
    path = tmp_path / "dry.db"
    rs.update(path, payloads[: rs.RUN_A], strategy)
    before = rs.exact_snapshot(path, journal=True)
    b_payloads, _ = rs.run_b_payloads(payloads)
    dry = rs.update(path, b_payloads, strategy, dry_run=True, **mode)
    assert dry.dry_run and rs.exact_snapshot(path, journal=True) == before
    real = rs.update(path, b_payloads, strategy, **mode)
    truth = rs.net_diff(before, rs.exact_snapshot(path))
    assert report(dry.changes) == truth
    conn = sqlbatch.connect(path)
    try:
        assert report(run_changes(conn, real.run_id)) == truth  # what `status RUN_ID` shows
    finally:
        conn.close()


def key_diff(before: dict[str, list[tuple]], after: dict[str, list[tuple]]) -> dict[str, Any]:
    """Net change per table, rows identified by their first column (the key in the generic schema)."""
    return rs.net_diff(
        {t: [(r[0], *r) for r in rows] for t, rows in before.items()},
        {t: [(r[0], *r) for r in rows] for t, rows in after.items()},
    )


@settings(max_examples=30, deadline=None)
@given(st.sampled_from(rs.STRATEGIES), st.integers(1, 4), st.lists(ops, min_size=1, max_size=10))
def test_the_change_report_of_any_run_is_its_net_diff(strategy: str, batch_size: int, run_ops: list) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "a.db"
        build(path)
        before, _ = snapshot(path)
        conn = sqlbatch.connect(path)
        try:
            records = [{"key": f"k{i}", "op": op} for i, op in enumerate(run_ops)]
            result = sqlbatch.Processor(
                conn, apply, batch_size=batch_size, strategy=strategy, key=lambda r: r["key"], payload=repr
            ).run(records)
        finally:
            conn.close()
        after, _ = snapshot(path)
        conn = sqlbatch.connect(path)
        try:
            assert report(run_changes(conn, result.run_id)) == key_diff(before, after)
        finally:
            conn.close()
