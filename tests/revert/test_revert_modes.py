"""Revert of runs made in the other processor modes: all-or-nothing, commit groups, and a run
whose post-run check compensated a batch (its before-images are dropped with it)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

import sqlbatch
from sqlbatch import Issue, RevertRefused, revert
from tests.support import revert as rs
from tests.support.generic_schema import apply, build, snapshot


@pytest.mark.parametrize(
    "options", [{"all_or_nothing": True}, {"commit_interval_ms": 600_000}], ids=["all-or-nothing", "commit-groups"]
)
def test_revert_b_of_other_modes(make_ab: Callable[..., rs.AB], options: dict[str, Any]) -> None:
    ab = make_ab("memory", **options)
    conn = sqlbatch.connect(ab.path)
    try:
        revert(conn, ab.run_b.run_id)
    finally:
        conn.close()
    assert rs.natural_snapshot(ab.path) == ab.after_a
    assert rs.exact_snapshot(ab.path) == ab.exact_a


def flagged_parents(conn: sqlbatch.Connection) -> list[Issue]:
    """A cross-batch rule: no parent may be named 'flag'."""
    return [
        Issue("no_flag", "parent named 'flag'", rows=(("parent", {"id": pid}),))
        for (pid,) in conn.raw.execute("SELECT id FROM parent WHERE name='flag'")
    ]


@pytest.mark.parametrize("strategy", rs.STRATEGIES)
def test_revert_of_a_run_with_a_compensated_batch(tmp_path: Path, strategy: str) -> None:
    path = tmp_path / "comp.db"
    build(path)
    start, _ = snapshot(path)
    ops = [
        ("put_parent", 10, "ten", b"\x00", None),
        ("add_child", 10, "t", None),
        ("put_parent", 2, "flag", None, 2.0),  # batch 2: undone by the post-run check
        ("put_tag", "c", b"\x01"),
        ("del_parent", 1),
        ("put_tag", "a", None),
    ]
    conn = sqlbatch.connect(path)
    try:
        processor = sqlbatch.Processor(
            conn,
            apply,
            batch_size=2,
            strategy=strategy,
            key=lambda r: r["key"],
            payload=repr,
            final_validators=[flagged_parents],
        )
        result = processor.run([{"key": f"k{i}", "op": op} for i, op in enumerate(ops)])
    finally:
        conn.close()
    assert result.metrics.batches_compensated == 1
    assert {q.record_key for q in result.quarantined} == {"k2", "k3"}
    assert rs.query(path, "SELECT name FROM parent WHERE id=2") == [(None,)]  # batch 2 undone
    assert rs.query(path, "SELECT batch_no FROM sqlbatch_undo WHERE run_id=?", (result.run_id,)) == [(1,), (3,)]

    conn = sqlbatch.connect(path)
    try:
        revert(conn, result.run_id)
    finally:
        conn.close()
    assert snapshot(path)[0] == start


def test_reverting_a_batch_that_a_later_batch_of_the_run_built_on_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "batches.db"
    build(path)
    start, _ = snapshot(path)
    conn = sqlbatch.connect(path)
    try:
        records = [{"key": "a", "op": ("put_parent", 2, "x", None, None)}, {"key": "b", "op": ("del_parent", 2)}]
        run = sqlbatch.Processor(conn, apply, batch_size=1, key=lambda r: r["key"], payload=repr).run(records)
        after, _ = snapshot(path)
        with pytest.raises(RevertRefused) as caught:
            revert(conn, run.run_id, batch=1)
    finally:
        conn.close()
    (conflict,) = caught.value.conflicts
    assert conflict.later_run == run.run_id and conflict.current is None  # batch 2 deleted it
    assert conflict.recorded_after is not None and conflict.recorded_after["name"] == "x"
    assert snapshot(path)[0] == after
    conn = sqlbatch.connect(path)
    try:
        revert(conn, run.run_id, batch=2)
        revert(conn, run.run_id, batch=1)  # in reverse order: fine
    finally:
        conn.close()
    assert snapshot(path)[0] == start
