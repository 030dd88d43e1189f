"""Plot ``bench/peers.json`` (``bench/peers.py --baseline DIR --json bench/peers.json``), or
the file given, to ``bench/peers.png``: per case, the time of the baseline tool, the tool and the plain sqlite3
floor as ratios to sqlite-utils (medians of per-round ratios, one run). Needs matplotlib
(extra ``bench``); not used by CI."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).parent
BASE = "ratio_to_sqlite-utils"
BARS = {"tool, baseline": "tab:orange", "tool": "tab:blue", "floor": "tab:grey"}


def main(argv: list[str]) -> None:
    figures = json.loads(Path(argv[0] if argv else HERE / "peers.json").read_text())
    cases = [case for case, rows in figures.items() if isinstance(rows, dict) and case != "start-up"]
    fig, ax = plt.subplots(figsize=(9, 4))
    width = 0.8 / len(BARS)
    for i, (name, color) in enumerate(BARS.items()):
        xs = [x + i * width for x, case in enumerate(cases) if name in figures[case]]
        ys = [figures[case][name][BASE] for case in cases if name in figures[case]]
        bars = ax.bar(xs, ys, width, label="sqlite3 floor" if name == "floor" else name, color=color)
        ax.bar_label(bars, fmt="%.2f", fontsize=8)
    ax.axhline(1.0, color="red", linestyle="--", linewidth=1, label="sqlite-utils")
    ax.set_xticks([x + width for x in range(len(cases))], cases)
    ax.set_ylabel("time / sqlite-utils")
    ax.grid(True, axis="y", alpha=0.3)
    ax.legend()
    fig.suptitle(f"hearings-update side by side with sqlite-utils (whole processes, {figures['rounds']} rounds)")
    fig.tight_layout()
    fig.savefig(HERE / "peers.png", dpi=100)


if __name__ == "__main__":
    main(sys.argv[1:])
