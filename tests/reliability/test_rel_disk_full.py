"""Scenario 2: the disk fills up mid-run.

Two real ways: a 1.2 MB tmpfs holding the database (needs root to mount; skipped otherwise),
and ``PRAGMA max_page_count`` set on the run's own connection by a wrapper around the real
command line (the limit is per connection, so it cannot come from the outside). Either way:
exit 3, one line that says what to do, nothing corrupted, committed batches kept, and a rerun
once there is room completes with the data of an undisturbed run.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import reliability as R
from tests.support.cli import cli_env, run_cli, run_process
from tests.support.data import load_meetings
from tests.support.db import query

# The real CLI, with every connection it opens limited to ``pages`` pages (0 = no limit).
LIMITED_CLI = textwrap.dedent("""
    import sys
    import adapters.hearings.cli as cli
    import adapters.hearings.cli_actions as actions
    pages = int(sys.argv[1])
    opened = actions.connect

    def connect(*args, **kwargs):
        conn = opened(*args, **kwargs)
        if pages:
            conn.execute(f"PRAGMA max_page_count = {pages}")
        return conn

    actions.connect = connect
    sys.exit(cli.main(sys.argv[2:]))
""")


def _payloads() -> tuple[dict[str, object], dict[int, str | None]]:
    meetings = load_meetings()
    return {m["eventId"]: m for m in meetings}, {i: m["eventId"] for i, m in enumerate(meetings, start=1)}


def _limited(pages: int, *args: str | Path, cwd: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-c", LIMITED_CLI, str(pages), *map(str, args)],
        cwd=cwd,
        env=cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


@pytest.fixture
def small_fs(tmp_path: Path) -> Iterator[Path]:
    """A 1.2 MB tmpfs (root only), unmounted afterwards."""
    mount = tmp_path / "small"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=1200k", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a small tmpfs here: {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def _check_abort(proc: subprocess.CompletedProcess[str], db: Path) -> int:
    assert proc.returncode == 3, proc.stderr
    assert "Traceback" not in proc.stderr
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1, proc.stderr
    assert "disk is full" in lines[0] and "free space" in lines[0] and "run again" in lines[0]
    result = json.loads(proc.stdout)
    assert result["status"] == "aborted"
    payloads, positions = _payloads()
    figures = R.assert_sound(db, payloads, positions=positions)
    assert 0 < figures["hearings"] < len(payloads)  # some batches committed before the disk filled
    assert figures["hearings"] == result["records_committed"] == figures["journaled_records"]
    return figures["hearings"]


def _reference(tmp_path: Path) -> dict[str, list[tuple[object, ...]]]:
    db = tmp_path / "reference.db"
    assert run_cli("run", "--db", db, "--quiet", cwd=tmp_path).returncode == 0
    return R.natural_dump(db)


def test_full_tmpfs_stops_cleanly_and_a_rerun_completes(tmp_path: Path, small_fs: Path) -> None:
    db = small_fs / "hearings.db"
    kept = _check_abort(run_process("run", "--db", db, "--json", cwd=tmp_path), db)
    subprocess.run(["mount", "-o", "remount,size=64m", str(small_fs)], check=True)  # space freed
    again = run_process("run", "--db", db, "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert json.loads(again.stdout)["status"] == "completed"
    payloads, positions = _payloads()
    R.assert_sound(db, payloads, positions=positions)
    assert R.natural_dump(db) == _reference(tmp_path)
    R.record_figures("disk_full_tmpfs", {"committed_before_full": kept, "records": len(payloads)})


@pytest.mark.parametrize("strategy", ["memory", "savepoint", "session"])
def test_max_page_count_stops_cleanly_and_a_rerun_completes(tmp_path: Path, strategy: str) -> None:
    db = tmp_path / "hearings.db"
    kept = _check_abort(_limited(250, "run", "--db", db, "--strategy", strategy, "--json", cwd=tmp_path), db)
    runs = query(db, "SELECT count(*) FROM sqlbatch_runs")
    assert runs == [(1,)]
    again = _limited(0, "run", "--db", db, "--strategy", strategy, "--json", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    # the aborted run's row reads "aborted" (or, when even that write found no space, "interrupted")
    assert query(db, "SELECT status FROM sqlbatch_runs ORDER BY run_id") in (
        [("aborted",), ("completed",)],
        [("interrupted",), ("completed",)],
    )
    payloads, positions = _payloads()
    R.assert_sound(db, payloads, positions=positions)
    assert R.natural_dump(db) == _reference(tmp_path)
    R.record_figures("disk_full_max_page_count", {"strategy": strategy, "committed_before_full": kept})
