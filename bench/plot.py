"""Plot ``bench/scale.json`` (from ``bench/scale.py``) to ``bench/scale.png``: records/s and
memory increase against input size, one line per strategy. Needs matplotlib (extra ``bench``);
not used by CI."""

from __future__ import annotations

import json
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

HERE = Path(__file__).parent


def main() -> None:
    rows = json.loads((HERE / "scale.json").read_text())
    fig, (speed, memory) = plt.subplots(1, 2, figsize=(11, 4))
    for strategy in sorted({r["strategy"] for r in rows}):
        points = sorted((r for r in rows if r["strategy"] == strategy), key=lambda r: r["size"])
        sizes = [r["size"] for r in points]
        speed.plot(sizes, [r["records_per_s"] for r in points], marker="o", label=strategy)
        memory.plot(sizes, [r["memory_increase_mb"] for r in points], marker="o", label=strategy)
    for ax, label in ((speed, "records/s"), (memory, "memory increase (MB, peak RSS)")):
        ax.set_xscale("log")
        ax.set_xlabel("input size (meetings)")
        ax.set_ylabel(label)
        ax.set_ylim(bottom=0)
        ax.grid(True, alpha=0.3)
        ax.legend()
    memory.axhline(20, color="red", linestyle="--", linewidth=1)
    fig.suptitle("hearings update, batched (commit every 50-record batch)")
    fig.tight_layout()
    fig.savefig(HERE / "scale.png", dpi=100)


if __name__ == "__main__":
    main()
