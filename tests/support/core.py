"""Shared schema, seed data and raw-SQLite oracles for the core tests.

Everything here talks to SQLite through plain :class:`apsw.Connection` objects, never through
sqlbatch: the dumps and reference databases are the independent truth the tests compare
sqlbatch against.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from typing import Any

import apsw

from .db import STRATEGIES as STRATEGIES  # the core tests use it through this module
from .db import open_raw, reopen

HOOK_STRATEGIES = ("memory", "savepoint")

# A small schema that has every kind of table the strategies must handle.
SCHEMA = """
CREATE TABLE item(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    qty INTEGER,
    price REAL,
    data BLOB,
    note TEXT
);
CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT);
CREATE TABLE child(
    id INTEGER PRIMARY KEY,
    parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE,
    label TEXT
);
CREATE INDEX child_parent ON child(parent_id);
CREATE TABLE audit(id INTEGER PRIMARY KEY, item_id INTEGER, change TEXT);
CREATE TRIGGER item_qty_audit AFTER UPDATE OF qty ON item BEGIN
    INSERT INTO audit(item_id, change) VALUES (NEW.id, OLD.qty || '->' || NEW.qty);
END;
CREATE TABLE kv(k TEXT NOT NULL, n INTEGER NOT NULL, v, PRIMARY KEY(k, n)) WITHOUT ROWID;
CREATE TABLE seqd(id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);
CREATE TABLE seqe(id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);
CREATE TABLE marker(id INTEGER PRIMARY KEY AUTOINCREMENT, v TEXT);
"""

SEED = """
INSERT INTO item VALUES (1, 'alpha', 3, 1.5, x'0102', 'first');
INSERT INTO item VALUES (2, 'beta', 5, 2.25, NULL, 'second');
INSERT INTO item VALUES (3, 'gamma', NULL, NULL, NULL, NULL);
INSERT INTO parent VALUES (1, 'P1'), (2, 'P2');
INSERT INTO child VALUES (10, 1, 'c10'), (11, 1, 'c11'), (20, 2, 'c20');
INSERT INTO kv VALUES ('a', 1, 'va1'), ('a', 2, 'va2'), ('b', 1, x'ff00');
INSERT INTO seqd(v) VALUES ('one'), ('two'), ('three');
DELETE FROM seqd WHERE id = 3;
"""


def build(path: str | os.PathLike[str], schema: str = SCHEMA, seed: str = SEED) -> None:
    """Create ``path`` with ``schema`` and ``seed`` through plain APSW, in WAL mode."""
    raw = open_raw(path)
    try:
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("BEGIN")
        raw.execute(schema)
        if seed:
            raw.execute(seed)
        raw.execute("COMMIT")
    finally:
        raw.close()


def dump_raw(raw: apsw.Connection) -> dict[str, list[tuple]]:
    """Every table's rows (``rowid`` first where there is one), sorted; sqlite_sequence too."""
    tables = raw.execute(
        "SELECT name, wr FROM pragma_table_list WHERE schema='main' AND type='table' "
        "AND name NOT IN ('sqlite_schema', 'sqlite_temp_schema') ORDER BY name"
    ).fetchall()
    out: dict[str, list[tuple]] = {}
    for name, without_rowid in tables:
        quoted = '"' + name.replace('"', '""') + '"'
        cols = "*" if without_rowid or name == "sqlite_sequence" else "rowid, *"
        rows = raw.execute(f"SELECT {cols} FROM {quoted}").fetchall()
        out[name] = sorted(rows, key=_sort_key)
    return out


def dump_file(path: str | os.PathLike[str]) -> dict[str, list[tuple]]:
    """The dump of ``path`` through a *second*, plain APSW connection."""
    raw = reopen(path)
    try:
        return dump_raw(raw)
    finally:
        raw.close()


def _sort_key(row: tuple) -> tuple:
    # values of mixed types (None, int, float, str, bytes) sort by (type rank, repr)
    return tuple((_rank(v), repr(v)) for v in row)


def _rank(value: Any) -> int:
    if value is None:
        return 0
    if isinstance(value, int | float):
        return 1
    if isinstance(value, str):
        return 2
    return 3


Statement = tuple[str, Sequence[Any]]


def apply_raw(path: str | os.PathLike[str], batches: Iterable[Iterable[Statement]]) -> dict[str, list[tuple]]:
    """Apply each batch of statements in its own transaction with plain APSW; return the dump.

    Used as the reference ("oracle") a committed unit of work must match.
    """
    raw = open_raw(path)
    try:
        for statements in batches:
            raw.execute("BEGIN IMMEDIATE")
            for sql, params in statements:
                raw.execute(sql, params)
            raw.execute("COMMIT")
        return dump_raw(raw)
    finally:
        raw.close()
