"""Issue 15's yardstick: whole-process runs of hearings-update beside sqlite-utils and a plain
``sqlite3`` floor over the same meetings (``bench/peers.py``; ``python bench/peers.py`` for the
full table). Here: one alternating round at the real 1,168, the loads checked for equal rows."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import peers
import pytest

pytest.importorskip("sqlite_utils")

# The ratio was 2.1-2.6x before issue 15 and 1.3-1.5x after it (its goal: <= 1.0x); the limit
# leaves room for a noisy shared machine and catches a return to the old cost.
LIMIT = 3.0


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
