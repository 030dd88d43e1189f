"""``Processor(setup=...)``: the run's setup writes inside its first unit of work, journaled as
batch 0 with its before-images, so ``revert`` undoes it; in all-or-nothing mode it is part of
the one transaction; a dry run rolls it back; a failing setup aborts with nothing written."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import sqlbatch
from sqlbatch.audit import run_changes
from tests.support import revert as rs
from tests.support.generic_schema import apply, build, snapshot

MODES = {"batched": {}, "all-or-nothing": {"all_or_nothing": True}}
# the records build on the row the setup writes: a child of parent 50 is added only if it exists
OPS = [("add_child", 50, "of the seed", None), ("put_tag", "z", 1), ("put_tag", "y", 2)]


def seed(uow: sqlbatch.UnitOfWork) -> None:
    calls.append(uow.name)
    uow.execute("INSERT INTO parent VALUES (50, 'seeded', NULL, NULL)")


calls: list[str | None] = []


def _run(path: Path, mode: str, strategy: str = "memory", **kw: Any) -> sqlbatch.RunResult:
    calls.clear()
    conn = sqlbatch.connect(path)
    try:
        kw = {"setup": seed, **MODES[mode], **kw}
        processor = sqlbatch.Processor(conn, apply, batch_size=2, strategy=strategy, key=lambda r: r["key"], **kw)
        return processor.run([{"key": f"k{i}", "op": op} for i, op in enumerate(OPS)])
    finally:
        conn.close()


@pytest.mark.parametrize("strategy", rs.STRATEGIES)
@pytest.mark.parametrize("mode", MODES)
def test_setup_is_journaled_and_reverted_with_the_run(tmp_path: Path, mode: str, strategy: str) -> None:
    path = tmp_path / "setup.db"
    build(path)
    start, _ = snapshot(path)
    result = _run(path, mode, strategy)
    assert result.status == "completed" and len(calls) == 1  # once per run, before batch 1
    assert rs.query(path, "SELECT name FROM parent WHERE id=50") == [("seeded",)]
    assert rs.query(path, "SELECT v FROM child WHERE parent_id=50") == [("of the seed",)]
    conn = sqlbatch.connect(path)
    try:
        changes = run_changes(conn, result.run_id)
        assert ("parent", "INSERT", (50,)) in [(c.table, c.op, c.key) for c in changes]
        assert rs.query(path, "SELECT min(batch_no) FROM sqlbatch_undo WHERE run_id=?", (result.run_id,)) == [(0,)]
        sqlbatch.revert(conn, result.run_id)
    finally:
        conn.close()
    assert snapshot(path)[0] == start  # the seeded row went with the run


@pytest.mark.parametrize("mode", MODES)
def test_setup_of_a_dry_run_is_rolled_back(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "dry.db"
    build(path)
    start = snapshot(path)
    conn = sqlbatch.connect(path)
    try:
        processor = sqlbatch.Processor(conn, apply, setup=seed, batch_size=2, key=lambda r: r["key"], **MODES[mode])
        result = processor.run([{"key": f"k{i}", "op": op} for i, op in enumerate(OPS)], dry_run=True)
    finally:
        conn.close()
    assert result.dry_run and result.status == "completed"
    assert ("parent", "INSERT", (50,)) in [(c.table, c.op, c.key) for c in result.changes]  # what would change
    assert snapshot(path) == start


@pytest.mark.parametrize("mode", MODES)
def test_a_failing_setup_aborts_the_run_with_nothing_written(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "fail.db"
    build(path)
    start = snapshot(path)

    def failing(uow: sqlbatch.UnitOfWork) -> None:
        uow.execute("INSERT INTO parent VALUES (51, 'half', NULL, NULL)")
        raise RuntimeError("the seed list is unreadable")

    conn = sqlbatch.connect(path)
    try:
        processor = sqlbatch.Processor(conn, apply, setup=failing, key=lambda r: r["key"], **MODES[mode])
        with pytest.raises(sqlbatch.ProcessorAborted, match="the seed list is unreadable") as info:
            processor.run([{"key": f"k{i}", "op": op} for i, op in enumerate(OPS)])
        assert conn.active_unit is None and not conn.in_transaction
        conn.session().close()  # the capture was freed
    finally:
        conn.close()
    assert info.value.result.status == "aborted" and info.value.result.metrics.records_committed == 0
    assert snapshot(path) == start
    assert rs.query(path, "SELECT count(*) FROM sqlbatch_batches") == [(0,)]
    assert rs.query(path, "SELECT count(*) FROM sqlbatch_undo") == [(0,)]
    assert rs.query(path, "SELECT status FROM sqlbatch_runs") == [("aborted",)]


def test_an_error_on_a_row_the_setup_wrote_is_reported_not_compensated(tmp_path: Path) -> None:
    path = tmp_path / "check.db"
    build(path)

    def seeded_is_wrong(conn: sqlbatch.Connection) -> list[sqlbatch.Issue]:
        if conn.query_value("SELECT 1 FROM parent WHERE id=50"):
            return [sqlbatch.Issue("no_seed", "parent 50 must not exist", rows=(("parent", {"id": 50}),))]
        return []

    result = _run(path, "batched", final_validators=[seeded_is_wrong])
    assert result.status == "completed_with_errors"  # the run's own setup wrote it: an error
    assert result.metrics.batches_compensated == 0 and not result.quarantined
    assert [i.rule for i in result.warnings if i.severity == "error"] == ["no_seed"]
    assert rs.query(path, "SELECT name FROM parent WHERE id=50") == [("seeded",)]  # left for a revert
