"""One tree of errors, so callers can catch as broadly or narrowly as they need.

SqlbatchError
├── ConfigurationError        bad arguments or settings, raised at construction, naming the call
│   └── LeaseUnavailable      the run lease cannot be taken at all (sqlbatch._lease)
├── OpenError                 the database could not be opened
├── UnsupportedSchemaError    a table the chosen strategy cannot track
├── CaptureConflictError      a second change capture on one connection
├── UnitOfWorkError           misuse of a unit of work (closed, not active, not nested...)
├── CaptureFailed             the change capture itself failed (hook error)
├── TransactionLost           SQLite ended the transaction under us (RAISE(ROLLBACK)...)
├── RecordFailed              raised by ``prepare``/``apply`` to name the record at fault
├── SourceFailed, ProcessorAborted, RunLocked    a run that stopped or never started
└── RevertError, RevertRefused                   a revert that cannot start or would clobber rows
"""

from __future__ import annotations


class SqlbatchError(Exception):
    """Base of every error sqlbatch raises on purpose."""


class ConfigurationError(SqlbatchError, ValueError):
    """A bad argument or setting, reported when the object is built, naming the call."""


class UnsupportedSchemaError(SqlbatchError):
    """The chosen rollback strategy cannot track a table in this database."""


class CaptureConflictError(SqlbatchError):
    """A preupdate hook and a Session (or two captures) would share one connection.

    APSW warns that creating a Session while a preupdate hook is registered can crash
    the process; sqlbatch makes the combination impossible instead of documenting it.
    """


class UnitOfWorkError(SqlbatchError):
    """A unit of work was used in a way its life cycle does not allow."""


class CaptureFailed(SqlbatchError):
    """Recording before-images failed inside the preupdate hook.

    SQLite cannot be stopped from inside the hook, so the write happened but its undo
    entry may be missing: the unit of work must be rolled back as a whole transaction.
    """


class TransactionLost(SqlbatchError):
    """SQLite ended the whole transaction (``RAISE(ROLLBACK)``, ``ON CONFLICT ROLLBACK``).

    ``__cause__`` holds the original error, which APSW would otherwise hide behind
    "no transaction is active".
    """


class OpenError(SqlbatchError):
    """The database could not be opened or is not a SQLite database."""
