"""Scenario 11: the hourly limit (5,000 requests an hour per key, counted over a rolling hour).

The local server counts requests like api.data.gov over a short window (``API_RATE_WINDOW_SECONDS``
tells the client the same length) and answers 429 without ``Retry-After`` when a request is
over; ``X-RateLimit-Remaining`` falls to 0 on the way. Promised: the run waits for the window,
saying on stderr what for and until when, and completes within ``API_MAX_WAIT_SECONDS``; when
the wait would exceed it, exit 3 with one line, committed batches kept, and a later run
resumes from the cursor and ends equal to an undisturbed run.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

import sqlbatch
from adapters.hearings.committees import seed_committees
from adapters.hearings.updater import prepare_database
from tests.support import reliability as R
from tests.support.cli import cli_env, run_cli
from tests.support.db import query
from tests.support.http_api import FakeCongressApi

KEY = "rel-rate-key-93ab"
MEETINGS = 20


@pytest.fixture(scope="module")
def committees() -> list[dict[str, Any]]:
    return json.loads(resources.files("adapters.hearings").joinpath("data", "committees.json").read_text("utf-8"))


@pytest.fixture
def served(real_meetings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [m for m in real_meetings if m["title"] and m["date"]][:MEETINGS]


@pytest.fixture
def api(served: list[dict[str, Any]], committees: list[dict[str, Any]]) -> Iterator[FakeCongressApi]:
    with FakeCongressApi(served, committees, key=KEY) as server:
        yield server


def _daily(db: Path, committees: list[dict[str, Any]]) -> Path:
    """A database that holds the 119th's committees already, as a daily run finds it: the run
    then asks for no committee detail, so every request counted here is the scenario's."""
    conn = sqlbatch.connect(str(db))
    try:
        prepare_database(conn)
        seed_committees(conn.raw, committees, congress=119)
        conn.restore_journal_mode()
    finally:
        conn.close()
    return db


def _run(api: FakeCongressApi, db: Path, cwd: Path, **env: str) -> tuple[int, dict[str, Any] | None, str, float]:
    settings = cli_env(CONGRESS_API_KEY=KEY, CONGRESS_API_BASE_URL=api.base_url, **env)
    t0 = time.monotonic()
    proc = run_cli("run", "--db", db, "--source", "api", "--json", "--batch-size", "5", cwd=cwd, env=settings)
    took = time.monotonic() - t0
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return proc.returncode, (json.loads(lines[0]) if lines else None), proc.stderr, took


@pytest.mark.slow
def test_a_rate_limited_run_waits_for_the_window_and_completes(
    tmp_path: Path, api: FakeCongressApi, served: list[dict[str, Any]], committees: list[dict[str, Any]]
) -> None:
    # 8 requests per 2 s, all 8 already spent by another program: the first request gets a 429
    window = api.limit_rate(8, 2.0, spent=8)
    db = _daily(tmp_path / "h.db", committees)
    code, result, err, took = _run(api, db, tmp_path, API_RATE_WINDOW_SECONDS="2", API_MAX_WAIT_SECONDS="30")
    assert code == 0, err
    assert result is not None and result["records_added"] == MEETINGS
    assert window.rejected == 1  # the first request, before the client knew the count; never again
    assert window.admitted == 2 + MEETINGS  # committees, the list page, the details
    waits = [line for line in err.splitlines() if line.startswith("rate limit: waiting")]
    assert waits, err
    assert all(re.search(r"until \d\d:\d\d:\d\d UTC, for the Congress.gov API's request window", w) for w in waits)
    assert "(8 requests per 2 s per key;" in waits[-1]
    assert 2.0 <= took < 30  # at least one window waited, well within API_MAX_WAIT_SECONDS
    R.assert_sound(db, {m["eventId"]: m for m in served})
    R.record_figures(
        "rate_limit_wait", {"requests": window.admitted, "waits_said": len(waits), "run_s": round(took, 1)}
    )


@pytest.mark.slow
def test_beyond_api_max_wait_seconds_the_run_stops_with_exit_3_and_a_later_run_resumes(
    tmp_path: Path, api: FakeCongressApi, served: list[dict[str, Any]], committees: list[dict[str, Any]]
) -> None:
    reference = _daily(tmp_path / "reference.db", committees)
    assert _run(api, reference, tmp_path)[0] == 0
    window = api.limit_rate(8, 60.0)  # 8 requests a minute: the 9th would wait ~60 s
    db = _daily(tmp_path / "h.db", committees)
    code, result, err, took = _run(api, db, tmp_path, API_RATE_WINDOW_SECONDS="60", API_MAX_WAIT_SECONDS="5")
    assert code == 3, err
    assert took < 20  # it did not wait a budget it could not finish in
    (line,) = [x for x in err.splitlines() if x.startswith("hearings-update")]
    assert "rate limit is used up" in line and "beyond API_MAX_WAIT_SECONDS=5" in line
    assert re.search(r"run again after \d\d:\d\d UTC to resume", line)
    assert window.rejected == 0  # stopped before asking: the count was known
    assert result is not None and result["status"] == "aborted"
    committed = result["records_committed"]
    assert committed == 5  # committees + list + 6 details: one whole batch of 5, the 6th not committed
    assert query(db, "SELECT count(*) FROM hearings") == [(committed,)]

    api.rate = None  # an hour later: the key's window is free again
    code, result, err, _ = _run(api, db, tmp_path)  # default cursor
    assert code == 0, err
    assert result is not None and result["records_added"] == MEETINGS - committed
    assert R.natural_dump(db) == R.natural_dump(reference)  # nothing skipped by the resume
    R.assert_sound(db, {m["eventId"]: m for m in served})
    R.record_figures("rate_limit_over_budget", {"committed_before_stop": committed, "stopped_after_s": round(took, 1)})
