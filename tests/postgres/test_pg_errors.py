"""Retryable errors are told by SQLSTATE, provoked for real on the server."""

from __future__ import annotations

import threading

import psycopg
import pytest
import tenacity

from sqlbatch._pg.errors import RETRYABLE_SQLSTATES, describe, retry_if_retryable, retryable, sqlstate


@pytest.fixture
def rows(pg_conn: psycopg.Connection, pg_url: str) -> str:
    pg_conn.execute("CREATE TABLE t (id int PRIMARY KEY, a int NOT NULL CHECK (a >= 0), code text UNIQUE)")
    pg_conn.execute("INSERT INTO t VALUES (1, 0, 'x'), (2, 0, 'y')")
    pg_conn.commit()
    return pg_url


def test_the_retryable_codes() -> None:
    assert {"40001", "40P01", "55P03"} == RETRYABLE_SQLSTATES
    assert psycopg.errors.lookup("40001") is psycopg.errors.SerializationFailure
    assert psycopg.errors.lookup("40P01") is psycopg.errors.DeadlockDetected
    assert psycopg.errors.lookup("55P03") is psycopg.errors.LockNotAvailable


def test_serialization_failure_is_retryable(rows: str) -> None:
    with psycopg.connect(rows) as mine, psycopg.connect(rows, autocommit=True) as other:
        mine.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        mine.execute("SELECT a FROM t WHERE id = 1").fetchone()  # the snapshot is taken
        other.execute("UPDATE t SET a = 5 WHERE id = 1")
        with pytest.raises(psycopg.Error) as caught:
            mine.execute("UPDATE t SET a = a + 1 WHERE id = 1")
    assert sqlstate(caught.value) == "40001" and retryable(caught.value)
    assert describe(caught.value).startswith("SerializationFailure (SQLSTATE 40001): could not serialize")


def test_deadlock_is_retryable(rows: str) -> None:
    a, b = psycopg.connect(rows), psycopg.connect(rows)
    try:
        for conn in (a, b):
            try:
                conn.execute("SET deadlock_timeout = '100ms'")  # superuser only: the default 1 s otherwise
            except psycopg.errors.InsufficientPrivilege:
                conn.rollback()
        a.execute("UPDATE t SET a = 1 WHERE id = 1")
        b.execute("UPDATE t SET a = 1 WHERE id = 2")
        errors: list[BaseException] = []

        def cross(conn: psycopg.Connection, row: int) -> None:
            try:
                conn.execute("UPDATE t SET a = 2 WHERE id = %s", (row,))
            except psycopg.Error as exc:
                errors.append(exc)
                conn.rollback()  # the victim's locks go, so the other one proceeds

        thread = threading.Thread(target=cross, args=(a, 2))
        thread.start()
        cross(b, 1)
        thread.join(10)
    finally:
        a.close()
        b.close()
    assert len(errors) == 1
    assert sqlstate(errors[0]) == "40P01" and retryable(errors[0])


def test_lock_timeout_is_retryable(rows: str) -> None:
    with psycopg.connect(rows) as holder, psycopg.connect(rows) as waiter:
        holder.execute("UPDATE t SET a = 1 WHERE id = 1")
        waiter.execute("SET lock_timeout = '50ms'")
        with pytest.raises(psycopg.Error) as caught:
            waiter.execute("UPDATE t SET a = 2 WHERE id = 1")
    assert sqlstate(caught.value) == "55P03" and retryable(caught.value)


@pytest.mark.parametrize(
    ("statement", "code", "named"),
    [
        ("INSERT INTO t VALUES (1, 0, 'z')", "23505", "constraint t_pkey"),
        ("UPDATE t SET code = 'x' WHERE id = 2", "23505", "constraint t_code_key"),
        ("UPDATE t SET a = -1 WHERE id = 1", "23514", "constraint t_a_check"),
        ("INSERT INTO t (id, code) VALUES (3, 'q')", "23502", "column a"),
        ("SELECT nope FROM t", "42703", None),
    ],
)
def test_other_errors_are_not_retried_and_are_described(rows: str, statement: str, code: str, named: str) -> None:
    with psycopg.connect(rows) as conn, pytest.raises(psycopg.Error) as caught:
        conn.execute(statement)
    assert sqlstate(caught.value) == code
    assert not retryable(caught.value)
    if named:
        assert named in describe(caught.value) and "table t" in describe(caught.value)
    assert f"(SQLSTATE {code})" in describe(caught.value)


def test_wrapped_errors_are_told_by_their_cause(rows: str) -> None:
    with psycopg.connect(rows) as conn, psycopg.connect(rows) as holder:
        holder.execute("SELECT * FROM t WHERE id = 1 FOR UPDATE")
        try:
            conn.execute("SELECT * FROM t WHERE id = 1 FOR UPDATE NOWAIT")
        except psycopg.Error as exc:
            wrapped = RuntimeError("batch 3 failed")
            wrapped.__cause__ = exc
    assert retryable(wrapped) and sqlstate(wrapped) == "55P03"
    assert not retryable(RuntimeError("could not serialize access due to concurrent update"))  # text is not enough
    assert sqlstate(ValueError("x")) is None and describe(ValueError("x")) == "ValueError: x"


def test_a_batch_that_loses_a_conflict_is_retried_whole(rows: str) -> None:
    attempts: list[int] = []
    with psycopg.connect(rows) as mine, psycopg.connect(rows, autocommit=True) as other:
        mine.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ

        def batch() -> None:
            attempts.append(1)
            with mine.transaction():
                mine.execute("UPDATE t SET a = a + 1 WHERE id = 2")
                mine.execute("SELECT a FROM t WHERE id = 1").fetchone()
                if len(attempts) == 1:
                    other.execute("UPDATE t SET a = a + 10 WHERE id = 1")  # a concurrent writer wins
                mine.execute("UPDATE t SET a = a + 1 WHERE id = 1")

        tenacity.Retrying(retry=retry_if_retryable, stop=tenacity.stop_after_attempt(3), reraise=True)(batch)
        assert len(attempts) == 2
        final = dict(other.execute("SELECT id, a FROM t").fetchall())
    assert final == {1: 11, 2: 1}  # the first attempt left nothing: id 2 got its +1 once
