"""Undo retention: before-images older than UNDO_RETENTION_DAYS are pruned at the next run,
and a revert of such a run fails clearly (what happened, what to do), changing nothing."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import sqlbatch
from sqlbatch import RevertError, revert
from tests.support import revert as rs


def age(path: Path, run_id: int, days: float) -> None:
    """Make a run look ``days`` old (by hand, as time would)."""
    rs.execute(
        path,
        "UPDATE sqlbatch_runs SET started_at=strftime('%Y-%m-%dT%H:%M:%fZ', 'now', ?) WHERE run_id=?",
        (f"-{days} days", run_id),
    )


def undo_runs(path: Path) -> set[int]:
    return {r[0] for r in rs.query(path, "SELECT DISTINCT run_id FROM sqlbatch_undo")}


def three_runs(path: Path, payloads: list[dict[str, Any]], ages: tuple[float, float], retention: float) -> list[int]:
    """Two runs made ``ages`` days old, then a third with ``retention`` (which prunes)."""
    first = rs.update(path, payloads[0:40]).run_id
    second = rs.update(path, payloads[40:80]).run_id
    age(path, first, ages[0])
    age(path, second, ages[1])
    assert undo_runs(path) == {first, second}
    third = rs.update(path, payloads[80:120], undo_retention_days=retention).run_id
    return [first, second, third]


def test_older_before_images_are_pruned_and_their_revert_fails_clearly(
    tmp_path: Path, payloads: list[dict[str, Any]]
) -> None:
    path = tmp_path / "r.db"
    first, second, third = three_runs(path, payloads, (31, 29), retention=30)
    assert undo_runs(path) == {second, third}
    before = rs.exact_snapshot(path, journal=True)
    conn = sqlbatch.connect(path)
    try:
        with pytest.raises(RevertError) as caught:
            revert(conn, first)
    finally:
        conn.close()
    message = str(caught.value)
    assert f"run {first}" in message and "pruned" in message  # what happened
    assert "UNDO_RETENTION_DAYS" in message and "backup" in message  # what to do
    assert rs.exact_snapshot(path, journal=True) == before
    conn = sqlbatch.connect(path)
    try:
        assert revert(conn, third).rows_restored > 0  # a recent run still reverts
    finally:
        conn.close()


def test_retention_zero_keeps_before_images_forever(tmp_path: Path, payloads: list[dict[str, Any]]) -> None:
    path = tmp_path / "z.db"
    runs = three_runs(path, payloads, (4000, 400), retention=0)
    assert undo_runs(path) == set(runs)


def test_the_setting_reaches_the_command_line(tmp_path: Path, payloads: list[dict[str, Any]]) -> None:
    path = tmp_path / "c.db"
    first = rs.update(path, payloads[0:40]).run_id
    second = rs.update(path, payloads[40:80]).run_id
    age(path, first, 11)
    age(path, second, 9)
    source = rs.write_ndjson(tmp_path / "c.ndjson", payloads[80:120])
    done = rs.cli("run", "--db", str(path), "--source", str(source), "--quiet", env={"UNDO_RETENTION_DAYS": "10"})
    assert done.returncode == 0, done.stderr
    assert undo_runs(path) == {second, second + 1}
    before = rs.exact_snapshot(path, journal=True)
    refused = rs.cli("revert", "--db", str(path), str(first))
    assert refused.returncode == 2 and "pruned" in refused.stderr and "UNDO_RETENTION_DAYS" in refused.stderr
    assert rs.exact_snapshot(path, journal=True) == before


def test_status_of_a_pruned_run_says_so(tmp_path: Path, payloads: list[dict[str, Any]]) -> None:
    path = tmp_path / "s.db"
    first, second, third = three_runs(path, payloads, (31, 29), retention=30)
    code, pruned = rs.cli_json("status", "--db", str(path), str(first))
    assert code == 0 and pruned["changes"] == {} and pruned["changes_pruned"] is True
    code, kept = rs.cli_json("status", "--db", str(path), str(second))
    assert code == 0 and kept["changes"]["hearings"]["inserted"] == 40 and kept["changes_pruned"] is False
    human = rs.cli("status", "--db", str(path), str(first))
    assert human.returncode == 0 and "before-images were pruned" in human.stdout
    assert "no row changes" not in human.stdout
