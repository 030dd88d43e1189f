"""A real PostgreSQL server for these tests, and a fresh database for each test.

With ``SQLBATCH_TEST_POSTGRES_URL`` set, that server is used (its role needs CREATEDB).
Otherwise the session starts a throwaway cluster with ``.ci/postgres.sh`` (as the
``postgres`` OS user when run as root, unix socket only) and stops it at the end. Without
server binaries the tests are skipped with the reason, except under ``CI=true``, where a
missing server fails them: CI must never pass by skipping the engine it claims to test.
"""

from __future__ import annotations

import os
import subprocess
import time
from collections.abc import Iterator

import pytest
from pg_cluster import SCRIPT, URL_ENV, Server, server_binaries, with_database

try:
    import psycopg
except ImportError:  # a dependency of the package: only a hand-made environment lacks it
    if os.environ.get("CI", "").lower() == "true":
        raise
    collect_ignore_glob = ["test_*.py"]


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but no PostgreSQL server for the tests: {reason}", pytrace=False)
    pytest.skip(reason)


_started: list[float] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _started:
        terminalreporter.write_line(f"postgres: throwaway cluster started in {_started[0]:.2f} s")


@pytest.fixture(scope="session")
def pg_server() -> Iterator[Server]:
    if os.environ.get(URL_ENV):
        yield Server(os.environ[URL_ENV], None, 0.0)
        return
    if server_binaries() is None:
        _unavailable("no PostgreSQL server binaries (pg_ctl) found: set PG_BIN or apt-get install postgresql")
    started = time.perf_counter()
    env = dict(os.environ, PG_BIN=server_binaries() or "")
    done = subprocess.run(["bash", str(SCRIPT), "start"], capture_output=True, text=True, env=env)
    if done.returncode != 0:  # the binaries are there: a cluster that will not start is a failure
        pytest.fail(f"the throwaway PostgreSQL cluster did not start: {done.stderr.strip()[-800:]}", pytrace=False)
    exports = dict(
        line.removeprefix("export ").split("=", 1) for line in done.stdout.splitlines() if line.startswith("export ")
    )
    url, base = (exports[k].strip("'") for k in (URL_ENV, "SQLBATCH_PG_BASE"))
    server = Server(url, base, time.perf_counter() - started)
    _started.append(server.start_seconds)
    try:
        yield server
    finally:
        subprocess.run(["bash", str(SCRIPT), "stop", base], capture_output=True, env=env)


@pytest.fixture
def pg_url(pg_server: Server) -> Iterator[str]:
    """The URL of a database created for this test alone, dropped after it."""
    name = pg_server.create_database()
    try:
        yield with_database(pg_server.url, name)
    finally:
        pg_server.drop_database(name)


@pytest.fixture
def pg_conn(pg_url: str) -> Iterator[psycopg.Connection]:
    """A connection to the test's database, autocommit off (psycopg's default)."""
    with psycopg.connect(pg_url) as conn:
        yield conn
