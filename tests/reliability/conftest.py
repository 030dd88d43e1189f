"""Fixtures for the reliability scenarios (issue 6): real processes, real files, real HTTP.

The hearings test helpers (``cli_support``, ``http_fixture``) are reused from ``tests/hearings``.
"""

from __future__ import annotations

import copy
import sys
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "hearings"))
sys.path.insert(0, str(Path(__file__).resolve().parent))

import rel_support as R  # noqa: E402


@pytest.fixture(scope="session")
def real_meetings() -> list[dict[str, Any]]:
    """The 1,168 real meetings (inner objects) bundled with the package."""
    return R.load_meetings()


@pytest.fixture
def meetings(real_meetings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A deep copy a test may change."""
    return copy.deepcopy(real_meetings)
