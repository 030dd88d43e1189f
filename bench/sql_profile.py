"""How much of a run is SQLite itself: ``hearings-update run`` in process, every statement timed.

Every APSW connection the run opens (the database's, the checkpointer's, the seen-keys
database's) gets SQLite's profile callback (``sqlite3_trace_v2`` ``SQLITE_TRACE_PROFILE``,
through APSW's ``connection_hooks`` and ``Connection.set_profile``), which reports each
statement's text and the nanoseconds it ran, preupdate-hook callbacks included. Whatever is
not in the total is Python: parsing, mapping, the capture's bookkeeping, the journal.
SQLite's clock here ticks in milliseconds, so one statement reads 0 or a whole millisecond;
a total over thousands of statements is right on average, a single one is not.

    python bench/sql_profile.py DB MEETINGS.ndjson [--top N]
"""

from __future__ import annotations

import argparse
import sys
import time
from collections import defaultdict

import apsw

_WIDTH = 100  # characters of a statement's text shown


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("db")
    parser.add_argument("meetings")
    parser.add_argument("--top", type=int, default=15)
    args = parser.parse_args(argv)

    stats: dict[str, list[int]] = defaultdict(lambda: [0, 0])  # text -> [runs, nanoseconds]

    def profile(sql: str, nanoseconds: int) -> None:
        entry = stats[" ".join(sql.split())[:_WIDTH]]
        entry[0] += 1
        entry[1] += nanoseconds

    apsw.connection_hooks.append(lambda conn: conn.set_profile(profile))
    # after the hook; imported before the clock starts, so the figures are the run's own
    import adapters.hearings.cli_actions  # noqa: F401 - what the command imports lazily
    from adapters.hearings.cli import main as cli

    start = time.perf_counter()
    try:
        cli(["run", "--db", args.db, "--source", args.meetings, "--quiet"])
    except SystemExit as done:
        if done.code not in (0, None):
            print(f"the run exited {done.code}", file=sys.stderr)
            return 1
    wall = time.perf_counter() - start
    total = sum(ns for _, ns in stats.values())
    runs = sum(n for n, _ in stats.values())
    seconds = total / 1e9
    print(f"run {wall:.3f} s (imports done before), SQLite {seconds:.3f} s ({seconds / wall:.0%}), {runs} statements")
    for sql, (n, ns) in sorted(stats.items(), key=lambda kv: -kv[1][1])[: args.top]:
        print(f"{ns / 1e9:7.3f} s {n:8d} x {ns / n / 1e3:7.1f} µs  {sql}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
