"""The scoped foreign-key check: this transaction's pending rows, checked now, modes kept."""

from __future__ import annotations

import psycopg
import pytest

from sqlbatch._pg.fkcheck import pending_foreign_key_problem


def test_only_this_transactions_rows_are_checked(pg_conn: psycopg.Connection) -> None:
    conn = pg_conn
    conn.execute(
        "CREATE TABLE hearings (hearing_id int PRIMARY KEY);"
        "CREATE TABLE links (hearing_id int NOT NULL, n int);"
        "INSERT INTO hearings VALUES (1);"
        "INSERT INTO links VALUES (99, 9);"  # an old orphan: not this transaction's row
        "ALTER TABLE links ADD CONSTRAINT links_hearing_id_fkey FOREIGN KEY (hearing_id) REFERENCES hearings"
        " DEFERRABLE INITIALLY DEFERRED NOT VALID"
    )
    conn.commit()
    conn.execute("UPDATE links SET n = 10 WHERE n = 9")  # the key column untouched: no check queued
    conn.execute("INSERT INTO links VALUES (2, 0)")  # child before its parent: fine while deferred
    conn.execute("INSERT INTO hearings VALUES (2)")
    assert pending_foreign_key_problem(conn) is None
    conn.execute("INSERT INTO links VALUES (41, 1)")
    problem = pending_foreign_key_problem(conn)
    assert problem is not None
    assert (problem.table, problem.constraint) == ("links", "links_hearing_id_fkey")
    assert problem.detail == 'Key (hearing_id)=(41) is not present in table "hearings".'
    assert "links_hearing_id_fkey of links" in problem.message
    # the transaction goes on, still deferred: the orphan can be mended before the end
    conn.execute("INSERT INTO links VALUES (42, 2)")
    conn.execute("INSERT INTO hearings VALUES (41), (42)")
    assert pending_foreign_key_problem(conn) is None
    conn.commit()
    assert conn.execute("SELECT count(*) FROM links").fetchone() == (4,)


def test_the_checks_stay_queued_for_commit(pg_conn: psycopg.Connection) -> None:
    conn = pg_conn
    conn.execute(
        "CREATE TABLE hearings (hearing_id int PRIMARY KEY);"
        "CREATE TABLE links (hearing_id int NOT NULL REFERENCES hearings DEFERRABLE INITIALLY DEFERRED, n int)"
    )
    conn.commit()
    conn.execute("INSERT INTO links VALUES (7, 0)")
    assert pending_foreign_key_problem(conn) is not None
    with pytest.raises(psycopg.errors.ForeignKeyViolation):
        conn.commit()  # the check did not consume the queued one


def test_outside_a_transaction_is_a_usage_error(pg_conn: psycopg.Connection) -> None:
    with pytest.raises(psycopg.ProgrammingError, match="inside the batch's open transaction"):
        pending_foreign_key_problem(pg_conn)
