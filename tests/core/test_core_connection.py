"""``connect()`` and the connection wrapper: settings, rows, transactions, open errors."""

from __future__ import annotations

import apsw
import pytest

import sqlbatch
from tests.support.core import dump_file


def test_settings(conn):
    assert conn.query_value("PRAGMA journal_mode") == "wal"
    assert conn.query_value("PRAGMA foreign_keys") == 1
    assert conn.query_value("PRAGMA busy_timeout") == 5000
    assert conn.query_value("PRAGMA synchronous") == 1  # NORMAL
    assert conn.query_value("PRAGMA temp_store") == 2  # MEMORY
    assert not conn.in_transaction


def test_settings_are_options(tmp_path):
    conn = sqlbatch.connect(tmp_path / "opts.db", busy_timeout_ms=250, foreign_keys=False)
    assert conn.query_value("PRAGMA busy_timeout") == 250
    assert conn.query_value("PRAGMA foreign_keys") == 0
    conn.close()


def test_foreign_keys_enforced(conn):
    with pytest.raises(apsw.ConstraintError, match="FOREIGN KEY"):
        conn.execute("INSERT INTO child(parent_id, label) VALUES (999, 'orphan')")


def test_new_file_is_created_in_wal(tmp_path):
    path = tmp_path / "new.db"
    conn = sqlbatch.connect(path)
    conn.execute("CREATE TABLE t(x)")
    conn.close()
    raw = apsw.Connection(str(path))
    assert raw.execute("PRAGMA journal_mode").fetchall() == [("wal",)]  # persistent
    raw.close()


def test_rows_by_name_and_as_tuples(conn):
    row = conn.execute("SELECT id, name, price, data FROM item WHERE id = 1").fetchone()
    assert row == (1, "alpha", 1.5, b"\x01\x02")
    assert isinstance(row, tuple) and isinstance(row, sqlbatch.Row)
    assert row["name"] == "alpha" and row[1] == "alpha" and row[-1] == b"\x01\x02"
    assert row.keys() == ("id", "name", "price", "data")
    assert row.asdict() == {"id": 1, "name": "alpha", "price": 1.5, "data": b"\x01\x02"}
    ident, name, *_ = row
    assert (ident, name) == (1, "alpha")
    assert row[1:3] == ("alpha", 1.5)
    with pytest.raises(KeyError, match="nope"):
        row["nope"]
    rows = conn.execute("SELECT id AS n FROM item ORDER BY id").fetchall()
    assert [r["n"] for r in rows] == [1, 2, 3]


def test_named_parameters_and_executemany(conn):
    conn.executemany("INSERT INTO marker(v) VALUES (:v)", [{"v": "a"}, {"v": "b"}])
    rows = conn.execute("SELECT v FROM marker WHERE v >= :lo ORDER BY v", {"lo": "a"}).fetchall()
    assert [r["v"] for r in rows] == ["a", "b"]
    assert conn.query_value("SELECT count(*) FROM marker") == 2
    assert conn.query_value("SELECT v FROM marker WHERE v = 'zzz'") is None
    assert conn.last_insert_rowid() == 2
    conn.executescript("INSERT INTO marker(v) VALUES ('c'); INSERT INTO marker(v) VALUES ('d');")
    assert conn.query_value("SELECT count(*) FROM marker") == 4


def test_dump_rows_includes_sqlite_sequence(conn):
    lines = list(conn.dump_rows())
    assert "sqlite_sequence: ('seqd', 3)" in lines
    assert any(line.startswith("kv: ") for line in lines)
    assert lines == list(conn.dump_rows())  # stable


def test_with_conn_commits(db_path, conn):
    with conn as same:
        assert same is conn
        assert conn.in_transaction
        conn.execute("INSERT INTO marker(v) VALUES ('committed')")
    assert not conn.in_transaction
    conn.close()
    assert [r[2] for r in dump_file(db_path)["marker"]] == ["committed"]


