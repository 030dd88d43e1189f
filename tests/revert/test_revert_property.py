"""Property: any sequence of 1–4 processor runs, reverted in reverse order, gives back the start.

A small generic schema: a parent/child foreign key with ON DELETE CASCADE, an AUTOINCREMENT
child table, a WITHOUT ROWID table, NULLs, BLOBs and REALs, a CHECK some records break (they
are quarantined, the rest of their batch commits). Each run uses a random strategy and batch
size; each revert is checked against the state the run started from, read by a second
connection. ``sqlite_sequence`` may stay advanced: a revert never hands out an id again
(the documented decision, ``sqlbatch/_revert.py``); rows come back with their own ids.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import sqlbatch
from sqlbatch import RevertError, revert
from tests.support import revert as rs
from tests.support.generic_schema import apply, build, ops, snapshot

runs = st.lists(
    st.tuples(st.sampled_from(rs.STRATEGIES), st.integers(1, 4), st.lists(ops, min_size=1, max_size=8)),
    min_size=1,
    max_size=4,
)


def run(path: Path, n: int, strategy: str, batch_size: int, batch_ops: list[tuple[Any, ...]]) -> int:
    conn = sqlbatch.connect(path)
    try:
        records = [{"key": f"r{n}-{i}", "op": op} for i, op in enumerate(batch_ops)]
        processor = sqlbatch.Processor(
            conn, apply, batch_size=batch_size, strategy=strategy, key=lambda r: r["key"], payload=repr
        )
        result = processor.run(records)
        bad = sum(1 for op in batch_ops if op[0] == "put_parent" and op[2] == "bad")
        assert len(result.quarantined) == bad
        return result.run_id
    finally:
        conn.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs, st.sampled_from(rs.STRATEGIES))
def test_runs_reverted_in_reverse_order_give_back_the_start(plan: list[tuple[str, int, list]], undo_by: str) -> None:
    """``undo_by``: the strategy the reverts themselves record their changes with."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.db"
        build(path)
        states = [snapshot(path)]
        run_ids = []
        for n, (strategy, batch_size, batch_ops) in enumerate(plan):
            run_ids.append(run(path, n, strategy, batch_size, batch_ops))
            states.append(snapshot(path))
        last_revert = None
        for run_id, (expected, _) in zip(reversed(run_ids), reversed(states[:-1]), strict=True):
            conn = sqlbatch.connect(path)
            last_revert = None
            try:
                result = revert(conn, run_id, strategy=undo_by)
                restored, last_revert = result.rows_restored, result.revert_run
                event(f"a revert restored {'no' if not restored else 'some'} rows")
            except RevertError:  # only a run that changed nothing has nothing to revert
                assert conn.query_value("SELECT count(*) FROM sqlbatch_undo WHERE run_id=?", (run_id,)) == 0
            finally:
                conn.close()
            tables, seq = snapshot(path)
            assert tables == expected
            assert seq >= states[0][1]  # never handed out again
        assert snapshot(path)[0] == states[0][0]
        if last_revert is not None:  # the revert of the first run is a run: reverting it redoes that run
            conn = sqlbatch.connect(path)
            try:
                revert(conn, last_revert, strategy=undo_by)
            except RevertError:  # the first run's changes netted out: its revert changed nothing
                assert conn.query_value("SELECT changes FROM sqlbatch_undo WHERE run_id=?", (last_revert,)) == 0
            finally:
                conn.close()
            assert snapshot(path)[0] == states[1][0]
