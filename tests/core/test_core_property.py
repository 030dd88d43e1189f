"""Property: any sequence of writes, rolled back, leaves the database exactly as it was; and
committed, leaves the same content whichever strategy tracked it.

The schema has a parent/child foreign key with ON DELETE CASCADE (and a trigger that writes
the children when a parent's score changes), a WITHOUT ROWID table, an AUTOINCREMENT table,
a table without a declared primary key, triggers writing an event table, and triggers that
make some statements fail half-way (after rows were written). Values are NULL, integers,
floats, text and BLOBs. Statements that fail are caught and the unit goes on, as a caller
that isolates bad records does.
"""

from __future__ import annotations

import contextlib
import tempfile
from pathlib import Path

import apsw
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import sqlbatch
from tests.support import core as core_support
from tests.support.core import STRATEGIES, dump_raw

SCHEMA = """
CREATE TABLE parent(id INTEGER PRIMARY KEY, name TEXT UNIQUE, score REAL);
CREATE TABLE child(
    id INTEGER PRIMARY KEY,
    parent_id INTEGER NOT NULL REFERENCES parent(id) ON DELETE CASCADE,
    payload,
    note TEXT
);
CREATE INDEX child_parent ON child(parent_id);
CREATE TABLE kv(k TEXT NOT NULL, n INTEGER NOT NULL, v, PRIMARY KEY(k, n)) WITHOUT ROWID;
CREATE TABLE seq(id INTEGER PRIMARY KEY AUTOINCREMENT, v);
CREATE TABLE loose(a, b);
CREATE TABLE events(id INTEGER PRIMARY KEY, what TEXT, ref);
CREATE TRIGGER child_added AFTER INSERT ON child BEGIN
    INSERT INTO events(what, ref) VALUES ('child+', NEW.id);
END;
CREATE TRIGGER parent_scored AFTER UPDATE OF score ON parent BEGIN
    UPDATE child SET note = 'score ' || quote(NEW.score) WHERE parent_id = NEW.id;
END;
CREATE TRIGGER kv_forbidden AFTER INSERT ON kv WHEN NEW.v = 'forbidden' BEGIN
    SELECT RAISE(ABORT, 'forbidden value');
END;
CREATE TRIGGER seq_keep AFTER DELETE ON seq WHEN OLD.v = 'keep' BEGIN
    SELECT RAISE(ABORT, 'keep rows stay');
END;
CREATE TRIGGER child_keep AFTER DELETE ON child WHEN OLD.note = 'keep' BEGIN
    SELECT RAISE(ABORT, 'keep rows stay');
END;
"""

ids = st.integers(min_value=1, max_value=6)
names = st.sampled_from(["a", "b", "c", None])
values = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False),
    st.text(max_size=12),
    st.binary(max_size=12),
    st.sampled_from(["forbidden", "keep", "", b""]),
)
# 'keep' rows make multi-row deletes (and cascades, and REPLACE) fail after writing
notes = st.one_of(st.sampled_from(["keep", "keep", "n"]), values)

