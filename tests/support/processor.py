"""Schema, records, apply function and raw-SQLite oracles of the processor tests.

Every check of the result goes through a *second*, plain :class:`apsw.Connection`
opened after the processor's connection is closed: that is the independent truth.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

import apsw

import sqlbatch
from sqlbatch import RecordFailed

from .db import STRATEGIES as STRATEGIES  # the processor tests use these through this module
from .db import open_raw as open_raw
from .db import query as query

#: 0 = one durable commit per batch; a large value = every batch of the run in one commit group.
INTERVALS = (0, 600_000)

SCHEMA = """
CREATE TABLE category(id INTEGER PRIMARY KEY, label TEXT NOT NULL);
CREATE TABLE parent(
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL CHECK (length(name) > 0),
    cat INTEGER NOT NULL REFERENCES category(id),
    ts TEXT
);
CREATE TABLE child(
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE,
    pos INTEGER NOT NULL,
    v TEXT NOT NULL CHECK (v != 'bad'),
    UNIQUE (parent_id, pos)
);
CREATE INDEX child_parent ON child(parent_id);
INSERT INTO category VALUES (1, 'one'), (2, 'two'), (3, 'three');
INSERT INTO parent VALUES (100000, 'seeded', 1, 't000000');
INSERT INTO child(parent_id, pos, v) VALUES (100000, 0, 'seed-a'), (100000, 1, 'seed-b');
"""

DATA_TABLES = ("category", "parent", "child", "sqlite_sequence")

#: Kinds of bad record. ``check``/``fk``/``name``/``raise`` fail without naming the record
#: (the processor must bisect); ``named`` raises RecordFailed naming it.
BAD_KINDS = ("check", "fk", "name", "raise", "named")


def build_db(path: Path) -> Path:
    raw = apsw.Connection(os.fspath(path))
    try:
        raw.execute("PRAGMA journal_mode=WAL")
        raw.execute("PRAGMA foreign_keys=ON")
        raw.execute("BEGIN")
        raw.execute(SCHEMA)
        raw.execute("COMMIT")
    finally:
        raw.close()
    return path


def record(i: int, bad: str | None = None, *, version: int = 0) -> dict[str, Any]:
    """Record number ``i`` (1-based): a parent with two children; ``bad`` makes it fail."""
    rec: dict[str, Any] = {
        "key": f"r{i:04d}",
        "id": i,
        "name": f"name {i}" + (f" v{version}" if version else ""),
        "cat": 1 + i % 3,
        "ts": f"t{i:06d}",
        "children": [f"c{i}-a", f"c{i}-b"],
    }
    if bad == "check":
        rec["children"] = [f"c{i}-a", "bad"]  # the parent row is written first, then this fails
    elif bad == "fk":
        rec["cat"] = 99
    elif bad == "name":
        rec["name"] = ""
    elif bad in ("raise", "named"):
        rec["fail"] = bad
    elif bad is not None:
        raise ValueError(bad)
    return rec


def records(n: int, bad: dict[int, str] | None = None, *, version: int = 0) -> list[dict[str, Any]]:
    bad = bad or {}
    return [record(i, bad.get(i), version=version) for i in range(1, n + 1)]


def spread_bad(n: int, every: int, kinds: Sequence[str] = BAD_KINDS) -> dict[int, str]:
    """Every ``every``-th record bad (e.g. every=20 → 5 %), cycling through ``kinds``."""
    return {i: kinds[j % len(kinds)] for j, i in enumerate(range(every // 2, n + 1, every))}


def apply(uow: Any, batch: list[dict[str, Any]]) -> list[str]:
    """Upsert each record's parent and children; report added / updated / unchanged."""
    out = []
    for r in batch:
        old = uow.execute("SELECT name, cat, ts FROM parent WHERE id=?", (r["id"],)).fetchall()
        kids = [row[0] for row in uow.execute("SELECT v FROM child WHERE parent_id=? ORDER BY pos", (r["id"],))]
        if old and tuple(old[0]) == (r["name"], r["cat"], r["ts"]) and kids == r["children"] and not r.get("fail"):
            out.append("unchanged")
            continue
        uow.execute(
            "INSERT INTO parent(id, name, cat, ts) VALUES (?, ?, ?, ?) ON CONFLICT(id) DO UPDATE SET"
            " name=excluded.name, cat=excluded.cat, ts=excluded.ts",
            (r["id"], r["name"], r["cat"], r["ts"]),
        )
        for pos, v in enumerate(r["children"]):
            uow.execute(
                "INSERT INTO child(parent_id, pos, v) VALUES (?, ?, ?)"
                " ON CONFLICT(parent_id, pos) DO UPDATE SET v=excluded.v WHERE child.v IS DISTINCT FROM excluded.v",
                (r["id"], pos, v),
            )
        uow.execute("DELETE FROM child WHERE parent_id=? AND pos>=?", (r["id"], len(r["children"])))
        if r.get("fail") == "raise":
            raise RuntimeError("injected failure after the record's writes")
        if r.get("fail") == "named":
            raise RecordFailed(r["key"], "named_rule", "injected failure naming its record", "name")
        out.append("updated" if old else "added")
    return out


