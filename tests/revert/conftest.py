"""Fixtures of the revert tests: the real meetings, and a database after run A and run B."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.support import revert as rs


@pytest.fixture(scope="session")
def payloads() -> list[dict[str, Any]]:
    """The 1,168 real meetings (treat as read only: helpers copy what they change)."""
    return rs.real_payloads()


@pytest.fixture
def make_ab(tmp_path: Path, payloads: list[dict[str, Any]]) -> Callable[..., rs.AB]:
    def make(strategy: str = "memory", **options: Any) -> rs.AB:
        path = tmp_path / f"ab-{strategy}.db"
        run_a = rs.update(path, payloads[: rs.RUN_A], strategy, **options)
        after_a, exact_a = rs.natural_snapshot(path), rs.exact_snapshot(path)
        b_payloads, changed = rs.run_b_payloads(payloads)
        run_b = rs.update(path, b_payloads, strategy, **options)
        assert (run_a.status, run_b.status) == ("completed", "completed"), run_b.quarantined
        return rs.AB(path, run_a, run_b, after_a, rs.natural_snapshot(path), exact_a, rs.exact_snapshot(path), changed)

    return make
