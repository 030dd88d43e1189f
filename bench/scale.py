"""Records/s and memory against input size, per strategy: one fresh subprocess per point.

Usage: ``python bench/scale.py [SIZE ...]`` (default 500 2000 20000; the plan's range goes to
1,000,000). Writes ``bench/scale.json``; ``bench/plot.py`` turns it into ``bench/scale.png``.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from test_bench_memory import measure  # noqa: E402

STRATEGIES = ("memory", "savepoint", "session")


def main(argv: list[str]) -> None:
    sizes = [int(a) for a in argv] or [500, 2000, 20_000]
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for size in sizes:
            for strategy in STRATEGIES:
                found = measure(Path(tmp), size, strategy)
                row = {
                    "size": size,
                    "strategy": strategy,
                    "records_per_s": size / found["duration_s"],
                    "duration_s": found["duration_s"],
                    "memory_increase_mb": found["peak_mb"] - found["before_mb"],
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
                for leftover in Path(tmp).glob("m-*"):  # a 1,000,000-record database is ~2 GB
                    leftover.unlink()
    out = Path(__file__).with_name("scale.json")
    out.write_text(json.dumps(rows, indent=1) + "\n")
    print(f"wrote {out}")


if __name__ == "__main__":
    main(sys.argv[1:])
