"""sqlbatch: batched, validated, individually rolled-back units of work on SQLite (APSW) or
PostgreSQL (psycopg 3: ``connect("postgresql://...")``; ``PgConnection`` and ``PostgresBackend``
are imported on first use, so the SQLite path never imports psycopg)."""

from typing import Any

from ._backend import Backend, SqliteBackend, backend_for
from ._changes import Change
from ._config import ProcessorConfig
from ._connection import Connection, FileModeOutcome, Row, connect
from ._errors import (
    CaptureConflictError,
    CaptureFailed,
    ConfigurationError,
    OpenError,
    SqlbatchError,
    TransactionLost,
    UnitOfWorkError,
    UnsupportedSchemaError,
)
from ._isolate import RecordFailed
from ._journal import BatchRow, Journal
from ._lease import FileLease, Lease, LeaseUnavailable, NoLease, RunLocked, lease_for
from ._metrics import Metrics
from ._results import Outcome, Prepared, ProcessorAborted, QuarantinedRecord, RunResult, SourceFailed
from ._retry import RetryPolicy
from ._revert import Conflict, RevertError, RevertRefused, RevertResult, revert
from ._unit_of_work import UnitOfWork
from .processor import Processor
from .settings import Settings, load_settings
from .strategies import MemoryStrategy, SavepointStrategy, SessionStrategy, Tracker
from .validators import (
    BatchContext,
    BlastRadius,
    Check,
    ForeignKeysTouched,
    Issue,
    PydanticRecord,
    UniqueInBatch,
    foreign_key_check,
)

__all__ = [
    "Backend",
    "BatchContext",
    "BatchRow",
    "BlastRadius",
    "CaptureConflictError",
    "CaptureFailed",
    "Change",
    "Check",
    "ConfigurationError",
    "Conflict",
    "Connection",
    "FileLease",
    "FileModeOutcome",
    "ForeignKeysTouched",
    "Issue",
    "Journal",
    "Lease",
    "LeaseUnavailable",
    "MemoryStrategy",
    "Metrics",
    "NoLease",
    "OpenError",
    "Outcome",
    "PgConnection",
    "PostgresBackend",
    "Prepared",
    "Processor",
    "ProcessorAborted",
    "ProcessorConfig",
    "PydanticRecord",
    "QuarantinedRecord",
    "RecordFailed",
    "RetryPolicy",
    "RevertError",
    "RevertRefused",
    "RevertResult",
    "Row",
    "RunLocked",
    "RunResult",
    "SavepointStrategy",
    "SessionStrategy",
    "Settings",
    "SourceFailed",
    "SqlbatchError",
    "SqliteBackend",
    "Tracker",
    "TransactionLost",
    "UniqueInBatch",
    "UnitOfWork",
    "UnitOfWorkError",
    "UnsupportedSchemaError",
    "backend_for",
    "connect",
    "foreign_key_check",
    "lease_for",
    "load_settings",
    "revert",
]


def __getattr__(name: str) -> Any:
    """The PostgreSQL classes, imported (with psycopg) only when asked for."""
    if name == "PgConnection":
        from ._pg.connection import PgConnection

        return PgConnection
    if name == "PostgresBackend":
        from ._pg.backend import PostgresBackend

        return PostgresBackend
    raise AttributeError(f"module 'sqlbatch' has no attribute {name!r}")
