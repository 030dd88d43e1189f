"""Scenario 1: the updater killed with SIGKILL at random moments of a 20,000-record run.

After every kill a second connection finds the database sound (integrity, foreign keys, no
partial meeting, journal consistent with the data); a final rerun completes and leaves the
same data, by natural keys, as one uninterrupted run into a fresh database. Ctrl-C (SIGINT)
ends a run with exit 3 and one line, and a rerun resumes.
"""

from __future__ import annotations

import json
import random
import signal
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest

from tests.support import reliability as R
from tests.support.cli import CLI, cli_env
from tests.support.data import write_ndjson
from tests.support.db import query

RECORDS = 20_000
BAD_EVERY = 397  # one bad chamber every 397 records: 51 batches bisect
KILLS = 10
SEED = 20251129


def _big_input(directory: Path, meetings: list[dict[str, Any]]) -> tuple[Path, dict[str, Any], dict[int, str | None]]:
    payloads: dict[str, Any] = {}
    positions: dict[int, str | None] = {}
    lines = []
    for i in range(RECORDS):
        meeting = {**meetings[i % len(meetings)], "eventId": str(900_000 + i)}
        bad = i % BAD_EVERY == 5
        if bad:
            meeting["chamber"] = "Moon"
        payloads[meeting["eventId"]] = meeting
        positions[i + 1] = None if bad else meeting["eventId"]
        lines.append({"committeeMeeting": meeting})
    return write_ndjson(directory / "big.ndjson", lines), payloads, positions


def _start(db: Path, source: Path, cwd: Path) -> subprocess.Popen[str]:
    args = [*CLI, "run", "--db", str(db), "--source", str(source), "--batch-size", "50", "--json"]
    return subprocess.Popen(
        args,
        cwd=cwd,
        env=cli_env(),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_interruptible,
    )


def _interruptible() -> None:
    """Ctrl-C as at a terminal: a suite started in the background (``cmd &`` in a script)
    ignores SIGINT, and the ignoring is inherited, so the run would never see the signal."""
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def _where(db: Path) -> str:
    """Where the killed run was: its committed batches and the last batch's status."""
    if not db.exists():
        return "before the database was created"
    try:
        rows = query(
            db,
            "SELECT b.run_id, count(*), sum(b.committed), max(b.status = 'partial') FROM sqlbatch_batches b "
            "WHERE b.run_id = (SELECT max(run_id) FROM sqlbatch_runs) GROUP BY b.run_id",
        )
    except Exception:  # noqa: BLE001 - the journal may not exist yet
        return "before the journal was created"
    if not rows:
        return "before its first commit"
    run_id, batches, committed, bisected = rows[0]
    return f"run {run_id} after {batches} batches ({committed} records{', bisected before' if bisected else ''})"


def _remove(db: Path) -> None:
    for leftover in db.parent.glob(db.name + "*"):
        leftover.unlink()


@pytest.mark.slow
def test_sigkill_at_random_moments_loses_only_whole_batches(tmp_path: Path, meetings: list[dict[str, Any]]) -> None:
    source, payloads, positions = _big_input(tmp_path, meetings)
    rng = random.Random(SEED)

    reference = tmp_path / "reference.db"
    done = _start(reference, source, tmp_path)
    out, err = done.communicate(timeout=120)
    assert done.returncode == 1, err  # completed, the bad chambers quarantined
    full_run_s = json.loads(out)["duration_s"]
    expected = R.natural_dump(reference)
    assert len(expected["hearings"]) == sum(e is not None for e in positions.values())

    db = tmp_path / "killed.db"
    kills: list[str] = []
    completed_early = resumed = 0
    while len(kills) < KILLS:
        if resumed == 3:  # a fresh file now and then: kills early in a first run, not only in resumes
            _remove(db)
            resumed = 0
        proc = _start(db, source, tmp_path)
        time.sleep(rng.uniform(0.2, 0.3 + full_run_s))
        proc.kill()
        out, err = proc.communicate(timeout=60)
        if proc.returncode != -9:  # finished before the kill: start again on a fresh file
            # 1: it met bad records; 0: a resume that began after the last bad one met none
            assert proc.returncode in (0, 1), err
            assert (proc.returncode == 1) == (json.loads(out)["records_quarantined"] > 0)
            completed_early += 1
            R.assert_sound(db, payloads, positions=positions)
            _remove(db)
            resumed = 0
            continue
        kills.append(_where(db))
        resumed += 1
        if db.exists():
            R.assert_sound(db, payloads, positions=positions)

    final = _start(db, source, tmp_path)
    out, err = final.communicate(timeout=120)
    assert final.returncode == 1, err
    R.assert_sound(db, payloads, positions=positions)
    assert R.natural_dump(db) == expected
    # every bad record is quarantined once, with its rule, whichever run met it
    bad = {str(900_000 + i) for i in range(RECORDS) if i % BAD_EVERY == 5}
    rules = dict(query(db, "SELECT record_key, rule FROM sqlbatch_quarantine WHERE status = 'quarantined'"))
    assert set(rules) == bad and set(rules.values()) == {"chamber_valid"}
    R.record_figures(
        "crash",
        {"records": RECORDS, "kills": len(kills), "completed_before_kill": completed_early, "where": kills},
    )


def test_ctrl_c_stops_with_one_line_and_a_rerun_resumes(tmp_path: Path, meetings: list[dict[str, Any]]) -> None:
    """SIGINT (Ctrl-C) in the middle of a run: exit 3, one line on stderr, committed batches kept."""
    lines = [{"committeeMeeting": {**meetings[i % len(meetings)], "eventId": str(800_000 + i)}} for i in range(6000)]
    source = write_ndjson(tmp_path / "many.ndjson", lines)
    db = tmp_path / "h.db"
    proc = _start(db, source, tmp_path)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and proc.poll() is None:
        try:
            if query(db, "SELECT count(*) FROM sqlbatch_batches WHERE committed > 0")[0][0] >= 2:
                break
        except Exception:  # noqa: BLE001 - the file or its journal tables are not there yet
            pass
        time.sleep(0.05)
    assert proc.poll() is None, "the run ended before it could be interrupted: give it more meetings"
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    assert proc.returncode == 3, (out, err)
    (line,) = err.splitlines()
    assert line == "hearings-update: aborted: interrupted: run again to resume; committed batches are kept"
    assert json.loads(out)["status"] == "aborted"
    kept = query(db, "SELECT count(*) FROM hearings")[0][0]
    assert 0 < kept < len(lines)
    again = _start(db, source, tmp_path)
    out, err = again.communicate(timeout=120)
    assert again.returncode == 0, err
    assert json.loads(out)["records_resumed"] > 0
    assert query(db, "SELECT count(*) FROM hearings") == [(len(lines),)]
