"""sqlbatch: batched, validated, individually rolled-back units of work on SQLite (APSW)."""

from ._changes import Change
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
from ._unit_of_work import UnitOfWork
from .strategies import MemoryStrategy, SavepointStrategy, SessionStrategy, Tracker

__all__ = [
    "CaptureConflictError",
    "CaptureFailed",
    "Change",
    "ConfigurationError",
    "Connection",
    "FileModeOutcome",
    "MemoryStrategy",
    "OpenError",
    "Row",
    "SavepointStrategy",
    "SessionStrategy",
    "SqlbatchError",
    "Tracker",
    "TransactionLost",
    "UnitOfWork",
    "UnitOfWorkError",
    "UnsupportedSchemaError",
    "connect",
]

from ._journal import Journal  # noqa: E402
from ._lease import FileLease, Lease, LeaseUnavailable, NoLease, RunLocked, lease_for  # noqa: E402
from ._metrics import Metrics  # noqa: E402
from ._retry import RetryPolicy  # noqa: E402
from .processor import Prepared, Processor, ProcessorAborted, QuarantinedRecord, RecordFailed, RunResult  # noqa: E402
from .settings import Settings, load_settings  # noqa: E402
from .validators import (  # noqa: E402
    BatchContext,
    BlastRadius,
    Check,
    ForeignKeysTouched,
    Issue,
    PydanticRecord,
    UniqueInBatch,
    foreign_key_check,
)

__all__ += [
    "FileLease",
    "Lease",
    "LeaseUnavailable",
    "NoLease",
    "RunLocked",
    "lease_for",
    "BatchContext",
    "BlastRadius",
    "Check",
    "ForeignKeysTouched",
    "Issue",
    "Journal",
    "Metrics",
    "Prepared",
    "Processor",
    "ProcessorAborted",
    "PydanticRecord",
    "QuarantinedRecord",
    "RecordFailed",
    "RetryPolicy",
    "RunResult",
    "Settings",
    "UniqueInBatch",
    "foreign_key_check",
    "load_settings",
]
