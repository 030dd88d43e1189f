"""sqlbatch: batched, validated, individually rolled-back units of work on SQLite (APSW)."""

from ._changes import Change
from ._connection import Connection, Row, connect
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