def test_with_conn_rolls_back_on_exception(db_path, conn):
    before = dump_file(db_path)
    with pytest.raises(ZeroDivisionError), conn:
        conn.execute("INSERT INTO marker(v) VALUES ('gone')")
        conn.execute("DELETE FROM parent WHERE id = 1")
        1 / 0  # noqa: B018
    assert not conn.in_transaction
    conn.close()
    assert dump_file(db_path) == before


def test_with_conn_nests_as_savepoints(db_path, conn):
    with conn:
        conn.execute("INSERT INTO marker(v) VALUES ('outer')")
        with pytest.raises(ValueError), conn:
            conn.execute("INSERT INTO marker(v) VALUES ('inner, undone')")
            with conn:
                conn.execute("INSERT INTO marker(v) VALUES ('innermost, undone')")
            raise ValueError
        assert conn.in_transaction
        with conn:
            conn.execute("INSERT INTO marker(v) VALUES ('inner, kept')")
        assert conn.in_transaction
    assert not conn.in_transaction
    conn.close()
    assert [r[2] for r in dump_file(db_path)["marker"]] == ["outer", "inner, kept"]


def test_with_conn_inside_caller_transaction_does_not_end_it(db_path, conn):
    before = dump_file(db_path)
    conn.execute("BEGIN IMMEDIATE")
    with conn:
        conn.execute("INSERT INTO marker(v) VALUES ('in savepoint')")
    assert conn.in_transaction  # released the savepoint, did not COMMIT the caller's work
    with pytest.raises(KeyError), conn:
        conn.execute("INSERT INTO marker(v) VALUES ('undone')")
        raise KeyError
    assert conn.in_transaction
    assert conn.query_value("SELECT group_concat(v) FROM marker") == "in savepoint"
    conn.execute("ROLLBACK")  # the caller decides
    conn.close()
    assert dump_file(db_path) == before


@pytest.mark.parametrize("strategy", ["memory", "savepoint", "session"])
def test_with_conn_inside_unit_of_work(db_path, conn, strategy):
    before = dump_file(db_path)
    with conn.unit_of_work(strategy) as uow:
        with conn:
            uow.execute("INSERT INTO marker(v) VALUES ('inside')")
        assert conn.in_transaction  # the unit's transaction is still open
        uow.rollback()
    conn.close()
    assert dump_file(db_path) == before


def test_transaction_visible_to_second_connection_only_after_commit(db_path, conn):
    other = apsw.Connection(str(db_path))
    with conn:
        conn.execute("INSERT INTO marker(v) VALUES ('x')")
        assert other.execute("SELECT count(*) FROM marker").fetchall() == [(0,)]
    assert other.execute("SELECT count(*) FROM marker").fetchall() == [(1,)]
    other.close()


def test_busy_writer_waits_then_reports_busy(db_path):
    a = sqlbatch.connect(db_path, busy_timeout_ms=50)
    b = sqlbatch.connect(db_path, busy_timeout_ms=50)
    a.execute("BEGIN IMMEDIATE")
    with pytest.raises(apsw.BusyError):
        b.execute("BEGIN IMMEDIATE")
    a.execute("ROLLBACK")
    with b.unit_of_work("memory"):
        pass
    a.close()
    b.close()


def test_backup_to(tmp_path, conn, db_path):
    target = tmp_path / "copy.db"
    conn.backup_to(target)
    assert dump_file(target) == dump_file(db_path)


def test_close_refused_while_unit_open(conn):
    uow = conn.unit_of_work("memory").begin()
    with pytest.raises(sqlbatch.UnitOfWorkError, match="still open"):
        conn.close()
    uow.rollback()
    conn.close()


# -- connect() errors -----------------------------------------------------------------------------
def test_open_missing_folder(tmp_path):
    target = tmp_path / "no" / "such" / "folder" / "x.db"
    with pytest.raises(sqlbatch.OpenError, match="does not exist") as info:
        sqlbatch.connect(target)
    assert str(target.parent) in str(info.value)
    assert not target.parent.exists()  # nothing created


