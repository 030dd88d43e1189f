"""PostgreSQL groundwork (psycopg 3) for the ``postgresql`` backend behind the core's seam.

Stand-alone parts, each tested on a real server (``tests/postgres``): the ``memory``
strategy's capture from row triggers, the run lease as an advisory lock, which errors are
retried, the scoped foreign-key check, and the journal's tables. Importing this package
imports psycopg; the SQLite path never does.
"""

from .capture import CapturedChange, TriggerCapture, UndoFailed
from .errors import RETRYABLE_SQLSTATES, describe, retry_if_retryable, retryable, sqlstate
from .fkcheck import ForeignKeyProblem, pending_foreign_key_problem
from .journal import JOURNAL_DDL, ensure_journal
from .lease import AdvisoryLease, lease_key
from .tables import NoPrimaryKey, TableShape, compensate, table_shape

__all__ = [
    "JOURNAL_DDL",
    "RETRYABLE_SQLSTATES",
    "AdvisoryLease",
    "CapturedChange",
    "ForeignKeyProblem",
    "NoPrimaryKey",
    "TableShape",
    "TriggerCapture",
    "UndoFailed",
    "compensate",
    "describe",
    "ensure_journal",
    "lease_key",
    "pending_foreign_key_problem",
    "retry_if_retryable",
    "retryable",
    "sqlstate",
    "table_shape",
]
