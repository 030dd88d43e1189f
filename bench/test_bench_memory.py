"""P4: memory increase of a hearings run, in a fresh subprocess: peak RSS after the run minus
RSS before it (records generated lazily from the real meetings with new eventIds, so the input
itself is not held). Goal <= 20 MB for 200,000 records (``SQLBATCH_BENCH_FULL=1``); the smoke
run uses 5,000 records and the same limit.

All-or-nothing against batched: the peak RSS (VmHWM) of one process each at 20,000 meetings.
Goal <= 1.2x (flat like a batched run: a nested unit of work per batch, its undo row written
and dropped); asserted limit 1.5x (a shared machine)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

FULL = os.environ.get("SQLBATCH_BENCH_FULL") == "1"
SIZES = [5000] + ([200_000] if FULL else [])
GOAL_MB = 20.0
AON_SIZE = 20_000
AON_GOAL, AON_LIMIT = 1.2, 1.5

SCRIPT = """
import json, resource, sys
sys.path.insert(0, {bench!r})
import sqlbatch
from hearings_synth import synthetic, real_meetings
from adapters.hearings.updater import UpdateOptions, prepare_database, run_update
# peak: VmHWM, not ru_maxrss (which a child keeps from its parent across exec)
def rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20
real_meetings()
conn = sqlbatch.connect({db!r})
prepare_database(conn)
before = rss_mb()
options = UpdateOptions(strategy={strategy!r}, backup_retention=1, all_or_nothing={aon!r})
result = run_update(conn, synthetic({size}), options, source="bench")
peak = next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
print(json.dumps({{"before_mb": before, "peak_mb": peak, "after_mb": rss_mb(),
                  "duration_s": result.metrics.duration_s, "error": result.error}}))
"""


def measure(tmp: Path, size: int, strategy: str, aon: bool = False) -> dict:
    db = tmp / f"m-{strategy}-{size}{'-aon' if aon else ''}.db"
    code = SCRIPT.format(bench=str(Path(__file__).parent), db=str(db), size=size, strategy=strategy, aon=aon)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("size", SIZES)
@pytest.mark.parametrize("strategy", ["memory", "savepoint", "session"])
def test_p4_memory_increase(tmp_path, benchmark, strategy, size):
    found = benchmark.pedantic(measure, args=(tmp_path, size, strategy), rounds=1, iterations=1)
    increase = found["peak_mb"] - found["before_mb"]
    benchmark.extra_info.update(found, increase_mb=increase, goal_mb=GOAL_MB)
    print(
        f"\nP4 {strategy} {size}: RSS before {found['before_mb']:.1f} MB, peak {found['peak_mb']:.1f} MB,"
        f" increase {increase:.1f} MB (goal {GOAL_MB:g} MB), {size / found['duration_s']:.0f} records/s"
    )
    assert found["error"] is None, found["error"]
    assert increase < GOAL_MB, f"P4 {strategy} {size}: +{increase:.1f} MB"


@pytest.mark.parametrize("strategy", ["memory", "savepoint", "session"])
def test_all_or_nothing_peak_against_batched(tmp_path, benchmark, strategy):
    def both() -> tuple[dict, dict]:
        return measure(tmp_path, AON_SIZE, strategy), measure(tmp_path, AON_SIZE, strategy, aon=True)

    batched, aon = benchmark.pedantic(both, rounds=1, iterations=1)
    ratio = aon["peak_mb"] / batched["peak_mb"]
    benchmark.extra_info.update(batched_peak_mb=batched["peak_mb"], aon_peak_mb=aon["peak_mb"], ratio=ratio)
    print(
        f"\nall-or-nothing {strategy} {AON_SIZE}: peak {aon['peak_mb']:.1f} MiB, batched {batched['peak_mb']:.1f} MiB,"
        f" {ratio:.2f}x (goal {AON_GOAL}x); {aon['duration_s']:.2f} s against {batched['duration_s']:.2f} s"
    )
    assert batched["error"] is None and aon["error"] is None, (batched["error"], aon["error"])
    assert ratio <= AON_LIMIT, f"all-or-nothing {strategy} {AON_SIZE}: {ratio:.2f}x the batched peak"
