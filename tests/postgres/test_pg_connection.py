"""``sqlbatch.connect("postgresql://...")``: the core's surface on a real server, placeholders,
units of work inside a larger transaction, and a password that never shows."""

from __future__ import annotations

import logging

import psycopg
import pytest

import sqlbatch
from sqlbatch._pg.connection import redact, to_pyformat
from tests.support.engines import PostgresEngine, apply, records, run

SECRET = "s3cr3t-Pw0rd"


@pytest.fixture
def db(pg_url: str) -> PostgresEngine:
    return PostgresEngine(pg_url).create()


def test_connect_gives_the_same_surface(db: PostgresEngine) -> None:
    conn = sqlbatch.connect(db.target)
    try:
        assert conn.backend.name == "postgresql" and sqlbatch.backend_for(conn) is conn.backend
        assert not conn.in_transaction  # no implicit transaction, as on SQLite
        conn.execute("INSERT INTO category VALUES (?, ?)", (7, "seven"))
        assert db.query("SELECT label FROM category WHERE id = 7") == [("seven",)]  # it committed
        row = conn.execute("SELECT id, label FROM category WHERE id = ?", (7,)).fetchone()
        assert row["label"] == "seven" and row.asdict() == {"id": 7, "label": "seven"}
        assert conn.query_value("SELECT count(*) FROM category WHERE label LIKE '%e%' AND id > ?", (0,)) == 3
        with conn:
            conn.execute("UPDATE category SET label = ? WHERE id = ?", ("sept", 7))
            assert conn.in_transaction
            with pytest.raises(psycopg.errors.UniqueViolation), conn:  # a savepoint inside: only it goes
                conn.execute("INSERT INTO category VALUES (?, ?)", (1, "again"))
        assert db.query("SELECT label FROM category WHERE id = 7") == [("sept",)]
        outcome = conn.restore_journal_mode()
        assert outcome.restored
    finally:
        conn.close()


def test_placeholders_translate_outside_quotes_and_comments() -> None:
    assert to_pyformat("SELECT '?', \"a?\" FROM t WHERE x = ? -- why?\n AND y LIKE '5%'") == (
        "SELECT '?', \"a?\" FROM t WHERE x = %s -- why?\n AND y LIKE '5%%'"
    )
    assert to_pyformat("SELECT 'it''s ?' WHERE a = ? AND b % 2 = 0") == "SELECT 'it''s ?' WHERE a = %s AND b %% 2 = 0"
    assert to_pyformat("SELECT %s, %(name)s") == "SELECT %s, %(name)s"  # psycopg's own: left alone


def test_a_nested_memory_unit_is_undone_alone_with_its_changes_by_column_name(db: PostgresEngine) -> None:
    conn = sqlbatch.connect(db.target)
    try:
        with conn:
            with conn.unit_of_work("memory", nested=True) as first:
                first.execute("INSERT INTO parent VALUES (?, ?, ?, ?)", (1, "one", 1, "t1"))
            with conn.unit_of_work("memory", nested=True) as second:
                second.execute("UPDATE parent SET name = ? WHERE id = ?", ("uno", 1))
                second.execute("DELETE FROM child WHERE parent_id = ?", (100000,))
                changes = second.changes
                second.rollback()
            assert [(c.table, c.op, c.key, c.key_columns) for c in changes] == [
                ("parent", "UPDATE", (1,), ("id",)),
                ("child", "DELETE", (1,), ("id",)),
                ("child", "DELETE", (2,), ("id",)),
            ]
            assert changes[0].before["name"] == "one" and changes[0].after["name"] == "uno"
            assert [c.op for c in first.changes] == ["INSERT"]
        assert db.query("SELECT name FROM parent WHERE id = 1") == [("one",)]
        assert db.query("SELECT count(*) FROM child") == [(2,)]
    finally:
        conn.close()


def test_a_failed_statement_is_rolled_back_with_its_unit_and_the_transaction_goes_on(db: PostgresEngine) -> None:
    conn = sqlbatch.connect(db.target)
    try:
        with conn:
            for strategy in ("memory", "savepoint"):
                uow = conn.unit_of_work(strategy, nested=True).begin()
                uow.execute("UPDATE category SET label = 'x' WHERE id = 1")
                with pytest.raises(psycopg.errors.CheckViolation):
                    uow.execute("INSERT INTO parent VALUES (?, ?, ?, ?)", (2, "", 1, "t"))
                assert conn.transaction_failed
                uow.rollback()
                assert not conn.transaction_failed
            conn.execute("INSERT INTO category VALUES (9, 'nine')")
        assert db.query("SELECT label FROM category WHERE id IN (1, 9) ORDER BY id") == [("one",), ("nine",)]
    finally:
        conn.close()


def test_the_password_never_shows(pg_url: str, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    with pytest.raises(sqlbatch.OpenError) as refused:
        sqlbatch.connect(f"postgresql://someone:{SECRET}@127.0.0.1:1/nowhere?connect_timeout=2")
    assert SECRET not in str(refused.value) and "someone:***@127.0.0.1:1" in str(refused.value)
    with pytest.raises(sqlbatch.OpenError) as malformed:
        sqlbatch.connect(f"postgresql:///db?password={SECRET}&sslmode=nonsense")
    assert SECRET not in str(malformed.value)

    url = f"{pg_url}&password={SECRET}"  # trust authentication: accepted, and never to be shown
    engine = PostgresEngine(url).create()
    conn = sqlbatch.connect(url)
    assert SECRET not in repr(conn) and SECRET not in conn.path and "password=%2A%2A%2A" not in conn.path
    assert SECRET not in repr(sqlbatch.lease_for(conn, "default"))
    conn.close()

    def dies(uow: object, batch: list) -> list[str]:
        out = apply(uow, batch)
        with psycopg.connect(pg_url, autocommit=True) as other:  # the server ends this run's session
            other.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'sqlbatch'"
                " AND pid <> pg_backend_pid()"
            )
        return out

    with pytest.raises(sqlbatch.ProcessorAborted) as aborted:
        run(engine, records(120), apply=dies, batch_size=50)
    assert SECRET not in str(aborted.value) and SECRET not in repr(aborted.value.__cause__)
    assert SECRET not in caplog.text
    journal = engine.query("SELECT sqlbatch_runs::text FROM sqlbatch_runs")
    assert journal and all(SECRET not in row[0] for row in journal)
    assert redact(f"postgresql://u:{SECRET}@h/db") == "postgresql://u:***@h/db"
