"""Scenario 7: the API key never shows: not in output, logs, exception texts or any table.

The key is distinctive (``KEY``); runs go against a real local server that, in the bad cases,
echoes the key back in its error bodies, HTML pages and detail answers, the way a careless
proxy might. After each run stdout, stderr, every row of every table (journal and quarantine
included) and the ``status``/``quarantine`` outputs are searched for the key and its halves.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Iterator
from importlib import resources
from pathlib import Path
from typing import Any

import pytest

from adapters.hearings.sources import ApiError, CongressClient, HttpRetry
from tests.support import reliability as R
from tests.support.cli import cli_env, run_cli
from tests.support.hearings import update
from tests.support.http_api import FakeCongressApi, Reply, html, raw, status, truncated

KEY = "SECRETkey-4f9c2b7e81d3a6Z0"
LIST = "/committee-meeting/119"
ECHO = f"request with api_key={KEY} refused".encode()


def _leaks(text: str) -> list[str]:
    return [piece for piece in (KEY, KEY[:12], KEY[-12:]) if piece in text]


@pytest.fixture(scope="module")
def committees() -> list[dict[str, Any]]:
    return json.loads(resources.files("adapters.hearings").joinpath("data", "committees.json").read_text("utf-8"))


@pytest.fixture
def served(real_meetings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return real_meetings[:40]


@pytest.fixture
def api(served: list[dict[str, Any]], committees: list[dict[str, Any]]) -> Iterator[FakeCongressApi]:
    with FakeCongressApi(served, committees, key=KEY) as server:
        yield server


def _detail(meeting: dict[str, Any]) -> str:
    return f"/committee-meeting/119/{meeting['chamber'].lower()}/{meeting['eventId']}"


Script = Callable[[FakeCongressApi, list[dict[str, Any]]], None]

SCENARIOS: dict[str, tuple[Script, set[int]]] = {
    "clean run": (lambda api, served: None, {0}),
    "key refused (403) echoing the key": (
        lambda api, served: api.fail(LIST, Reply(403, ECHO, {"Content-Type": "text/plain"}), forever=True),
        {2},
    ),
    "401 with the key in JSON": (
        lambda api, served: api.fail(LIST, status(401, {"error": ECHO.decode()}), forever=True),
        {2},
    ),
    "500s forever echoing the key": (
        lambda api, served: api.fail(LIST, Reply(500, ECHO, {"Retry-After": "0"}), forever=True),
        {3},
    ),
    "detail 404 echoing the key": (
        lambda api, served: api.fail(_detail(served[3]), status(404, {"error": ECHO.decode()}), forever=True),
        {1},
    ),
    "detail HTML page with the key": (
        lambda api, served: api.fail(_detail(served[4]), html(200), raw(b"<html>" + ECHO + b"</html>"), forever=True),
        {1},
    ),
    "detail invalid JSON with the key": (
        lambda api, served: api.fail(_detail(served[5]), raw(b'{"key": "' + KEY.encode()), forever=True),
        {1},
    ),
    "detail of another meeting named after the key": (
        lambda api, served: api.fail(_detail(served[6]), status(200, {"committeeMeeting": {"eventId": KEY}})),
        {1},
    ),
    "detail 500 for good echoing the key (fetch quarantine)": (
        lambda api, served: api.fail(_detail(served[8]), Reply(500, ECHO, {"Retry-After": "0"}), forever=True),
        {1},
    ),
    "truncated list then down": (
        lambda api, served: api.fail(LIST, truncated(10), Reply(503, ECHO, {"Retry-After": "0"}), forever=True),
        {3},
    ),
}


@pytest.mark.parametrize("name", list(SCENARIOS))
def test_key_never_appears_after_an_api_run(
    tmp_path: Path, api: FakeCongressApi, served: list[dict[str, Any]], name: str
) -> None:
    script, codes = SCENARIOS[name]
    script(api, served)
    db = tmp_path / "h.db"
    env = cli_env(CONGRESS_API_KEY=KEY, CONGRESS_API_BASE_URL=api.base_url)
    proc = run_cli("run", "--db", db, "--source", "api", "--since", "2020-01-01", "--json", cwd=tmp_path, env=env)
    assert proc.returncode in codes, proc.stderr
    assert "Traceback" not in proc.stderr
    assert not _leaks(proc.stdout + proc.stderr), proc.stdout + proc.stderr
    assert api.requests and all(r.headers.get("x-api-key") == KEY for r in api.requests)  # it was really sent
    assert all(KEY not in r.raw_target for r in api.requests)  # never in a URL
    if db.exists():
        assert not _leaks(R.dump_all_tables(db))
        for command in ("status", "quarantine"):
            shown = run_cli(command, "--db", db, "--json", cwd=tmp_path, env=env)
            assert not _leaks(shown.stdout + shown.stderr)
        R.assert_sound(db)
    R.record_figures("secrets", {"case": name, "exit": proc.returncode, "requests": len(api.requests)})


def test_key_never_in_exceptions_or_logs(
    tmp_path: Path, api: FakeCongressApi, served: list[dict[str, Any]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    logging.getLogger("httpx").setLevel(logging.DEBUG)
    logging.getLogger("httpcore").setLevel(logging.DEBUG)
    for meeting in served[:3]:
        api.fail(_detail(meeting), Reply(404, ECHO), forever=True)
    policy = HttpRetry(max_attempts=2, backoff_initial=0.01, backoff_max=0.01, jitter=0)
    db = tmp_path / "h.db"
    with CongressClient(KEY, api.base_url, retry=policy, timeout=2.0) as client:
        assert KEY not in repr(client)
        update(db, client.iter_meetings(119, since="2020-01-01"))
        api.fail(LIST, Reply(500, ECHO), forever=True)
        with pytest.raises(ApiError) as down:
            client.list_meetings(119)
    texts = [str(down.value), repr(down.value), str(down.value.__cause__ or ""), str(down.value.__context__ or "")]
    assert not _leaks("\n".join(texts))
    assert not _leaks(caplog.text), "the key is in a log record"
    assert not _leaks("\n".join(str(r.args) for r in caplog.records))
    assert not _leaks(R.dump_all_tables(db))


@pytest.mark.parametrize(
    "dot_env",
    [
        f"CONGRESS_API_KEY={KEY}\nBATCH_SIZE=lots\n",
        f"CONGRESS_API_KEY={KEY} {KEY}\n",
        f"CONGRESS_API_KEY={KEY}\nCONGRESS_API_BASE_URL=ftp://{KEY}@mirror\n",
        pytest.param(  # connection refused: retried with backoff for about 10 s, then exit 3
            f"CONGRESS_API_KEY={KEY}\nCONGRESS_API_BASE_URL=http://127.0.0.1:9/v3?api_key={KEY}\n",
            marks=pytest.mark.slow,
        ),
    ],
    ids=["other bad setting", "key with a space", "key in a bad base url", "unreachable url with key in query"],
)
def test_key_never_in_dot_env_error_messages(tmp_path: Path, dot_env: str) -> None:
    (tmp_path / ".env").write_text(dot_env, encoding="utf-8")
    proc = run_cli("run", "--db", tmp_path / "h.db", "--source", "api", "--since", "2025-01-01", cwd=tmp_path)
    assert proc.returncode in (2, 3), proc.stderr
    assert "Traceback" not in proc.stderr
    assert not _leaks(proc.stdout + proc.stderr), proc.stderr
    if (tmp_path / "h.db").exists():
        assert not _leaks(R.dump_all_tables(tmp_path / "h.db"))


@pytest.mark.parametrize(("max_wait", "code"), [("30", 0), ("0.5", 3)], ids=["waits", "over the budget"])
def test_key_never_in_the_rate_limit_messages(tmp_path: Path, api: FakeCongressApi, max_wait: str, code: int) -> None:
    """A 429 without Retry-After echoing the key: the waiting line, or the exit-3 line, never shows it."""
    api.fail(LIST, Reply(429, ECHO, {"Content-Type": "text/plain"}))
    db = tmp_path / "h.db"
    env = cli_env(
        CONGRESS_API_KEY=KEY,
        CONGRESS_API_BASE_URL=api.base_url,
        # the waiting line shows waits of 1 s or more: 3 s leaves a loaded machine 2 s to reach the wait
        API_RATE_WINDOW_SECONDS="3",
        API_MAX_WAIT_SECONDS=max_wait,
    )
    proc = run_cli("run", "--db", db, "--source", "api", "--since", "2020-01-01", "--json", cwd=tmp_path, env=env)
    assert proc.returncode == code, proc.stderr
    said = "rate limit: waiting" if code == 0 else "rate limit is used up"
    assert said in proc.stderr and "Traceback" not in proc.stderr
    assert "api_key=*** refused" in proc.stderr or code == 0  # the server's text is quoted, masked
    assert not _leaks(proc.stdout + proc.stderr), proc.stderr
    assert not _leaks(R.dump_all_tables(db))
