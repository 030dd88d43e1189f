"""Row-trigger capture on a real server: images by column name, per transaction, undone exactly."""

from __future__ import annotations

import threading

import psycopg
import pytest

from sqlbatch import Change
from sqlbatch._errors import UnsupportedSchemaError
from sqlbatch._pg.capture import TriggerCapture, UndoFailed
from sqlbatch._pg.tables import NoPrimaryKey

SCHEMA = """
CREATE TABLE parent (
  id int PRIMARY KEY, name text NOT NULL, at timestamptz, amount numeric, raw bytea, ratio float8,
  tags text[], meta jsonb, twice int GENERATED ALWAYS AS (id * 2) STORED
);
CREATE TABLE child (
  id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  parent_id int REFERENCES parent ON DELETE CASCADE ON UPDATE CASCADE DEFERRABLE INITIALLY DEFERRED,
  note text
);
CREATE TABLE strict_child (
  id int PRIMARY KEY, parent_id int REFERENCES parent ON DELETE CASCADE
);
CREATE TABLE loose (x int);
INSERT INTO parent VALUES
  (1, 'one', '2025-01-02 03:04:05.678901+00', 1.10, '\\x00ff', 'NaN', '{a,b}', '{"k": [1, 2.5]}');
INSERT INTO parent VALUES (2, 'two', NULL, 0.001, NULL, 1e-300, NULL, NULL);
INSERT INTO child (parent_id, note) VALUES (1, 'c1'), (2, 'c2');
"""


def dump(conn: psycopg.Connection) -> dict[str, list[tuple]]:
    # text form: what a restore must give back exactly (numeric scale, timestamp digits, NaN)
    return {
        t: conn.execute(f"SELECT {t}::text FROM {t} ORDER BY id").fetchall()
        for t in ("parent", "child", "strict_child")
    }


@pytest.fixture
def db(pg_conn: psycopg.Connection) -> psycopg.Connection:
    pg_conn.execute(SCHEMA)
    pg_conn.commit()
    return pg_conn


@pytest.fixture
def cap(db: psycopg.Connection) -> TriggerCapture:
    capture = TriggerCapture(db, ["parent"])
    capture.install()
    db.commit()
    return capture


def triggers(conn: psycopg.Connection) -> list[tuple[str, str]]:
    return conn.execute(
        "SELECT tgrelid::regclass::text, tgname FROM pg_trigger WHERE tgname LIKE 'sqlbatch%' ORDER BY 1, 2"
    ).fetchall()


def test_install_is_idempotent_and_follows_cascades(db: psycopg.Connection) -> None:
    capture = TriggerCapture(db, ["parent", "parent"])
    assert capture.tables == ("parent", "child", "strict_child")  # both cascade into parent's rows
    assert not capture.installed()
    capture.install()
    capture.install()
    db.commit()
    expected = [
        (t, n) for t in ("child", "parent", "strict_child") for n in ("sqlbatch_capture", "sqlbatch_capture_truncate")
    ]
    assert triggers(db) == expected
    assert capture.installed()
    capture.uninstall()
    capture.uninstall()
    db.commit()
    assert triggers(db) == []


def test_tables_without_primary_key_or_missing_are_refused_by_name(db: psycopg.Connection) -> None:
    with pytest.raises(NoPrimaryKey, match=r"public\.loose: it has no primary key"):
        TriggerCapture(db, ["loose"])
    with pytest.raises(UnsupportedSchemaError, match=r"public\.nowhere: no such table"):
        TriggerCapture(db, ["nowhere"])
    with pytest.raises(ValueError, match="at least one table"):
        TriggerCapture(db, [])


def test_changes_are_images_by_column_name_in_order(db: psycopg.Connection, cap: TriggerCapture) -> None:
    cap.begin()
    db.execute("INSERT INTO parent (id, name, amount) VALUES (3, 'three', 3.50)")
    db.execute("UPDATE parent SET name = 'uno', id = 10 WHERE id = 1")  # a key change cascades to child
    db.execute("DELETE FROM parent WHERE id = 2")
    got = cap.changes()
    assert [(c.table, c.op, c.key) for c in got] == [
        ("parent", "INSERT", {"id": 3}),
        ("parent", "UPDATE", {"id": 10}),
        ("child", "UPDATE", {"id": 1}),
        ("parent", "DELETE", {"id": 2}),
        ("child", "DELETE", {"id": 2}),
    ]
    insert, update, cascaded = got[0], got[1], got[2]
    assert insert.before is None and insert.after["amount"].as_tuple().exponent == -2  # Decimal('3.50')
    assert insert.after["twice"] == 6  # stored generated columns are in the after-image
    assert update.before["name"] == "one" and update.before["id"] == 1 and update.after["name"] == "uno"
    assert update.before["raw"] == b"\x00\xff" and update.before["tags"] == ["a", "b"]
    assert update.before["meta"] == {"k": [1, 2.5]}
    assert update.before["at"].microsecond == 678901
    assert cascaded.before["parent_id"] == 1 and cascaded.after["parent_id"] == 10
    assert got[3].after is None and got[4].before["note"] == "c2"
    as_json = cap.changes(typed=False)[1]
    assert as_json.before["raw"] == "\\x00ff" and as_json.before["ratio"] == "NaN"
    change = got[1].to_change()
    assert isinstance(change, Change)
    assert (change.table, change.op, change.key, change.key_columns) == ("parent", "UPDATE", (10,), ("id",))


