"""Fixtures for the hearings models/rules/mapping/schema/store tests: real data, real files."""

from __future__ import annotations

import copy
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import apsw
import pytest

from adapters.hearings.committees import load_bundled_committees, seed_committees
from adapters.hearings.mapping import meeting_rows
from adapters.hearings.models import parse_meeting
from adapters.hearings.rules import validate_meeting
from adapters.hearings.schema import ensure_schema
from adapters.hearings.store import write_meeting
from tests.support.data import find_earlier_db, load_meetings
from tests.support.db import open_raw


@pytest.fixture(scope="session")
def real_payloads() -> list[dict[str, Any]]:
    """The 1,168 real meetings (inner objects), from the package's bundled copy."""
    return load_meetings()


@pytest.fixture
def payloads(real_payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A deep copy a test may change."""
    return copy.deepcopy(real_payloads)


@pytest.fixture(scope="session")
def earlier_db_source() -> Path:
    """The real earlier database in ../shared (read only: tests copy it first)."""
    found = find_earlier_db()
    if found is None:
        pytest.skip("../shared/data/congress-119 is not available")
    return found


@pytest.fixture
def new_db(tmp_path: Path) -> Iterator[apsw.Connection]:
    """A new database file with the schema and the bundled committees."""
    conn = open_raw(tmp_path / "new.db")
    ensure_schema(conn)
    seed_committees(conn, load_bundled_committees())
    yield conn
    conn.close()


@pytest.fixture
def earlier_db(tmp_path: Path, earlier_db_source: Path) -> Iterator[apsw.Connection]:
    """A copy of the real earlier database in tmp_path, schema ensured."""
    target = tmp_path / "earlier.db"
    shutil.copyfile(earlier_db_source, target)
    conn = open_raw(target)
    ensure_schema(conn)
    yield conn
    conn.close()


Writer = Callable[[apsw.Connection, dict[str, Any]], str]


def _write(conn: apsw.Connection, payload: dict[str, Any]) -> str:
    meeting = parse_meeting(payload)
    validate_meeting(meeting)
    return write_meeting(conn, meeting_rows(meeting))


@pytest.fixture
def write() -> Writer:
    """parse → rules → map → store for one payload, returning the store's verdict."""
    return _write


@pytest.fixture
def dump() -> Callable[[apsw.Connection], dict[str, list[tuple[Any, ...]]]]:
    """Every row of every table (sqlite_sequence included), sorted, by table name."""

    def _dump(conn: apsw.Connection) -> dict[str, list[tuple[Any, ...]]]:
        tables = [name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
        return {t: sorted(conn.execute(f'SELECT * FROM "{t}"'), key=repr) for t in sorted(tables)}

    return _dump
