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

import errno
import fcntl
import os
import time
from typing import TYPE_CHECKING, Protocol

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

    ``flock`` (not a marker file) because the kernel drops it with its holder: where the file
    system has no ``flock``, the lease is refused with a clear error rather than replaced by
    something that would outlive a killed holder.
    """

    def __init__(self, database_path: str) -> None:
        self.path = database_path + ".lock"
        self._fd: int | None = None

    def acquire(self, timeout: float) -> bool:
        deadline = time.monotonic() + max(0.0, timeout)
        while True:
            try:
                if self._try_lock():
                    return True
            except OSError as exc:  # a read-only folder or file system, no flock support...
                raise LeaseUnavailable(
                    f"cannot take the run lock {self.path!r} ({exc.strerror or exc}): the database's folder must"
                    " be writable (SQLite needs it for the -wal file too) on a file system with flock"
                ) from None
            if time.monotonic() >= deadline:
                return False
            time.sleep(_POLL_SECONDS)

    def _try_lock(self) -> bool:
        if self._fd is not None:
            return True
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            os.close(fd)
            if exc.errno in (errno.EAGAIN, errno.EWOULDBLOCK):
                return False  # held by another open file: a live run
            raise
        if os.fstat(fd).st_nlink == 0:  # the file was removed while we waited: lock its successor
            os.close(fd)
            return False
        self._fd = fd
        return True

    def release(self) -> None:
        fd, self._fd = self._fd, None
        if fd is not None:
            os.close(fd)  # closing the only descriptor drops the flock

    def held_elsewhere(self) -> bool | None:
        """True when a live run holds the lease, False when it is free, None when it cannot be told."""
        if self._fd is not None:
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
