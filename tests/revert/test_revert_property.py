"""Property: any sequence of 1–4 processor runs, reverted in reverse order, gives back the start.

A small generic schema: a parent/child foreign key with ON DELETE CASCADE, an AUTOINCREMENT
child table, a WITHOUT ROWID table, NULLs, BLOBs and REALs, a CHECK some records break (they
are quarantined, the rest of their batch commits). Each run uses a random strategy and batch
size; each revert is checked against the state the run started from, read by a second
connection. ``sqlite_sequence`` may stay advanced: a revert never hands out an id again
(the documented decision, ``sqlbatch/revert.py``); rows come back with their own ids.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path
from typing import Any

import apsw
import revert_support as rs
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

import sqlbatch
from sqlbatch.revert import RevertError, revert

SCHEMA = """
CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT CHECK (name IS NULL OR name != 'bad'), data BLOB, score REAL);
CREATE TABLE child(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE,
    v TEXT,
    b BLOB
);
CREATE INDEX child_parent ON child(parent_id);
CREATE TABLE tag(k TEXT PRIMARY KEY, v) WITHOUT ROWID;
INSERT INTO parent VALUES (1, 'one', x'00ff', 1.5), (2, NULL, NULL, NULL), (3, 'three', x'', -0.25);
INSERT INTO child(parent_id, v, b) VALUES (1, 'a', x'01'), (1, NULL, NULL), (3, 'c', x'0203');
INSERT INTO tag VALUES ('a', 1), ('b', x'aa');
"""
TABLES = ("parent", "child", "tag")

ids = st.integers(1, 6)
names = st.one_of(st.none(), st.text(max_size=4), st.just("bad"))
blobs = st.one_of(st.none(), st.binary(max_size=6))
values = st.one_of(st.none(), st.integers(-5, 5), st.text(max_size=3), st.binary(max_size=3), st.floats(-9, 9))
ops = st.one_of(
    st.tuples(st.just("put_parent"), ids, names, blobs, st.one_of(st.none(), st.floats(-1e6, 1e6))),
    st.tuples(st.just("del_parent"), ids),
    st.tuples(st.just("add_child"), ids, st.one_of(st.none(), st.text(max_size=3)), blobs),
    st.tuples(st.just("set_child"), st.integers(0, 5), st.one_of(st.none(), st.text(max_size=3))),
    st.tuples(st.just("del_child"), st.integers(0, 5)),
    st.tuples(st.just("put_tag"), st.sampled_from("abc"), values),
    st.tuples(st.just("del_tag"), st.sampled_from("abc")),
)
runs = st.lists(
    st.tuples(st.sampled_from(rs.STRATEGIES), st.integers(1, 4), st.lists(ops, min_size=1, max_size=8)),
    min_size=1,
    max_size=4,
)

NTH_CHILD = "(SELECT id FROM child ORDER BY id LIMIT 1 OFFSET ?)"
SQL = {
    "put_parent": "INSERT INTO parent VALUES (?1, ?2, ?3, ?4) ON CONFLICT(id) DO UPDATE SET name=?2, data=?3, score=?4",
    "del_parent": "DELETE FROM parent WHERE id=?",
    "add_child": "INSERT INTO child(parent_id, v, b) SELECT ?1, ?2, ?3 WHERE EXISTS (SELECT 1 FROM parent WHERE id=?1)",
    "set_child": f"UPDATE child SET v=?2 WHERE id={NTH_CHILD.replace('?', '?1')}",
    "del_child": f"DELETE FROM child WHERE id={NTH_CHILD}",
    "put_tag": "INSERT INTO tag VALUES (?1, ?2) ON CONFLICT(k) DO UPDATE SET v=?2",
    "del_tag": "DELETE FROM tag WHERE k=?",
}


def apply(uow: Any, batch: list[dict[str, Any]]) -> list[str]:
    for record in batch:
        name, *params = record["op"]
        uow.conn.raw.execute(SQL[name], params)
    return ["updated"] * len(batch)


def build(path: Path) -> None:
    raw = apsw.Connection(os.fspath(path))
    try:
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute(f"BEGIN; {SCHEMA} COMMIT;")
    finally:
        raw.close()


def snapshot(path: Path) -> tuple[dict[str, list[tuple[Any, ...]]], int]:
    """The data tables (every column, rowids included) and the child AUTOINCREMENT counter."""
    raw = apsw.Connection(os.fspath(path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        tables = {t: sorted((tuple(r) for r in raw.execute(f"SELECT * FROM {t}")), key=repr) for t in TABLES}
        seq = raw.execute("SELECT seq FROM sqlite_sequence WHERE name='child'").fetchall()
        return tables, seq[0][0] if seq else 0
    finally:
        raw.close()


def run(path: Path, n: int, strategy: str, batch_size: int, batch_ops: list[tuple[Any, ...]]) -> int:
    conn = sqlbatch.connect(path)
    try:
        records = [{"key": f"r{n}-{i}", "op": op} for i, op in enumerate(batch_ops)]
        processor = sqlbatch.Processor(
            conn, apply, batch_size=batch_size, strategy=strategy, key=lambda r: r["key"], payload=repr
        )
        result = processor.run(records)
        bad = sum(1 for op in batch_ops if op[0] == "put_parent" and op[2] == "bad")
        assert len(result.quarantined) == bad
        return result.run_id
    finally:
        conn.close()


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(runs)
def test_runs_reverted_in_reverse_order_give_back_the_start(plan: list[tuple[str, int, list]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "p.db"
        build(path)
        states = [snapshot(path)]
        run_ids = []
        for n, (strategy, batch_size, batch_ops) in enumerate(plan):
            run_ids.append(run(path, n, strategy, batch_size, batch_ops))
            states.append(snapshot(path))
        for run_id, (expected, _) in zip(reversed(run_ids), reversed(states[:-1]), strict=True):
            conn = sqlbatch.connect(path)
            try:
                restored = revert(conn, run_id).rows_restored
                event(f"a revert restored {'no' if not restored else 'some'} rows")
            except RevertError:  # only a run that changed nothing has nothing to revert
                assert conn.query_value("SELECT count(*) FROM sqlbatch_undo WHERE run_id=?", (run_id,)) == 0
            finally:
                conn.close()
            tables, seq = snapshot(path)
            assert tables == expected
            assert seq >= states[0][1]  # never handed out again
        assert snapshot(path)[0] == states[0][0]
