"""A small generic schema for the revert tests on the bare Processor (no hearings).

A parent/child foreign key with ON DELETE CASCADE, an AUTOINCREMENT child table, a WITHOUT
ROWID table, NULLs, BLOBs and REALs, a CHECK (``name != 'bad'``) some records break. A record
is ``{"key": ..., "op": (name, *params)}``; :func:`apply` runs each op's statement.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import apsw
from hypothesis import strategies as st

from .db import reopen

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
    raw = reopen(path)
    try:
        tables = {t: sorted((tuple(r) for r in raw.execute(f"SELECT * FROM {t}")), key=repr) for t in TABLES}
        seq = raw.execute("SELECT seq FROM sqlite_sequence WHERE name='child'").fetchall()
        return tables, seq[0][0] if seq else 0
    finally:
        raw.close()


# -- random records (hypothesis) -------------------------------------------------------------

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
