"""Fixtures of the revert tests: the real meetings, and a database after run A and run B."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import revert_support as rs

from sqlbatch import RunResult


@pytest.fixture(scope="session")
def payloads() -> list[dict[str, Any]]:
    """The 1,168 real meetings (treat as read only: helpers copy what they change)."""
    return rs.real_payloads()


@dataclass
class AB:
    """A database file after run A (the first meetings) and run B (changes + new meetings)."""

    path: Path
    run_a: RunResult
    run_b: RunResult
    after_a: dict[str, list[tuple[Any, ...]]]  # natural snapshot
    after_b: dict[str, list[tuple[Any, ...]]]
    exact_a: dict[str, list[tuple[Any, ...]]]  # data tables by rowid
    exact_b: dict[str, list[tuple[Any, ...]]]
    changed: dict[str, list[str]]  # event ids B changed, by kind of change


@pytest.fixture
def make_ab(tmp_path: Path, payloads: list[dict[str, Any]]) -> Callable[..., AB]:
    def make(strategy: str = "memory", **options: Any) -> AB:
        path = tmp_path / f"ab-{strategy}.db"
        run_a = rs.update(path, payloads[: rs.RUN_A], strategy, **options)
        after_a, exact_a = rs.natural_snapshot(path), rs.exact_snapshot(path)
        b_payloads, changed = rs.run_b_payloads(payloads)
        run_b = rs.update(path, b_payloads, strategy, **options)
        assert (run_a.status, run_b.status) == ("completed", "completed"), run_b.quarantined
        return AB(path, run_a, run_b, after_a, rs.natural_snapshot(path), exact_a, rs.exact_snapshot(path), changed)

    return make
