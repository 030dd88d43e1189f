"""P1: 500 real meetings end to end into a new database (read, map, detect changes, apply with
children, validate, journal), processing time as reported by the run itself (``duration_s``).

Goal (issue 4/5): <= 50 ms processing. Not reached yet (about 80-95 ms measured), so the
asserted limit is looser (CI smoke on a noisy shared 2-core machine); the median is printed and
stored in ``extra_info``. Run: ``pytest bench/test_bench_hearings.py -s``
"""

from __future__ import annotations

import itertools
import statistics
from pathlib import Path

import pytest

import sqlbatch
from adapters.hearings.sources.sample import read_sample
from adapters.hearings.updater import UpdateOptions, prepare_database, run_update

MEETINGS = 500
P1_GOAL_S, P1_LIMIT_S = 0.050, 0.250
ROUNDS = 7


@pytest.fixture(scope="module")
def meetings() -> list:
    return list(itertools.islice(read_sample(), MEETINGS))


def _one_run(path: Path, records: list, strategy: str) -> float:
    conn = sqlbatch.connect(path)
    try:
        prepare_database(conn)
        result = run_update(conn, records, UpdateOptions(strategy=strategy, backup_retention=1), source="bench")
    finally:
        conn.raw.close()
    assert result.error is None, result.error
    return result.metrics.duration_s


@pytest.mark.parametrize("strategy", ["memory", "savepoint", "session"])
def test_p1_500_real_meetings(tmp_path, meetings, strategy, benchmark):
    """Reported processing time of a 500-meeting run into a new database, median of ROUNDS runs."""
    counter = itertools.count()
    times: list[float] = []

    def run() -> None:
        times.append(_one_run(tmp_path / f"p1-{next(counter)}.db", meetings, strategy))

    benchmark.pedantic(run, rounds=ROUNDS, iterations=1)
    median = statistics.median(times)
    benchmark.extra_info.update(processing_median_ms=median * 1e3, goal_ms=P1_GOAL_S * 1e3)
    print(f"\nP1 {strategy}: 500 real meetings, processing median {median * 1e3:.1f} ms (goal 50 ms)")
    assert median < P1_LIMIT_S, f"P1 {strategy}: {median * 1e3:.1f} ms"