def test_log_belongs_to_one_transaction_and_to_its_savepoints(db: psycopg.Connection, cap: TriggerCapture) -> None:
    cap.begin()
    db.execute("UPDATE parent SET name = 'a' WHERE id = 1")
    db.execute("SAVEPOINT s")
    db.execute("UPDATE parent SET name = 'b' WHERE id = 1")
    db.execute("ROLLBACK TO SAVEPOINT s")
    assert [c.after["name"] for c in cap.changes()] == ["a"]  # rolled-back writes leave no log rows
    db.commit()
    assert cap.changes() == []  # ON COMMIT DELETE ROWS
    db.execute("UPDATE parent SET name = 'c' WHERE id = 1")  # a new transaction, begin() not called
    assert cap.changes() == []
    db.rollback()


def test_other_sessions_write_through_untouched(db: psycopg.Connection, cap: TriggerCapture, pg_url: str) -> None:
    cap.begin()
    with psycopg.connect(pg_url, autocommit=True) as other:  # no log table, no setting: must still write
        other.execute("UPDATE parent SET name = 'other' WHERE id = 2")
        other.execute("INSERT INTO child (parent_id, note) VALUES (2, 'c3')")
    db.execute("UPDATE parent SET name = 'mine' WHERE id = 1")
    assert [(c.table, c.after["name"]) for c in cap.changes()] == [("parent", "mine")]
    db.rollback()


def test_undo_restores_exactly_what_was_there(db: psycopg.Connection, cap: TriggerCapture) -> None:
    cap.begin()
    db.execute("INSERT INTO parent (id, name) VALUES (3, 'three')")
    db.execute("INSERT INTO child (parent_id, note) VALUES (3, 'c3')")
    before = dump(db)
    mark = cap.mark()
    db.execute("UPDATE parent SET name = 'x', amount = 9.000, raw = NULL, ratio = 0 WHERE id = 1")
    db.execute("UPDATE parent SET id = 20 WHERE id = 2")
    db.execute("DELETE FROM parent WHERE id = 3")  # cascades to its child
    db.execute("INSERT INTO parent (id, name) VALUES (4, 'four')")
    db.execute("INSERT INTO strict_child VALUES (1, 4)")
    undone = len(cap.changes(mark))
    assert undone == 7  # 4 parent writes, 2 cascaded child writes, 1 strict_child insert
    assert cap.undo(mark) == undone
    assert dump(db) == before
    assert [c.op for c in cap.changes()] == ["INSERT", "INSERT"]  # what came before the mark stays
    db.commit()
    assert dump(db) == before  # the deferred foreign keys hold at COMMIT


def test_undo_counts_and_forgets_what_it_undid(db: psycopg.Connection, cap: TriggerCapture) -> None:
    cap.begin()
    db.execute("UPDATE parent SET name = 'x' WHERE id = 1")
    db.execute("DELETE FROM child WHERE id = 1")
    assert cap.undo() == 2
    assert cap.changes() == []
    db.execute("UPDATE parent SET name = 'y' WHERE id = 2")  # capture is on again after the undo
    assert [c.key for c in cap.changes()] == [{"id": 2}]
    db.rollback()


def test_privileged_undo_silences_triggers_and_replays_immediate_cascades(
    db: psycopg.Connection, cap: TriggerCapture
) -> None:
    db.execute("CREATE TABLE events (id int GENERATED ALWAYS AS IDENTITY PRIMARY KEY, what text)")
    db.execute(
        "CREATE FUNCTION note_child() RETURNS trigger LANGUAGE plpgsql AS"
        " $$ BEGIN INSERT INTO events (what) VALUES ('child ' || NEW.id); RETURN NULL; END $$"
    )
    db.execute("CREATE TRIGGER noted AFTER INSERT ON strict_child FOR EACH ROW EXECUTE FUNCTION note_child()")
    db.execute("INSERT INTO strict_child VALUES (1, 2)")
    db.commit()
    capture = TriggerCapture(db, ["parent", "events"])
    capture.install()
    db.commit()
    before = dump(db), db.execute("SELECT * FROM events").fetchall()
    capture.begin()
    db.execute("DELETE FROM parent WHERE id = 2")  # cascades through strict_child's immediate key
    db.execute("INSERT INTO parent (id, name) VALUES (2, 'again')")
    db.execute("INSERT INTO strict_child VALUES (2, 2)")  # the user trigger writes an event
    depth = {c.table: c.depth for c in capture.changes()}
    assert depth["events"] == 1 and depth["child"] == 0  # a trigger's write nests; a cascade does not
    tables = [c.table for c in capture.changes()]
    assert sorted(tables[1:3]) == ["child", "strict_child"]  # the two cascades, in the server's order
    assert tables[0] == tables[3] == "parent" and sorted(tables[4:]) == ["events", "strict_child"]
    capture.undo()
    # as replica: the re-inserted strict_child row wrote no new event, no cascade fired twice
    assert (dump(db), db.execute("SELECT * FROM events").fetchall()) == before
    db.commit()


