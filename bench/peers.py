"""hearings-update side by side with what a SQLite user would pick instead, whole processes.

Three ways to load the same meetings into a new database, each a fresh Python process:

* ``tool``: ``hearings-update run --db NEW --source FILE --quiet`` (validation, before-images,
  journal, the earlier system's schema with its indexes, CHECKs and foreign keys);
* ``sqlite-utils``: ``peer_sqlite_utils.py`` (``upsert_all`` by natural keys into six plain
  tables; no validation, no journal), in one transaction or in transactions of ``--chunk``;
* ``floor``: the same rows through the standard ``sqlite3`` module, ``executemany`` in one
  transaction: what the writes cost with nothing else around them.

Rounds alternate the commands so a noisy neighbour slows all of them alike; each figure is
the median over rounds, each ratio the median of per-round ratios (tool ÷ peer).

    python bench/peers.py                  # 1,168 real meetings, 20,000 synthetic, rerun, start-up
    python bench/peers.py --rounds 3 --sizes 1168
    python bench/peers.py --json bench/peers.json
    python bench/peers.py --baseline /tmp/old   # also the tool of an earlier commit, alternating:
                                                # git archive <commit> | tar -x -C /tmp/old
"""

from __future__ import annotations

import argparse
import compileall
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # run as a script, like pytest runs bench/

from hearings_synth import synthetic  # noqa: E402

BIN = Path(sys.executable).parent
TOOL = str(BIN / "hearings-update")
PEER = str(HERE / "peer_sqlite_utils.py")
BASELINE: dict[str, str] | None = None  # the environment that runs the baseline tool (--baseline)


def compile_tool(root: Path = HERE.parent) -> None:
    """Bytecode for the tool's own packages, as an installed tool has it.

    An editable install (and ``PYTHONDONTWRITEBYTECODE``) leaves none, so every process would
    compile ~80 modules (~0.1 s) that a wheel install, like sqlite-utils', has precompiled.
    """
    for package in ("sqlbatch", "adapters"):
        compileall.compile_dir(str(root / package), quiet=1)


def write_input(count: int, path: Path) -> Path:
    """``count`` meetings (the real ones first, then copies with new eventIds) as NDJSON."""
    with path.open("w") as out:
        for record in synthetic(count):
            out.write(json.dumps({"committeeMeeting": record.payload}) + "\n")
    return path


def timed(argv: list[str], env: dict[str, str] | None = None) -> float:
    """Seconds one whole process takes; a failing command stops the benchmark loudly."""
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, env=env)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr[-2000:]}")
    return elapsed


def alternate(commands: dict[str, Callable[[int], float]], rounds: int) -> dict[str, list[float]]:
    """Run every command once per round, in rotating order; seconds per command per round."""
    names = list(commands)
    seconds: dict[str, list[float]] = {name: [] for name in names}
    for r in range(rounds):
        for name in names[r % len(names) :] + names[: r % len(names)]:
            seconds[name].append(commands[name](r))
    return seconds


def summarise(seconds: dict[str, list[float]], base: str) -> dict[str, dict[str, float]]:
    """Median seconds of each command and the median of its per-round ratios to ``base``."""
    out = {}
    for name, values in seconds.items():
        ratios = [v / b for v, b in zip(values, seconds[base], strict=True)]
        out[name] = {"median_s": statistics.median(values), f"ratio_to_{base}": statistics.median(ratios)}
    return out


def load_case(size: int, work: Path, rounds: int, chunk: int) -> dict[str, dict[str, float]]:
    """A new database from ``size`` meetings, tool vs sqlite-utils vs sqlite3 floor."""
    source = write_input(size, work / f"meetings-{size}.ndjson")

    def fresh(name: str, r: int) -> str:
        db = work / f"{name}-{size}-{r}.db"
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(f"{db}{suffix}").unlink(missing_ok=True)
        return str(db)

    commands = {
        "sqlite-utils": lambda r: timed([sys.executable, PEER, fresh("peer", r), str(source), "--chunk", str(chunk)]),
        "tool": lambda r: timed([TOOL, "run", "--db", fresh("tool", r), "--source", str(source), "--quiet"]),
        "floor": lambda r: timed([sys.executable, PEER, fresh("floor", r), str(source), "--floor"]),
    }
    if BASELINE is not None:
        commands["tool, baseline"] = lambda r: timed(
            [TOOL, "run", "--db", fresh("base", r), "--source", str(source), "--quiet"], BASELINE
        )
    return summarise(alternate(commands, rounds), "sqlite-utils")


def rerun_case(work: Path, rounds: int) -> dict[str, dict[str, float]]:
    """The same 1,168 real meetings again into the database they are already in."""
    source = write_input(1168, work / "rerun.ndjson")
    tool_db, peer_db = str(work / "rerun-tool.db"), str(work / "rerun-peer.db")
    timed([TOOL, "run", "--db", tool_db, "--source", str(source), "--quiet"])
    timed([sys.executable, PEER, peer_db, str(source), "--chunk", "0"])
    commands = {
        "sqlite-utils": lambda r: timed([sys.executable, PEER, peer_db, str(source), "--chunk", "0"]),
        "tool": lambda r: timed([TOOL, "run", "--db", tool_db, "--source", str(source), "--quiet"]),
    }
    if BASELINE is not None:
        base_db = str(work / "rerun-base.db")
        timed([TOOL, "run", "--db", base_db, "--source", str(source), "--quiet"], BASELINE)
        commands["tool, baseline"] = lambda r: timed(
            [TOOL, "run", "--db", base_db, "--source", str(source), "--quiet"], BASELINE
        )
    return summarise(alternate(commands, rounds), "sqlite-utils")


def startup_case(rounds: int) -> dict[str, dict[str, float]]:
    """``hearings-update --help`` against bare Python and an import of sqlite-utils."""
    commands = {
        "python": lambda r: timed([sys.executable, "-c", "pass"]),
        "sqlite-utils import": lambda r: timed([sys.executable, "-c", "import sqlite_utils"]),
        "tool --help": lambda r: timed([TOOL, "--help"]),
    }
    if BASELINE is not None:
        commands["tool --help, baseline"] = lambda r: timed([TOOL, "--help"], BASELINE)
    return summarise(alternate(commands, rounds), "python")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--sizes", type=int, nargs="*", default=[1168, 20000])
    parser.add_argument("--json", type=Path, help="write the figures to this file")
    parser.add_argument("--baseline", type=Path, help="a source tree of an earlier commit, run alternating too")
    args = parser.parse_args(argv)
    global BASELINE
    if args.baseline:
        compile_tool(args.baseline.resolve())
        BASELINE = {**os.environ, "PYTHONPATH": str(args.baseline.resolve())}
    figures: dict[str, object] = {"rounds": args.rounds}
    compile_tool()
    with tempfile.TemporaryDirectory(prefix="sqlbatch-peers-") as tmp:
        work = Path(tmp)
        for size in args.sizes:
            # sqlite-utils' natural choice: one transaction for a day's file, chunks for bulk.
            chunk = 0 if size <= 5000 else 50
            figures[f"new database, {size}"] = load_case(size, work, args.rounds, chunk)
        figures["rerun, 1168"] = rerun_case(work, args.rounds)
    figures["start-up"] = startup_case(args.rounds)
    for case, rows in figures.items():
        if isinstance(rows, dict):
            print(case)
            for name, row in rows.items():
                print("  " + f"{name:<20}" + "  ".join(f"{k} {v:.3f}" for k, v in row.items()))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
