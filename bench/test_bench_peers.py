"""Issue 15's yardstick: whole-process runs of hearings-update beside sqlite-utils and a plain
``sqlite3`` floor over the same meetings (``bench/peers.py``; ``python bench/peers.py`` for the
full table). Here: one alternating round at the real 1,168, the loads checked for equal rows;
and ``bench/sql_profile.py`` run once on 200 meetings."""

from __future__ import annotations

import sqlite3
import subprocess
import sys
from pathlib import Path

import peers
import pytest

pytest.importorskip("sqlite_utils")

# A round of this ratio: 2.1-2.6x before issue 15 (median 2.32x), 1.3-1.6x after it (its goal:
# <= 1.0x). The limit is above the spread of single rounds now and below most rounds of the
# old cost: it fails on a return to that, not on a small slip (peers.py's medians show those).
LIMIT = 2.2


def _count(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]


def test_new_database_beside_sqlite_utils(tmp_path: Path) -> None:
    figures = peers.load_case(1168, tmp_path, rounds=1, chunk=0)
    print({name: {k: round(v, 3) for k, v in row.items()} for name, row in figures.items()})
    assert _count(tmp_path / "tool-1168-0.db", "hearings") == 1168
    assert _count(tmp_path / "peer-1168-0.db", "hearings") == 1168
    assert _count(tmp_path / "floor-1168-0.db", "hearings") == 1168
    assert _count(tmp_path / "tool-1168-0.db", "witness_appearances") == _count(
        tmp_path / "peer-1168-0.db", "witness_appearances"
    )
    assert figures["tool"]["ratio_to_sqlite-utils"] <= LIMIT


def test_sql_profile_counts_every_statement(tmp_path: Path) -> None:
    """``sql_profile.py`` sees the run's statements: one hearing insert per meeting."""
    source = peers.write_input(200, tmp_path / "meetings.ndjson")
    done = subprocess.run(
        [sys.executable, str(peers.HERE / "sql_profile.py"), str(tmp_path / "p.db"), str(source), "--top", "1000"],
        capture_output=True,
        text=True,
        check=True,
    )
    print(done.stdout)
    first, *lines = done.stdout.splitlines()
    assert first.startswith("run ") and " statements" in first
    inserts = [line for line in lines if "INSERT INTO hearings " in line]
    assert len(inserts) == 1 and " 200 x " in inserts[0]
    assert _count(tmp_path / "p.db", "hearings") == 200
