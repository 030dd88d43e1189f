"""Fixtures of the core tests: a seeded database file per test and its reference twin."""

from __future__ import annotations

from pathlib import Path

import pytest

import sqlbatch
from tests.support import core as core_support


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A real database file with the core schema and seed rows."""
    path = tmp_path / "core.db"
    core_support.build(path)
    return path


@pytest.fixture
def ref_path(tmp_path: Path) -> Path:
    """A second, identical database the reference statements are applied to with plain APSW."""
    path = tmp_path / "reference.db"
    core_support.build(path)
    return path


@pytest.fixture
def conn(db_path: Path):
    """``sqlbatch.connect`` on the seeded file; closed at the end if still open."""
    connection = sqlbatch.connect(db_path)
    yield connection
    connection.raw.close()  # idempotent; also ends a unit a failing test left open
