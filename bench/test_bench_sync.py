"""What ``synchronous=FULL`` would cost over ``NORMAL`` (WAL) on a hearings run, side by side.

With ``NORMAL`` in WAL a commit is not synced: SQLite syncs the WAL only before a checkpoint, so
a power cut may take the last commits (whole: the WAL's checksums end it at the last complete
one). ``FULL`` syncs the WAL at every commit. Each round runs both modes, one after the other
in alternating order, on new databases (the 1,168 bundled meetings, and a synthetic run with
more commits); the medians of the run's own ``duration_s`` and their ratio are printed and kept
in ``extra_info``. The cost is one ``fsync`` per commit, so it depends on the disk: measure on
the one you deploy to. Run: ``pytest bench/test_bench_sync.py -s``
"""

from __future__ import annotations

import itertools
import os
import statistics
from pathlib import Path

import pytest
from hearings_synth import synthetic_list

import sqlbatch
from adapters.hearings.updater import UpdateOptions, prepare_database, run_update

ROUNDS = int(os.environ.get("SQLBATCH_BENCH_SYNC_ROUNDS", "5"))
MODES = ("NORMAL", "FULL")
CASES = {"sample-1168-batch50": (1168, 50), "synthetic-2000-batch10": (2000, 10)}
FULL_LIMIT = 20.0  # a loose ceiling for a shared CI disk; the figure is the printed ratio


def _one_run(path: Path, records: list, batch_size: int, synchronous: str) -> tuple[float, int]:
    conn = sqlbatch.connect(path, synchronous=synchronous)
    try:
        prepare_database(conn)
        options = UpdateOptions(batch_size=batch_size, backup_retention=1)
        result = run_update(conn, records, options, source="bench")
        conn.restore_journal_mode()
    finally:
        conn.close()
    assert result.error is None, result.error
    return result.metrics.duration_s, result.metrics.commits


@pytest.mark.parametrize("case", sorted(CASES))
def test_synchronous_full_vs_normal(tmp_path: Path, case: str, benchmark) -> None:
    count, batch_size = CASES[case]
    records = synthetic_list(count)
    times: dict[str, list[float]] = {m: [] for m in MODES}
    commits: dict[str, int] = {}
    counter = itertools.count()

    def one_round() -> None:
        n = next(counter)
        order = MODES if n % 2 == 0 else MODES[::-1]  # alternate, so drift hits both alike
        for mode in order:
            seconds, commits[mode] = _one_run(tmp_path / f"{mode}-{n}.db", records, batch_size, mode)
            times[mode].append(seconds)

    benchmark.pedantic(one_round, rounds=ROUNDS, iterations=1)
    medians = {m: statistics.median(t) for m, t in times.items()}
    ratio = medians["FULL"] / medians["NORMAL"]
    per_commit_ms = (medians["FULL"] - medians["NORMAL"]) / commits["FULL"] * 1e3
    benchmark.extra_info.update(
        normal_median_ms=medians["NORMAL"] * 1e3,
        full_median_ms=medians["FULL"] * 1e3,
        ratio=ratio,
        commits=commits["FULL"],
        full_extra_ms_per_commit=per_commit_ms,
    )
    print(
        f"\nsync {case}: NORMAL {medians['NORMAL'] * 1e3:.1f} ms, FULL {medians['FULL'] * 1e3:.1f} ms,"
        f" ratio {ratio:.2f}, {commits['FULL']} commits, +{per_commit_ms:.2f} ms per commit"
    )
    assert commits["FULL"] == commits["NORMAL"] > 1
    assert ratio < FULL_LIMIT
