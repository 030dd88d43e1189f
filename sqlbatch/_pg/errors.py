"""Which PostgreSQL errors are retried, and how a fatal one is described: by SQLSTATE only.

A batch that loses a conflict is retried whole (the server has aborted its transaction):
class 40 "transaction rollback" codes ``40001`` serialization_failure and ``40P01``
deadlock_detected, and ``55P03`` lock_not_available (a ``lock_timeout`` or ``NOWAIT`` ran
out). Other class-40 codes are not: ``40003`` statement_completion_unknown may mean the
COMMIT happened, and ``40002`` is a constraint violation. Matching is by the SQLSTATE the
server sent (psycopg's ``exc.sqlstate``), never by message text, which is translated with
``lc_messages``.
"""

from __future__ import annotations

import psycopg
import tenacity

__all__ = ["RETRYABLE_SQLSTATES", "describe", "retry_if_retryable", "retryable", "sqlstate"]

RETRYABLE_SQLSTATES: frozenset[str] = frozenset({"40001", "40P01", "55P03"})


def sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of ``exc`` or of the first psycopg error it was raised from or during."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, psycopg.Error) and current.sqlstate:
            return current.sqlstate
        current = current.__cause__ or current.__context__
    return None


def retryable(exc: BaseException) -> bool:
    """Whether running the whole batch again may succeed (the seam's ``retryable(exc)``)."""
    return sqlstate(exc) in RETRYABLE_SQLSTATES


retry_if_retryable = tenacity.retry_if_exception(retryable)
"""The tenacity condition for the batch retry (``RetryPolicy`` plugs it in on PostgreSQL)."""


def describe(exc: BaseException) -> str:
    """One line for a fatal error: condition name, SQLSTATE, message and the object it names.

    Built from the server's diagnostic fields, never from the connection string, so no
    password can appear in it.
    """
    code = sqlstate(exc)
    if code is None:
        return f"{type(exc).__name__}: {exc}"
    err = exc
    while not (isinstance(err, psycopg.Error) and err.sqlstate):
        err = err.__cause__ or err.__context__  # type: ignore[assignment]
    diag = err.diag
    where = ", ".join(
        f"{label} {value}"
        for label, value in (
            ("table", diag.table_name),
            ("column", diag.column_name),
            ("constraint", diag.constraint_name),
        )
        if value
    )
    name = type(err).__name__ if type(err) is not psycopg.Error else "error"
    text = f"{name} (SQLSTATE {code}): {diag.message_primary or err}"
    return f"{text} [{where}]" if where else text
