"""Property: random writes after a SAVEPOINT, undone from the captured images in reverse,
leave exactly what ``ROLLBACK TO SAVEPOINT`` leaves; and the images tell what happened.

The schema has a parent with a UNIQUE name and a key that writes may change, a child with a
DEFERRABLE foreign key that cascades on delete and on key change, a user trigger that
rewrites the children when a parent's score changes (depth 1), a composite-key table with a
trigger that makes some statements fail after writing, and an identity-keyed event table a
trigger fills. Values are NULL, integers, floats (NaN, ±inf), text and bytea. Statements
that fail run in a savepoint of their own and are rolled back to it, as a caller isolating
bad records does; some good ones are rolled back to theirs on purpose.
"""

from __future__ import annotations

import math

import psycopg
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from sqlbatch._pg.capture import CapturedChange, TriggerCapture

SCHEMA = """
CREATE TABLE parent (id int PRIMARY KEY, name text UNIQUE, score float8);
CREATE TABLE child (
  id int PRIMARY KEY,
  parent_id int NOT NULL REFERENCES parent ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
  payload bytea, note text
);
CREATE INDEX ON child (parent_id);
CREATE TABLE kv (k text, n int, v text, PRIMARY KEY (k, n));
CREATE TABLE events (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, what text, ref int);
CREATE FUNCTION child_added() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN INSERT INTO events (what, ref) VALUES ('child+', NEW.id); RETURN NULL; END $$;
CREATE TRIGGER child_added AFTER INSERT ON child FOR EACH ROW EXECUTE FUNCTION child_added();
CREATE FUNCTION parent_scored() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE child SET note = 'score ' || coalesce(NEW.score::text, 'null') WHERE parent_id = NEW.id; RETURN NULL;
END $$;
CREATE TRIGGER parent_scored AFTER UPDATE OF score ON parent FOR EACH ROW EXECUTE FUNCTION parent_scored();
CREATE FUNCTION kv_forbidden() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN IF NEW.v = 'forbidden' THEN RAISE EXCEPTION 'forbidden value'; END IF; RETURN NULL; END $$;
CREATE TRIGGER kv_forbidden AFTER INSERT OR UPDATE ON kv FOR EACH ROW EXECUTE FUNCTION kv_forbidden();
"""
TABLES = ("parent", "child", "kv", "events")

ids = st.integers(min_value=1, max_value=6)
names = st.sampled_from(["a", "b", "c", None])
scores = st.one_of(st.none(), st.floats(allow_nan=True, allow_infinity=True), st.integers(-5, 5).map(float))
blobs = st.one_of(st.none(), st.binary(max_size=8))
texts = st.one_of(st.none(), st.text(max_size=6).map(lambda t: t.replace("\x00", "")), st.just("forbidden"))

ops = st.one_of(
    st.tuples(st.just("upsert_parent"), ids, names, scores),
    st.tuples(st.just("score"), ids, scores),
    st.tuples(st.just("rekey"), ids, ids),
    st.tuples(st.just("delete_parent"), ids),
    st.tuples(st.just("add_child"), ids, ids, blobs),
    st.tuples(st.just("delete_child"), ids),
    st.tuples(st.just("grow"), ids),
    st.tuples(st.just("kv_put"), st.sampled_from("xy"), st.integers(1, 3), texts),
    st.tuples(st.just("kv_drop"), st.sampled_from("xy")),
)
steps = st.lists(st.tuples(ops, st.booleans()), max_size=14)  # (op, roll it back to its own savepoint)

STATEMENTS = {
    "upsert_parent": "INSERT INTO parent VALUES (%s, %s, %s)"
    " ON CONFLICT (id) DO UPDATE SET name = EXCLUDED.name, score = EXCLUDED.score",
    "score": "UPDATE parent SET score = %s WHERE id = %s",
    "rekey": "UPDATE parent SET id = %s WHERE id = %s",
    "delete_parent": "DELETE FROM parent WHERE id = %s",
    "add_child": "INSERT INTO child (id, parent_id, payload) SELECT %s, id, %s FROM parent WHERE id = %s",
    "delete_child": "DELETE FROM child WHERE id = %s",
    "grow": "UPDATE child SET payload = coalesce(payload, '') || '\\x2a'::bytea WHERE id <= %s",
    "kv_put": "INSERT INTO kv VALUES (%s, %s, %s) ON CONFLICT (k, n) DO UPDATE SET v = EXCLUDED.v",
    "kv_drop": "DELETE FROM kv WHERE k = %s",
}


