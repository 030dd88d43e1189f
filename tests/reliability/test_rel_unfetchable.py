"""Scenario 10: one meeting the API cannot serve (its detail answers 500 for weeks).

A real local server; the command line as a child process. Promised: the meeting is
quarantined under its eventId with rule ``fetch`` and the HTTP status in the reason, the
others are stored, exit 1; every later run asks for it again by id although the cursor moved
past it, until it goes in (then ``resolved``). A 403 for one meeting is the same; a 403 that
names the key, or a list that stays down, is still fatal.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from adapters.hearings.sources.payloads import listing_order
from tests.support import reliability as R
from tests.support.cli import cli_env, run_cli
from tests.support.db import query
from tests.support.hearings import quarantine_rows
from tests.support.http_api import FakeCongressApi, status

KEY = "rel-fetch-key-5d1e"
LIST = "/committee-meeting/119"


def _detail(meeting: dict[str, Any]) -> str:
    return f"/committee-meeting/119/{meeting['chamber'].lower()}/{meeting['eventId']}"


@pytest.fixture(scope="module")
def committees() -> list[dict[str, Any]]:
    return json.loads(resources.files("adapters.hearings").joinpath("data", "committees.json").read_text("utf-8"))


@pytest.fixture
def served(real_meetings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """60 real meetings in the order the client fetches them."""
    return sorted([m for m in real_meetings if m["title"] and m["date"]][:60], key=listing_order)


@pytest.fixture
def api(served: list[dict[str, Any]], committees: list[dict[str, Any]]) -> Iterator[FakeCongressApi]:
    with FakeCongressApi(served, committees, key=KEY) as server:
        yield server


def _run(api: FakeCongressApi, db: Path, cwd: Path, *extra: str) -> tuple[int, dict[str, Any] | None, str]:
    env = cli_env(CONGRESS_API_KEY=KEY, CONGRESS_API_BASE_URL=api.base_url)
    proc = run_cli("run", "--db", db, "--source", "api", "--json", "--batch-size", "10", *extra, cwd=cwd, env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return proc.returncode, (json.loads(lines[0]) if lines else None), proc.stderr


@pytest.mark.slow
def test_one_meeting_answering_500_is_quarantined_then_fetched_by_id_until_it_goes_in(
    tmp_path: Path, api: FakeCongressApi, served: list[dict[str, Any]]
) -> None:
    reference = tmp_path / "reference.db"
    assert _run(api, reference, tmp_path, "--since", "2020-01-01")[0] == 0
    bad = served[25]
    api.requests.clear()
    api.fail(_detail(bad), status(500, {"error": "Internal Server Error"}), forever=True)  # no Retry-After

    db = tmp_path / "h.db"
    code, result, err = _run(api, db, tmp_path, "--since", "2020-01-01")
    assert code == 1, err
    assert result is not None and result["status"] == "completed_with_quarantine"
    assert result["records_committed"] == len(served) - 1
    assert [(q["record_key"], q["rule"]) for q in result["quarantined"]] == [(bad["eventId"], "fetch")]
    assert len(api.requests_to(_detail(bad))) == 5  # retried with backoff first (HttpRetry.max_attempts)
    ((state, rule, _field, reason),) = quarantine_rows(db).values()
    assert (state, rule) == ("quarantined", "fetch") and reason.startswith("HTTP 500")
    cursor = query(db, "SELECT cursor FROM sqlbatch_runs WHERE run_id = 1")[0][0]
    assert cursor > bad["updateDate"]  # the cursor moved past the meeting: only the by-id fetch can bring it
    R.assert_sound(db, {m["eventId"]: m for m in served})

    api.clear_faults()
    api.fail(_detail(bad), status(404, {"error": "Unknown resource"}), forever=True)  # now another status
    api.requests.clear()
    code, result, err = _run(api, db, tmp_path)  # default cursor
    assert code == 1, err
    assert len(api.requests_to(_detail(bad))) == 1  # asked again by id, a 404 is not retried
    assert query(db, "SELECT attempts, reason LIKE 'HTTP 404%' FROM sqlbatch_quarantine") == [(2, 1)]

    api.clear_faults()  # the API serves it again
    api.requests.clear()
    code, result, err = _run(api, db, tmp_path)
    assert code == 0, err
    assert result is not None and result["records_added"] == 1 and result["records_resolved"] == 1
    assert len(api.requests_to(_detail(bad))) == 1
    assert quarantine_rows(db)[bad["eventId"]][:2] == ("resolved", "fetch")
    assert R.natural_dump(db) == R.natural_dump(reference)
    code, result, _ = _run(api, db, tmp_path)  # resolved: not asked for by id any more
    assert code == 0 and result is not None and result["records_added"] == 0
    assert len(api.requests_to(_detail(bad))) == 1
    R.record_figures("unfetchable", {"meetings": len(served), "runs_until_resolved": 3})


def test_a_403_for_one_meeting_is_quarantined_but_a_403_naming_the_key_is_fatal(
    tmp_path: Path, api: FakeCongressApi, served: list[dict[str, Any]]
) -> None:
    api.fail(_detail(served[7]), status(403, {"error": "Forbidden"}), forever=True)
    db = tmp_path / "h.db"
    code, result, err = _run(api, db, tmp_path, "--since", "2020-01-01")
    assert code == 1, err
    assert result is not None and result["records_committed"] == len(served) - 1
    ((_state, rule, _field, reason),) = quarantine_rows(db).values()
    assert rule == "fetch" and reason.startswith("HTTP 403")

    key_refused = {"error": {"code": "API_KEY_INVALID", "message": "An invalid api_key was supplied."}}
    api.clear_faults()
    api.fail(_detail(served[7]), status(403, key_refused), forever=True)
    db2 = tmp_path / "h2.db"
    code, result, err = _run(api, db2, tmp_path, "--since", "2020-01-01")
    # fatal: the run stops; it met the key's 403 inside its first batch, nothing applied: a configuration error
    assert code == 2, err
    assert "refused the key" in err and "CONGRESS_API_KEY" in err
    assert R.assert_sound(db2, {m["eventId"]: m for m in served})["hearings"] == 0
    assert query(db2, "SELECT count(*) FROM sqlbatch_quarantine") == [(0,)]


def test_details_failing_one_after_another_mean_the_api_is_down(
    tmp_path: Path, api: FakeCongressApi, served: list[dict[str, Any]]
) -> None:
    """Not one bad meeting but a dead API: stop (exit 3), never quarantine the rest of the day."""
    for meeting in served[30:]:
        api.fail(_detail(meeting), status(503, Retry_After="0"), forever=True)
    db = tmp_path / "h.db"
    code, result, err = _run(api, db, tmp_path, "--since", "2020-01-01")
    assert code == 3, err
    assert "in a row failed: the API is down" in err
    assert result is not None and result["records_committed"] == 30
    assert query(db, "SELECT count(*) FROM sqlbatch_quarantine") == [(0,)]  # the batch with them never committed
