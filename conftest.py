"""pytest configuration shared by the test suite and the benchmarks.

The suite runs on ``-n auto`` xdist workers (``addopts``); a benchmark times one thing at a
time, and pytest-benchmark stops measuring (and asserting its thresholds) under xdist, so a
run of ``bench/`` alone stays in this one process.
"""

from __future__ import annotations

from pathlib import Path

import pytest

_BENCH = Path(__file__).resolve().parent / "bench"


def pytest_xdist_auto_num_workers(config: pytest.Config) -> int | None:
    """0 workers (no xdist) when every path asked for lies in ``bench/``; else xdist's default."""
    asked = [Path(arg.split("::")[0]).resolve() for arg in config.args]
    if asked and all(path == _BENCH or _BENCH in path.parents for path in asked):
        return 0
    return None
