"""The run lease: one run of a job on a database at a time, freed when its holder dies.

A run holds the lease from before it writes its journal row until it ends. On SQLite the
lease is an OS file lock (``flock``) on ``<database>.lock`` beside the file: the kernel
drops it the instant the holding process exits, however it exits (SIGKILL included), so a
run that finds the lease free knows every journal row still saying ``running`` belongs to
a dead run, and a live run is never taken for a dead one.

The seam is one small protocol, :class:`Lease` (``acquire(timeout) -> bool``,
``release()``, ``held_elsewhere()``), so another engine can bring its own (PostgreSQL: a
session advisory lock, ``pg_try_advisory_lock``, which also dies with its connection).
"""

from __future__ import annotations

import os
from typing import TYPE_CHECKING, Protocol

import filelock

from ._errors import ConfigurationError, SqlbatchError

if TYPE_CHECKING:
    from ._connection import Connection

__all__ = ["FileLease", "Lease", "LeaseUnavailable", "NoLease", "RunLocked", "describe_holder", "lease_for"]

_POLL_SECONDS = 0.1


class RunLocked(SqlbatchError):
    """Another live run holds the lease and did not end within the wait: nothing was done."""


class LeaseUnavailable(ConfigurationError):
    """The lease cannot be taken at all (e.g. the lock file cannot be created)."""


class Lease(Protocol):
    """What the processor needs from a lease; ``acquire`` returns False when the wait ran out."""

    def acquire(self, timeout: float) -> bool: ...

    def release(self) -> None: ...

    def held_elsewhere(self) -> bool | None: ...


class FileLease:
    """An exclusive ``flock`` on ``<database>.lock``; the file itself stays (waiters share its inode).

    ``fallback_to_soft=False``: where the file system has no ``flock``, filelock would fall
    back to a marker file that outlives a killed holder, which is exactly what a lease must
    not do; such a file system is refused with a clear error instead.
    """

    def __init__(self, database_path: str) -> None:
        self.path = database_path + ".lock"
        self._lock = filelock.FileLock(self.path, fallback_to_soft=False, thread_local=False)

    def acquire(self, timeout: float) -> bool:
        try:
            self._lock.acquire(timeout=max(0.0, timeout), poll_interval=_POLL_SECONDS)
        except filelock.Timeout:
            return False
        except OSError as exc:  # a read-only folder or file system, no flock support...
            raise LeaseUnavailable(
                f"cannot take the run lock {self.path!r} ({exc.strerror or exc}): the database's folder must"
                " be writable (SQLite needs it for the -wal file too) on a file system with flock"
            ) from None
        return True

    def release(self) -> None:
        if self._lock.is_locked:
            self._lock.release(force=True)

    def held_elsewhere(self) -> bool | None:
        """True when a live run holds the lease, False when it is free, None when it cannot be told."""
        if self._lock.is_locked:
            return False
        if not os.path.exists(self.path):
            return False  # no run ever took it: nobody holds it
        try:
            taken = self.acquire(0)
        except LeaseUnavailable:
            return None
        if taken:
            self.release()
        return not taken

    def __repr__(self) -> str:
        return f"FileLease({self.path!r})"


class NoLease:
    """For an in-memory or temporary database: no other process can open it, nothing to hold."""

    def acquire(self, timeout: float) -> bool:
        return True

    def release(self) -> None:
        pass

    def held_elsewhere(self) -> bool | None:
        return False


def lease_for(conn: Connection, job: str = "default") -> Lease:
    """The lease of ``job`` on the connection's database, as its backend takes it (SQLite: a
    file lock beside the main database file, for every job; none for ``:memory:``;
    PostgreSQL: an advisory lock per job)."""
    from ._backend import backend_for  # the backend module builds on this one

    return backend_for(conn).lease(conn, job)


def describe_holder(conn: Connection) -> str:
    """The live run as its journal row names it: run id, pid, host, since when."""
    try:
        rows = conn.execute(
            "SELECT run_id, job, pid, host, started_at FROM sqlbatch_runs WHERE status='running'"
            " ORDER BY run_id DESC LIMIT 1"
        ).fetchall()
    except Exception:  # noqa: BLE001 - no journal yet, or columns of an older version
        rows = []
    if not rows:
        return "a run that has not written its journal row yet"
    run_id, job, pid, host, started = rows[0]
    where = f"pid {pid} on {host}" if pid is not None else "pid and host not recorded"
    return f"run {run_id} of job {job!r} ({where}, running since {started})"
