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

from collections.abc import Iterable
from dataclasses import dataclass

import psycopg
from psycopg import sql

from .._backend import Dangling

__all__ = ["ForeignKeyProblem", "dangling_rows", "pending_foreign_key_problem"]


@dataclass(frozen=True, slots=True)
class ForeignKeyProblem:
    """The first violated foreign key: the child table, the constraint and the server's detail
    (``Key (parent_id)=(41) is not present in table "parent".``)."""

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


_FOREIGN_KEYS = """
SELECT k.conname, c.relname, p.relname,
       ARRAY(SELECT a.attname FROM unnest(k.conkey) WITH ORDINALITY u(n, i)
             JOIN pg_attribute a ON a.attrelid = k.conrelid AND a.attnum = u.n ORDER BY u.i),
       ARRAY(SELECT a.attname FROM unnest(k.confkey) WITH ORDINALITY u(n, i)
             JOIN pg_attribute a ON a.attrelid = k.confrelid AND a.attnum = u.n ORDER BY u.i),
       ARRAY(SELECT a.attname FROM pg_index x, unnest(x.indkey) WITH ORDINALITY u(n, i)
             JOIN pg_attribute a ON a.attnum = u.n WHERE x.indrelid = k.conrelid AND x.indisprimary
             AND a.attrelid = k.conrelid ORDER BY u.i)
FROM pg_constraint k JOIN pg_class c ON c.oid = k.conrelid JOIN pg_class p ON p.oid = k.confrelid
WHERE k.contype = 'f' AND c.relnamespace = to_regnamespace(current_schema())
ORDER BY c.relname, k.conname
"""


def dangling_rows(conn: psycopg.Connection, tables: Iterable[str] | None = None) -> list[Dangling]:
    """Rows referring to a missing parent, over the foreign keys whose child or parent is in
    ``tables`` (every table of the schema when None). A whole-table query per key: for a
    revert and the post-run check, never per batch (that is :func:`pending_foreign_key_problem`)."""
    wanted = None if tables is None else set(tables)
    out: list[Dangling] = []
    for name, child, parent, cols, pcols, pk in conn.execute(_FOREIGN_KEYS).fetchall():
        if wanted is not None and child not in wanted and parent not in wanted:
            continue
        query = sql.SQL(
            "SELECT to_jsonb(c) FROM {child} c WHERE {present} AND NOT EXISTS (SELECT 1 FROM {parent} p WHERE {match})"
        ).format(
            child=sql.Identifier(child),
            parent=sql.Identifier(parent),
            present=sql.SQL(" AND ").join(sql.SQL("c.{} IS NOT NULL").format(sql.Identifier(c)) for c in cols),
            match=sql.SQL(" AND ").join(
                sql.SQL("p.{} = c.{}").format(sql.Identifier(p), sql.Identifier(c))
                for c, p in zip(cols, pcols, strict=True)
            ),
        )
        key_columns = tuple(pk) or tuple(cols)
        for (image,) in conn.execute(query).fetchall():
            values = tuple(image[c] for c in cols)
            key = tuple(image[k] for k in key_columns)
            parent_key = tuple(zip(pcols, values, strict=True))
            out.append(Dangling(child, key_columns, key, parent, tuple(cols), values, parent_key, name))
    return out