def test_open_not_a_database(tmp_path):
    junk = tmp_path / "junk.db"
    junk.write_bytes(b"this is not SQLite at all\x00\xff" * 200)
    with pytest.raises(sqlbatch.OpenError, match="not a SQLite database") as info:
        sqlbatch.connect(junk)
    assert "junk.db" in str(info.value)
    assert isinstance(info.value, sqlbatch.SqlbatchError)
    assert junk.read_bytes().startswith(b"this is not SQLite")  # left as it was


def test_open_without_create(tmp_path):
    with pytest.raises(sqlbatch.OpenError, match="no such file"):
        sqlbatch.connect(tmp_path / "absent.db", create=False)
    assert not (tmp_path / "absent.db").exists()


def test_open_readonly(db_path):
    conn = sqlbatch.connect(db_path, readonly=True)
    assert conn.query_value("SELECT count(*) FROM item") == 3
    with pytest.raises(apsw.ReadOnlyError):
        conn.execute("DELETE FROM item")
    conn.close()


def test_open_memory():
    conn = sqlbatch.connect(":memory:")
    conn.execute("CREATE TABLE t(x)")
    with conn.unit_of_work("memory") as uow:
        uow.execute("INSERT INTO t VALUES (1)")
        uow.rollback()
    assert conn.query_value("SELECT count(*) FROM t") == 0
    conn.close()


# -- the connection owns its unit of work and capture: abort() -------------------------------------
class _CloseFails:
    """A memory tracker whose close() fails before freeing anything: the capture stays held."""

    def __init__(self, conn: sqlbatch.Connection) -> None:
        self.inner = sqlbatch.MemoryStrategy()(conn)

    def __getattr__(self, name: str):
        return getattr(self.inner, name)

    def close(self) -> None:
        raise RuntimeError("close failed")


@pytest.mark.parametrize("strategy", ["memory", "savepoint", "session", _CloseFails])
def test_abort_frees_the_capture_and_the_next_unit_captures(conn, strategy):
    uow = conn.unit_of_work(strategy).begin()
    uow.execute("INSERT INTO parent(name) VALUES ('lost')")
    assert conn.active_unit is uow
    conn.abort()
    assert conn.active_unit is None and not conn.in_transaction and uow.state == "rolled back"
    assert conn.query_value("SELECT count(*) FROM parent WHERE name='lost'") == 0
    recorder = getattr(getattr(uow.tracker, "inner", uow.tracker), "_recorder", None)
    seen = len(recorder.entries) if recorder is not None else 0
    conn.execute("INSERT INTO parent(name) VALUES ('after')")  # autocommit, no unit open
    if recorder is not None:  # its hook no longer fires: it was removed, not only forgotten
        assert len(recorder.entries) == seen
    conn.session().close()  # the capture is free: a Session may be made
    with conn.unit_of_work("memory") as again:
        again.execute("INSERT INTO parent(name) VALUES ('kept')")
    assert [c.op for c in again.changes] == ["INSERT"]
    conn.abort()  # idempotent: nothing open, nothing done
    conn.abort()
    assert conn.query_value("SELECT count(*) FROM parent WHERE name IN ('after', 'kept')") == 2


def test_abort_leaves_a_users_session_alone(conn):
    session = conn.session()
    conn.abort()
    with pytest.raises(sqlbatch.CaptureConflictError):
        conn.unit_of_work("memory").begin()
    session.close()
    with conn.unit_of_work("memory"):
        pass


def test_unit_of_work_inside_a_transaction_must_say_nested(conn):
    conn.execute("BEGIN IMMEDIATE")
    with pytest.raises(sqlbatch.UnitOfWorkError, match=r"nested=True"):
        conn.unit_of_work("memory").begin()
    with conn.unit_of_work("memory", nested=True) as uow:
        uow.execute("INSERT INTO parent(name) VALUES ('inner')")
    assert conn.in_transaction  # a nested unit leaves the caller's transaction open
    conn.execute("ROLLBACK")
    with pytest.raises(sqlbatch.UnitOfWorkError, match=r"no transaction is open"):
        conn.unit_of_work("memory", nested=True).begin()
    assert conn.active_unit is None