def params(op: tuple) -> tuple:
    name, *args = op
    if name == "score":
        return (args[1], args[0])
    if name == "rekey":
        return (args[1], args[0])
    if name == "add_child":
        return (args[0], args[2], args[1])
    return tuple(args)


def run(conn: psycopg.Connection, steps: list[tuple[tuple, bool]]) -> None:
    for op, discard in steps:
        conn.execute("SAVEPOINT op")
        try:
            conn.execute(STATEMENTS[op[0]], params(op))
        except psycopg.errors.Error:  # unique name, key taken, forbidden value: isolate it
            conn.execute("ROLLBACK TO SAVEPOINT op")
            continue
        conn.execute("ROLLBACK TO SAVEPOINT op" if discard else "RELEASE SAVEPOINT op")


def dump(conn: psycopg.Connection) -> dict[str, list]:
    return {t: conn.execute(f"SELECT {t}::text FROM {t} ORDER BY 1").fetchall() for t in TABLES}


def rows(conn: psycopg.Connection, shapes: dict) -> dict[tuple, dict]:
    out = {}
    for t in TABLES:
        with conn.cursor() as cur:
            for row in cur.execute(f"SELECT * FROM {t}"):
                values = dict(zip([d.name for d in cur.description], row, strict=True))
                out[(t, tuple(values[c] for c in shapes[t].pk))] = values
    return out


def same(a: dict, b: dict) -> bool:
    if a.keys() != b.keys():
        return False
    return all(
        x == y or (isinstance(x, float) and math.isnan(x) and math.isnan(y))
        for x, y in zip(a.values(), b.values(), strict=True)
    )


def replay(model: dict[tuple, dict], change: CapturedChange, shapes: dict) -> None:
    """Apply one change to a model of the tables, checking its before-image against it."""
    pk = shapes[change.table].pk
    if change.before is not None:
        old = (change.table, tuple(change.before[c] for c in pk))
        assert same(model.pop(old), change.before), change
    if change.after is not None:
        new = (change.table, tuple(change.after[c] for c in pk))
        assert new not in model, change
        model[new] = change.after


@pytest.fixture
def capture(pg_conn: psycopg.Connection) -> TriggerCapture:
    pg_conn.execute(SCHEMA)
    pg_conn.commit()
    cap = TriggerCapture(pg_conn, ["parent", "kv", "events"])  # child joins through its cascade
    assert set(cap.tables) == set(TABLES)
    cap.install()
    pg_conn.commit()
    return cap


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prefix=steps, batch=steps)
def test_undo_equals_rollback_to_savepoint(
    pg_conn: psycopg.Connection, capture: TriggerCapture, prefix: list, batch: list
) -> None:
    conn = pg_conn
    conn.rollback()
    conn.execute("TRUNCATE parent, child, kv, events RESTART IDENTITY")  # not capturing: allowed
    conn.execute("INSERT INTO parent VALUES (1, 'a', 1.5), (2, 'b', NULL)")
    conn.execute("INSERT INTO child (id, parent_id, payload) VALUES (1, 1, '\\x00'), (2, 2, NULL)")
    conn.commit()
    capture.begin()
    run(conn, prefix)  # earlier batches of the same transaction: must stay
    conn.execute("SAVEPOINT batch")
    at_savepoint = dump(conn)
    model = rows(conn, capture.shapes)
    mark = capture.mark()

    run(conn, batch)
    changes = capture.changes(mark)
    for change in changes:
        replay(model, change, capture.shapes)
    now = rows(conn, capture.shapes)
    assert model.keys() == now.keys() and all(same(model[k], now[k]) for k in now)  # the after-images

    capture.undo(mark)
    undone = dump(conn)
    assert capture.changes(mark) == []

    run(conn, batch)
    conn.execute("ROLLBACK TO SAVEPOINT batch")
    assert undone == dump(conn) == at_savepoint
    assert capture.changes(mark) == []  # the savepoint took its log rows too
    conn.commit()  # the deferred foreign keys hold
