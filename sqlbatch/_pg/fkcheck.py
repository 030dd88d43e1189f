"""The scoped foreign-key check on PostgreSQL: the transaction's pending deferred checks, now.

With DEFERRABLE INITIALLY DEFERRED foreign keys, the server queues one check per row the
transaction wrote and runs them at COMMIT. ``SET CONSTRAINTS ALL IMMEDIATE`` runs the queue
at once, so it checks exactly the rows this transaction touched (never a whole table: the
equivalent of sqlbatch's scoped check on SQLite). It runs inside a savepoint that is always
rolled back: the constraint modes stay as they were and the checks stay queued for COMMIT
(they run twice, cheap with an index on each foreign-key column), so a batch can go on
writing after the check, child before parent, as before it.

The server stops at the first violation; that is enough to fail the batch, and bisection
finds the record.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg

__all__ = ["ForeignKeyProblem", "pending_foreign_key_problem"]


@dataclass(frozen=True, slots=True)
class ForeignKeyProblem:
    """The first violated foreign key: the child table, the constraint and the server's detail
    (``Key (hearing_id)=(41) is not present in table "hearings".``)."""

    table: str | None
    constraint: str | None
    detail: str | None

    @property
    def message(self) -> str:
        return f"foreign key {self.constraint} of {self.table}: {self.detail or 'violated'}"


def pending_foreign_key_problem(conn: psycopg.Connection) -> ForeignKeyProblem | None:
    """Run the transaction's queued foreign-key checks now; None when they all hold."""
    if conn.info.transaction_status != psycopg.pq.TransactionStatus.INTRANS:
        raise psycopg.ProgrammingError("pending_foreign_key_problem: call it inside the batch's open transaction")
    conn.execute("SAVEPOINT sqlbatch_fk_check")
    try:
        conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
    except psycopg.errors.ForeignKeyViolation as exc:
        diag = exc.diag
        return ForeignKeyProblem(diag.table_name, diag.constraint_name, diag.message_detail)
    finally:
        # always: restores the constraint modes and re-queues the checks it ran (trigger.c
        # restores both on subtransaction abort)
        conn.execute("ROLLBACK TO SAVEPOINT sqlbatch_fk_check")
        conn.execute("RELEASE SAVEPOINT sqlbatch_fk_check")
    return None