def slowed(seconds: float) -> Callable[[Any, list[dict[str, Any]]], list[str]]:
    """:func:`apply`, then a pause per batch: a run long enough to be watched or killed."""

    def slow_apply(uow: Any, batch: list[dict[str, Any]]) -> list[str]:
        out = apply(uow, batch)
        time.sleep(seconds)
        return out

    return slow_apply


def progress_to(path: str) -> Callable[[int], None]:
    """A ``progress`` callable that keeps the records done so far in ``path`` (for a parent
    process to read: replaced whole, never seen half-written)."""
    done = [0]

    def progress(n: int) -> None:
        done[0] += n
        with open(path + ".tmp", "w") as f:
            f.write(str(done[0]))
        os.replace(path + ".tmp", path)

    return progress


def processor(
    conn: sqlbatch.Connection, strategy: str = "memory", interval: float = 0, **kw: Any
) -> sqlbatch.Processor:
    kw.setdefault("apply", apply)
    kw.setdefault("key", lambda r: r["key"])
    kw.setdefault("cursor", lambda r: r["ts"])
    kw.setdefault("retry", sqlbatch.RetryPolicy(max_seconds=5, initial_wait=0.01, max_wait=0.1))
    return sqlbatch.Processor(conn, strategy=strategy, commit_interval_ms=interval, **kw)


def run(
    path: Path, recs: Iterable[Any], strategy: str = "memory", interval: float = 0, *, source: str = "src", **kw: Any
) -> sqlbatch.RunResult:
    """Open, run, close: the processor's connection is closed before anything is checked."""
    conn = sqlbatch.connect(path)
    try:
        return processor(conn, strategy, interval, **kw).run(recs, source=source)
    finally:
        conn.close()


# -- oracles (plain APSW, second connection) ---------------------------------------------------
def dump(path: Path, tables: Sequence[str] = DATA_TABLES) -> dict[str, list[tuple]]:
    """Every row of the data tables (and sqlite_sequence), sorted: the data as a value."""
    raw = open_raw(path)
    try:
        out = {}
        for t in tables:
            if raw.execute("SELECT 1 FROM sqlite_schema WHERE name=?", (t,)).fetchall():
                out[t] = sorted(tuple(r) for r in raw.execute(f'SELECT * FROM "{t}"'))
        return out
    finally:
        raw.close()


def full_dump(path: Path) -> dict[str, list[tuple]]:
    """Every table of the file, journal tables included, plus the schema."""
    names = [r[0] for r in query(path, "SELECT name FROM sqlite_schema WHERE type='table' ORDER BY name")]
    out = dump(path, names)
    out["__schema__"] = sorted(query(path, "SELECT type, name, sql FROM sqlite_schema"))
    return out


def data_dump_without_journal(path: Path) -> dict[str, list[tuple]]:
    """Every non-journal table plus the schema of the non-journal objects."""
    d = full_dump(path)
    d = {k: v for k, v in d.items() if not k.startswith("sqlbatch_")}
    d["__schema__"] = [r for r in d["__schema__"] if not r[1].startswith("sqlbatch_")]
    return d


def parent_keys(path: Path) -> set[str]:
    return {f"r{r[0]:04d}" for r in query(path, "SELECT id FROM parent WHERE id < 100000")}


def assert_sound(path: Path) -> None:
    """R2: integrity_check ok and foreign_key_check empty, through a fresh connection."""
    raw = open_raw(path)
    try:
        assert raw.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
        assert raw.execute("PRAGMA foreign_key_check").fetchall() == []
    finally:
        raw.close()


def assert_records_stored(path: Path, recs: Iterable[dict[str, Any]]) -> None:
    """Q2: each record's parent and children read back exactly as written."""
    raw = open_raw(path)
    try:
        for r in recs:
            got = raw.execute("SELECT name, cat, ts FROM parent WHERE id=?", (r["id"],)).fetchall()
            assert [tuple(g) for g in got] == [(r["name"], r["cat"], r["ts"])], r["key"]
            kids = [row[0] for row in raw.execute("SELECT v FROM child WHERE parent_id=? ORDER BY pos", (r["id"],))]
            assert kids == r["children"], r["key"]
    finally:
        raw.close()


def journal(path: Path, table: str, run_id: int | None = None, cols: str = "*") -> list[dict[str, Any]]:
    raw = open_raw(path)
    try:
        sql = f"SELECT {cols} FROM {table}" + (" WHERE run_id=?" if run_id is not None else "")
        cur = raw.execute(sql, (run_id,) if run_id is not None else ())
        out = []
        for r in cur:
            names = [d[0] for d in cur.get_description()]
            out.append(dict(zip(names, r, strict=True)))
        return out
    finally:
        raw.close()


def is_bad_key(key: str, bad: dict[int, str]) -> bool:
    return int(key[1:]) in bad