@pytest.fixture
def plain_role(db: psycopg.Connection, pg_url: str):
    name = db.execute("SELECT 'sqlbatch_job_' || pg_backend_pid()").fetchone()[0]
    try:
        db.execute(f"CREATE ROLE {name} LOGIN")
    except psycopg.errors.InsufficientPrivilege:
        pytest.skip("the given server's role cannot create roles")
    db.execute(f"GRANT ALL ON ALL TABLES IN SCHEMA public TO {name}")
    db.commit()
    try:
        with psycopg.connect(pg_url, user=name) as conn:
            yield conn
    finally:
        db.rollback()
        db.execute(f"DROP OWNED BY {name}")
        db.execute(f"DROP ROLE {name}")
        db.commit()


def test_unprivileged_cascade_through_an_immediate_key_fails_clearly_and_changes_nothing(
    db: psycopg.Connection, cap: TriggerCapture, plain_role: psycopg.Connection
) -> None:
    db.execute("INSERT INTO strict_child VALUES (1, 2)")
    db.commit()
    capture = TriggerCapture(plain_role, ["parent"])
    assert capture.installed()  # installed by the owner; the job's role only writes
    capture.begin()
    plain_role.execute("DELETE FROM parent WHERE id = 2")  # cascades through strict_child's immediate key
    after = dump(plain_role)
    with pytest.raises(UndoFailed, match="strict_child_parent_id_fkey.*savepoint strategy"):
        capture.undo()
    assert dump(plain_role) == after  # its own savepoint: the transaction goes on as it was
    assert len(capture.changes()) == 3
    plain_role.execute("ROLLBACK")
    plain_role.rollback()


def test_unprivileged_undo_of_deferrable_cascades_is_exact(
    db: psycopg.Connection, cap: TriggerCapture, plain_role: psycopg.Connection
) -> None:
    capture = TriggerCapture(plain_role, ["parent"])
    before = dump(plain_role)
    capture.begin()
    plain_role.execute("UPDATE parent SET id = 7 WHERE id = 1")  # cascades to child (deferrable)
    plain_role.execute("DELETE FROM parent WHERE id = 2")
    capture.undo()
    assert dump(plain_role) == before
    plain_role.commit()


def test_truncate_is_refused_while_capturing(db: psycopg.Connection, cap: TriggerCapture) -> None:
    cap.begin()
    with pytest.raises(psycopg.errors.FeatureNotSupported, match="TRUNCATE of child is not captured"):
        db.execute("TRUNCATE child")
    db.rollback()
    db.execute("TRUNCATE child")  # outside a capture it is the owner's business
    db.rollback()


def test_two_sessions_installing_at_once_both_succeed(db: psycopg.Connection, pg_url: str) -> None:
    errors: list[BaseException] = []

    def install() -> None:
        try:
            with psycopg.connect(pg_url) as conn:
                TriggerCapture(conn, ["parent"]).install()
                conn.commit()
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=install) for _ in range(3)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert errors == []
    assert len(triggers(db)) == 6  # 3 tables x (row trigger, truncate guard), once each


def test_a_rolled_back_first_batch_takes_the_log_table_and_the_next_makes_it_again(
    db: psycopg.Connection, cap: TriggerCapture
) -> None:
    cap.begin()  # the session's first batch creates the log table...
    db.execute("UPDATE parent SET name = 'a' WHERE id = 1")
    db.rollback()  # ...and its rollback drops it
    assert db.execute("SELECT to_regclass('pg_temp.sqlbatch_capture_log')").fetchone() == (None,)
    db.rollback()
    cap.begin()
    db.execute("UPDATE parent SET name = 'b' WHERE id = 1")
    assert [c.after["name"] for c in cap.changes()] == ["b"]
    db.commit()
    cap.begin()  # the table is there now: nothing to create
    db.execute("UPDATE parent SET name = 'c' WHERE id = 1")
    assert [c.after["name"] for c in cap.changes()] == ["c"]
    db.rollback()
