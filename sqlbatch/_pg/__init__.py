"""The ``postgresql`` backend (psycopg 3) behind the core's seam.

``sqlbatch.connect("postgresql://...")`` gives a :class:`PgConnection` whose ``backend`` is
:data:`POSTGRES` (:class:`PostgresBackend`); the processor, journal, revert and units of work
run on it unchanged. Its parts, each tested on a real server (``tests/postgres``): the
connection (placeholders, rows, transactions), the ``memory`` and ``savepoint`` strategies
over the capture from row triggers, the run lease as an advisory lock per job, which errors
are retried (by SQLSTATE), the scoped foreign-key check and dangling rows, and the journal's
tables. Importing this package imports psycopg; the SQLite path never does.
"""

from .backend import POSTGRES, PostgresBackend
from .capture import CapturedChange, TriggerCapture, UndoFailed
from .connection import PgConnection, connect_postgres, redact
from .errors import RETRYABLE_SQLSTATES, describe, retry_if_retryable, retryable, sqlstate
from .fkcheck import ForeignKeyProblem, dangling_rows, pending_foreign_key_problem
from .journal import JOURNAL_DDL, UNDO_DDL, ensure_journal
from .lease import AdvisoryLease, lease_key
from .strategies import CaptureManager, PgTracker, check_strategy, tracker_for
from .tables import NoPrimaryKey, TableShape, compensate, table_shape

__all__ = [
    "JOURNAL_DDL",
    "POSTGRES",
    "RETRYABLE_SQLSTATES",
    "UNDO_DDL",
    "AdvisoryLease",
    "CaptureManager",
    "CapturedChange",
    "ForeignKeyProblem",
    "NoPrimaryKey",
    "PgConnection",
    "PgTracker",
    "PostgresBackend",
    "TableShape",
    "TriggerCapture",
    "UndoFailed",
    "check_strategy",
    "compensate",
    "connect_postgres",
    "dangling_rows",
    "describe",
    "ensure_journal",
    "lease_key",
    "pending_foreign_key_problem",
    "redact",
    "retry_if_retryable",
    "retryable",
    "sqlstate",
    "table_shape",
    "tracker_for",
]
