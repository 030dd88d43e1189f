"""Plot the side-by-side figures of ``bench/peers.py`` to ``bench/peers.png``: the tool's ratio
to sqlite-utils per case, before and after a change (two ``--json`` files), with the plain
sqlite3 floor. Needs matplotlib (extra ``bench``); not used by CI.

    python bench/plot_peers.py bench/peers-before.json bench/peers.json
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).parent
BASE = "ratio_to_sqlite-utils"


def main(argv: list[str]) -> None:
    runs = {Path(p).stem: json.loads(Path(p).read_text()) for p in argv}
    first = next(iter(runs.values()))
    cases = [case for case, rows in first.items() if isinstance(rows, dict) and case != "start-up"]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / (len(runs) + 1)
    for i, (label, figures) in enumerate(runs.items()):
        ax.bar(
            [x + i * width for x in range(len(cases))],
            [figures[c]["tool"][BASE] for c in cases],
            width,
            label=f"tool, {label}",
        )
    last = runs[list(runs)[-1]]
    floor = [last[c]["floor"][BASE] if "floor" in last[c] else 0 for c in cases]
    ax.bar([x + len(runs) * width for x in range(len(cases))], floor, width, label="sqlite3 floor", color="grey")
    ax.axhline(1.0, color="red", linestyle="--", linewidth=1, label="sqlite-utils")
    ax.set_xticks([x + width * len(runs) / 2 for x in range(len(cases))], cases)
    ax.set_ylabel("time ÷ sqlite-utils (median of per-round ratios)")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend()
    fig.suptitle("hearings-update side by side with sqlite-utils (whole processes, alternating)")
    fig.tight_layout()
    fig.savefig(HERE / "peers.png", dpi=100)


if __name__ == "__main__":
    main(sys.argv[1:])
