"""A real PostgreSQL server for these tests, and a fresh database for each test.

With ``SQLBATCH_TEST_POSTGRES_URL`` set, that server is used (its role needs CREATEDB).
Otherwise the session starts a throwaway cluster with ``.ci/postgres.sh`` (as the
``postgres`` OS user when run as root, unix socket only) and stops it at the end. Without
server binaries the tests are skipped with the reason, except under ``CI=true``, where a
missing server fails them: CI must never pass by skipping the engine it claims to test.
"""

from __future__ import annotations

import itertools
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

try:
    import psycopg
except ImportError:  # a dependency of the package: only a hand-made environment lacks it
    if os.environ.get("CI", "").lower() == "true":
        raise
    collect_ignore_glob = ["test_*.py"]

SCRIPT = Path(__file__).resolve().parents[2] / ".ci" / "postgres.sh"
URL_ENV = "SQLBATCH_TEST_POSTGRES_URL"


def server_binaries() -> str | None:
    """The folder holding ``pg_ctl``, found the way ``.ci/postgres.sh`` finds it."""
    if os.environ.get("PG_BIN"):
        return os.environ["PG_BIN"] if Path(os.environ["PG_BIN"], "pg_ctl").exists() else None
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/pg_ctl"), key=lambda p: int(p.parts[-3]))
    if found:
        return str(found[-1].parent)
    on_path = shutil.which("pg_ctl")
    return str(Path(on_path).parent) if on_path else None


def with_database(url: str, dbname: str) -> str:
    """The same server URL pointing at another database (query, host and user kept)."""
    parts = urlsplit(url)  # urlunsplit would drop the empty host of "postgresql:///db?host=/dir"
    query = f"?{parts.query}" if parts.query else ""
    return f"{parts.scheme}://{parts.netloc}/{dbname}{query}"


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"CI=true but no PostgreSQL server for the tests: {reason}", pytrace=False)
    pytest.skip(reason)


_started: list[float] = []


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    if _started:
        terminalreporter.write_line(f"postgres: throwaway cluster started in {_started[0]:.2f} s")


class Server:
    """The server the session uses: its maintenance URL, and how long it took to start."""

    def __init__(self, url: str, base: str | None, start_seconds: float) -> None:
        self.url = url
        self.base = base
        self.start_seconds = start_seconds
        self._names = itertools.count(1)

    def create_database(self) -> str:
        name = f"sqlbatch_t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url, autocommit=True) as admin:
            # FILE_COPY from template0: ~45 ms here, no per-test WAL of the template
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 STRATEGY FILE_COPY')
        return name

    def drop_database(self, name: str) -> None:
        with psycopg.connect(self.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


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
    if done.returncode != 0:
        _unavailable(f"the throwaway cluster did not start: {done.stderr.strip()[-500:]}")
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
