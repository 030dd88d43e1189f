"""The throwaway cluster's plumbing shared by the fixture and the tests: where the server
binaries are, the script that starts one, and the per-test databases on a server."""

from __future__ import annotations

import itertools
import os
import shutil
from pathlib import Path
from urllib.parse import urlsplit

__all__ = ["SCRIPT", "URL_ENV", "Server", "server_binaries", "with_database"]

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


class Server:
    """The server the session uses: its maintenance URL, and how long it took to start."""

    def __init__(self, url: str, base: str | None, start_seconds: float) -> None:
        self.url = url
        self.base = base
        self.start_seconds = start_seconds
        self._names = itertools.count(1)

    def create_database(self) -> str:
        import psycopg  # here, not at import: the conftest imports this module before it knows psycopg is there

        name = f"sqlbatch_t{os.getpid()}_{next(self._names)}"
        with psycopg.connect(self.url, autocommit=True) as admin:
            # FILE_COPY from template0: ~45 ms here, no per-test WAL of the template
            admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0 STRATEGY FILE_COPY')
        return name

    def drop_database(self, name: str) -> None:
        import psycopg

        with psycopg.connect(self.url, autocommit=True) as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
