"""Fixtures for the reliability scenarios (issue 6): real processes, real files, real HTTP."""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tests.support.data import load_meetings


@pytest.fixture(scope="session")
def real_meetings() -> list[dict[str, Any]]:
    """The 1,168 real meetings (inner objects) bundled with the package."""
    return load_meetings()


@pytest.fixture
def meetings(real_meetings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A deep copy a test may change."""
    return copy.deepcopy(real_meetings)
