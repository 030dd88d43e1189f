"""Scenario 4: a flaky Congress.gov API, served by a real local HTTP server.

``hearings-update run --source api`` runs as a child process against ``FakeCongressApi``
(tests/support/http_api.py) through ``CONGRESS_API_BASE_URL``. Transient faults (429 with
``Retry-After``, 500/502/503, truncated bodies, a timeout) are retried; a record whose payload
is bad (invalid JSON, an HTML page, a wrong shape, a 404) is quarantined by its eventId; an API
that stays down ends the run with exit 3 and leaves no partial meeting.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from adapters.hearings.sources import CongressClient, HttpRetry
from adapters.hearings.sources.payloads import listing_order
from tests.support import reliability as R
from tests.support.cli import cli_env, run_cli
from tests.support.hearings import quarantine_rows, update
from tests.support.http_api import FakeCongressApi, Reply, html, raw, slow, status, truncated

KEY = "rel-test-key-7f3a9c"
LIST = "/committee-meeting/119"
COMMITTEES = "/committee/119"


def _detail(meeting: dict[str, Any]) -> str:
    return f"/committee-meeting/119/{meeting['chamber'].lower()}/{meeting['eventId']}"


@pytest.fixture(scope="module")
def committees() -> list[dict[str, Any]]:
    data = resources.files("adapters.hearings").joinpath("data", "committees.json")
    return json.loads(data.read_text(encoding="utf-8"))


@pytest.fixture
def served(real_meetings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """120 real meetings with distinct update dates (the API lists them in that order)."""
    return [m for m in real_meetings if m["title"] and m["date"]][:120]


@pytest.fixture
def api(served: list[dict[str, Any]], committees: list[dict[str, Any]]) -> Iterator[FakeCongressApi]:
    with FakeCongressApi(served, committees, key=KEY) as server:
        yield server


def _run(api: FakeCongressApi, db: Path, cwd: Path, *extra: str) -> tuple[int, dict[str, Any] | None, str]:
    env = cli_env(CONGRESS_API_KEY=KEY, CONGRESS_API_BASE_URL=api.base_url)
    proc = run_cli("run", "--db", db, "--source", "api", "--since", "2020-01-01", "--json", *extra, cwd=cwd, env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    return proc.returncode, (json.loads(lines[0]) if lines else None), proc.stderr


def _sound(db: Path, served: list[dict[str, Any]]) -> dict[str, int]:
    return R.assert_sound(db, {m["eventId"]: m for m in served})


@pytest.mark.slow
def test_transient_faults_are_retried_and_every_meeting_commits(
    tmp_path: Path, api: FakeCongressApi, served: list[dict[str, Any]]
) -> None:
    reference = tmp_path / "reference.db"
    assert _run(api, reference, tmp_path)[0] == 0
    api.requests.clear()
    api.fail(COMMITTEES, status(500, Retry_After="0"), truncated(keep=30))
    api.fail(LIST, status(429, {"error": {"code": "OVER_RATE_LIMIT"}}, Retry_After="1"), status(502), offset=0)
    faults = {
        3: [status(503, Retry_After="0")],
        10: [truncated(keep=50)],
        20: [html(502)],
        30: [status(500), status(503, Retry_After="0")],
        40: [Reply(504, b"")],
    }
    for index, replies in faults.items():
        api.fail(_detail(served[index]), *replies)
    db = tmp_path / "flaky.db"
    code, result, err = _run(api, db, tmp_path)
    assert code == 0, err
    assert result is not None and result["records_committed"] == len(served)
    _sound(db, served)
    assert R.natural_dump(db) == R.natural_dump(reference)
    for index, replies in faults.items():  # each fault was met and retried
        assert len(api.requests_to(_detail(served[index]))) == len(replies) + 1
    injected = 2 + 2 + sum(map(len, faults.values()))
    R.record_figures("flaky_api_transient", {"faults_injected": injected, "records": len(served)})


@pytest.mark.parametrize(
    ("name", "reply"),
    [
        ("invalid JSON", raw(b'{"committeeMeeting": {"eventId": ')),
        ("HTML page", html(200)),
        ("wrong shape", status(200, {"committeeMeetings": []})),
        ("not found", status(404, {"error": "Unknown resource"})),
        ("another meeting", status(200, {"committeeMeeting": {"eventId": "1"}})),
        ("a JSON list", status(200, [1, 2, 3])),
    ],
)
def test_a_bad_detail_is_quarantined_and_its_neighbours_commit(
    tmp_path: Path, api: FakeCongressApi, served: list[dict[str, Any]], name: str, reply: Reply
) -> None:
    bad = served[57]
    api.fail(_detail(bad), reply, forever=True)
    db = tmp_path / "bad.db"
    code, result, err = _run(api, db, tmp_path)
    assert code == 1, err
    assert result is not None and result["records_committed"] == len(served) - 1
    assert [q["record_key"] for q in result["quarantined"]] == [bad["eventId"]]
    ((_, rule, _field, reason),) = quarantine_rows(db).values()
    # an HTTP status for the one meeting is a fetch failure (fetched again next run); a bad body is unreadable
    assert rule == ("fetch" if name == "not found" else "readable") and bad["eventId"] in reason
    assert name != "not found" or "HTTP 404" in reason
    figures = _sound(db, served)
    assert figures["hearings"] == len(served) - 1
    R.record_figures("flaky_api_bad_payload", {"case": name, "quarantined": 1})


def test_pagination_repeating_a_page_stores_no_duplicate(
    tmp_path: Path, real_meetings: list[dict[str, Any]], committees: list[dict[str, Any]]
) -> None:
    served = real_meetings[:300]  # two list pages of 250
    with FakeCongressApi(served, committees, key=KEY) as api:
        api.repeat_offsets = {250: 0}  # the second page repeats the first
        db = tmp_path / "repeat.db"
        code, result, err = _run(api, db, tmp_path)
    assert code == 0, err
    assert "repeated meetings already listed" in err  # said, not silent
    assert result is not None and result["records_total"] == result["records_committed"] == 250
    assert _sound(db, served)["hearings"] == 250


def test_pagination_shifting_once_is_read_again_and_every_meeting_commits(
    tmp_path: Path, real_meetings: list[dict[str, Any]], committees: list[dict[str, Any]]
) -> None:
    served = real_meetings[:300]
    with FakeCongressApi(served, committees, key=KEY) as api:
        api.repeat_offsets, api.repeat_budget = {250: 0}, 1  # the pages shift once, during the first read
        db = tmp_path / "shift.db"
        code, result, err = _run(api, db, tmp_path)
    assert code == 0, err
    assert "reading the list again" in err
    assert result is not None and result["records_total"] == result["records_committed"] == 300
    assert _sound(db, served)["hearings"] == 300


def test_an_api_that_stays_down_exits_3_with_nothing_partial(
    tmp_path: Path, api: FakeCongressApi, served: list[dict[str, Any]]
) -> None:
    api.fail(LIST, status(503, {"error": "Service Unavailable"}, Retry_After="0"), forever=True)
    db = tmp_path / "down.db"
    code, _result, err = _run(api, db, tmp_path)
    assert code == 3
    (line,) = [x for x in err.splitlines() if x.startswith("hearings-update")]
    assert "503" in line or "unavailable" in line.lower()
    if db.exists():
        assert _sound(db, served)["hearings"] == 0


def test_an_api_that_goes_down_mid_run_keeps_committed_batches(
    tmp_path: Path, api: FakeCongressApi, served: list[dict[str, Any]]
) -> None:
    for meeting in sorted(served, key=listing_order)[75:]:  # the order the client fetches details in
        api.fail(_detail(meeting), status(503, Retry_After="0"), forever=True)
    db = tmp_path / "midway.db"
    code, result, err = _run(api, db, tmp_path, "--batch-size", "25")
    assert code == 3, err
    assert "aborted" in err and "Traceback" not in err
    assert result is not None and result["status"] == "aborted"
    figures = _sound(db, served)
    assert figures["hearings"] == result["records_committed"] == 75  # three whole batches of 25
    R.record_figures("flaky_api_down_midway", {"committed_before_down": figures["hearings"]})


def test_a_timeout_is_retried(tmp_path: Path, api: FakeCongressApi, served: list[dict[str, Any]]) -> None:
    """The CLI's read timeout is 30 s; the library client takes a short one, same retry path."""
    for index in (5, 50):
        api.fail(_detail(served[index]), slow(1.0))
    policy = HttpRetry(max_attempts=3, backoff_initial=0.01, backoff_max=0.05, jitter=0)
    db = tmp_path / "timeout.db"
    with CongressClient(KEY, api.base_url, timeout=0.3, retry=policy) as client:
        result = update(db, client.iter_meetings(119, since="2020-01-01"))
    assert result.metrics.records_committed == len(served)
    _sound(db, served)
    assert len(api.requests_to(_detail(served[5]))) == 2