OPS = [
    (
        "INSERT INTO parent(id, name, score) VALUES (?, ?, ?)",
        st.tuples(st.one_of(st.none(), ids), names, values),
    ),
    (
        "INSERT INTO parent(id, name, score) VALUES (?, ?, ?) "
        "ON CONFLICT(id) DO UPDATE SET name = excluded.name, score = excluded.score",
        st.tuples(ids, names, values),
    ),
    ("INSERT OR REPLACE INTO parent(id, name, score) VALUES (?, ?, ?)", st.tuples(ids, names, values)),
    ("UPDATE parent SET score = ? WHERE id = ?", st.tuples(values, ids)),
    ("UPDATE parent SET id = ? WHERE id = ?", st.tuples(ids, ids)),
    ("DELETE FROM parent WHERE id = ?", st.tuples(ids)),
    (
        "INSERT INTO child(id, parent_id, payload, note) VALUES (?, ?, ?, ?)",
        st.tuples(st.one_of(st.none(), ids), ids, values, notes),
    ),
    (
        "INSERT OR REPLACE INTO child(id, parent_id, payload, note) VALUES (?, ?, ?, ?)",
        st.tuples(ids, ids, values, notes),
    ),
    ("UPDATE child SET payload = ?, parent_id = ? WHERE id = ?", st.tuples(values, ids, ids)),
    ("DELETE FROM child WHERE parent_id = ?", st.tuples(ids)),
    ("DELETE FROM child WHERE id >= ?", st.tuples(ids)),
    ("INSERT INTO kv(k, n, v) VALUES (?, ?, ?)", st.tuples(names, ids, values)),
    (
        "INSERT INTO kv(k, n, v) VALUES (?, ?, ?) ON CONFLICT(k, n) DO UPDATE SET v = excluded.v",
        st.tuples(st.sampled_from(["a", "b"]), ids, values),
    ),
    ("INSERT OR REPLACE INTO kv(k, n, v) VALUES (?, ?, ?)", st.tuples(st.sampled_from(["a", "b"]), ids, values)),
    ("UPDATE kv SET n = n + ? WHERE k = ?", st.tuples(st.integers(-2, 2), st.sampled_from(["a", "b"]))),
    ("DELETE FROM kv WHERE n = ?", st.tuples(ids)),
    ("INSERT INTO seq(v) VALUES (?)", st.tuples(notes)),
    ("INSERT OR REPLACE INTO seq(id, v) VALUES (?, ?)", st.tuples(ids, notes)),
    ("DELETE FROM seq WHERE id >= ?", st.tuples(ids)),
    ("INSERT INTO loose(a, b) VALUES (?, ?)", st.tuples(values, values)),
    ("UPDATE loose SET b = ? WHERE rowid = ?", st.tuples(values, ids)),
    ("DELETE FROM loose WHERE rowid = ?", st.tuples(ids)),
]

statement = st.integers(min_value=0, max_value=len(OPS) - 1).flatmap(
    lambda i: OPS[i][1].map(lambda params, i=i: (OPS[i][0], params))
)
statements = st.lists(statement, max_size=30)


def _run(executor, stmts) -> None:
    for sql, params in stmts:
        # a bad record: SQLite undid the statement, the unit goes on
        with contextlib.suppress(apsw.ConstraintError):
            executor.execute(sql, params)


def _fresh(folder: str, name: str, setup) -> sqlbatch.Connection:
    path = Path(folder) / name
    core_support.build(path, SCHEMA, "")
    conn = sqlbatch.connect(path)
    with conn:
        _run(conn, setup)
    return conn


PROPERTY = settings(
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@PROPERTY
@given(setup=statements, writes=statements)
def test_rollback_restores_everything(setup, writes):
    with tempfile.TemporaryDirectory() as folder:
        for strategy in STRATEGIES:
            conn = _fresh(folder, f"{strategy}.db", setup)
            before = dump_raw(conn.raw)

            with conn.unit_of_work(strategy) as uow:  # own transaction
                _run(uow, writes)
                uow.rollback()
            assert dump_raw(conn.raw) == before, strategy

            conn.execute("BEGIN IMMEDIATE")  # nested: earlier unit kept, this one undone
            with conn.unit_of_work(strategy, nested=True) as earlier:
                earlier.execute("INSERT INTO events(what) VALUES ('earlier unit')")
            kept = dump_raw(conn.raw)
            with conn.unit_of_work(strategy, nested=True) as uow:
                _run(uow, writes)
                uow.rollback()
            assert dump_raw(conn.raw) == kept, strategy
            conn.execute("ROLLBACK")
            conn.close()
            second = apsw.Connection(str(Path(folder) / f"{strategy}.db"))
            assert dump_raw(second) == before, strategy
            second.close()


@PROPERTY
@given(setup=statements, writes=statements)
def test_commit_is_the_same_for_every_strategy(setup, writes):
    with tempfile.TemporaryDirectory() as folder:
        reference = _fresh(folder, "reference.db", setup)
        with reference:
            _run(reference, writes)
        expected = dump_raw(reference.raw)
        reference.close()
        for strategy in STRATEGIES:
            conn = _fresh(folder, f"{strategy}.db", setup)
            with conn.unit_of_work(strategy) as uow:
                _run(uow, writes)
            assert uow.state == "committed"
            conn.close()
            second = apsw.Connection(str(Path(folder) / f"{strategy}.db"))
            assert dump_raw(second) == expected, strategy
            second.close()
