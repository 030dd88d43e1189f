"""The run lease on PostgreSQL: a session advisory lock per job, freed when its session ends.

Same protocol as :class:`sqlbatch._lease.Lease` (``acquire(timeout) -> bool``,
``release()``, ``held_elsewhere()``). The lock lives on a connection of its own, opened by
:meth:`AdvisoryLease.acquire` and closed by :meth:`~AdvisoryLease.release`, so the batches'
commits and rollbacks never touch it, and the server drops it the moment that session ends,
however the process ends (SIGKILL included; across a network, when TCP keepalive notices).
Advisory locks are per database: one run of a job per database, as on SQLite.

The key is a stable 64-bit hash of the job name (BLAKE2b, not Python's salted ``hash``), so
every process and host derives the same one.
"""

from __future__ import annotations

import hashlib
from typing import Any

import psycopg

from .._lease import LeaseUnavailable

__all__ = ["AdvisoryLease", "lease_key"]

# a dead peer across a network is noticed within ~idle + interval * count seconds
_KEEPALIVE: dict[str, Any] = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3}

_HOLDER = """
SELECT l.pid, a.application_name, a.client_addr::text, a.backend_start
FROM pg_locks l LEFT JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.objsubid = 1
  AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid::bigint = %s AND l.objid::bigint = %s
"""


def lease_key(job: str) -> int:
    """The advisory-lock key of ``job``: a signed 64-bit integer, the same in every process."""
    digest = hashlib.blake2b(f"sqlbatch.lease:{job}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


class AdvisoryLease:
    """``pg_try_advisory_lock(key)`` on a dedicated autocommit session to ``conninfo``."""

    def __init__(self, conninfo: str, job: str, *, application_name: str = "sqlbatch lease") -> None:
        if not job:
            raise ValueError("AdvisoryLease(job=...): the job name must not be empty")
        self.conninfo = conninfo
        self.job = job
        self.key = lease_key(job)
        self.application_name = application_name
        self._session: psycopg.Connection | None = None

    @property
    def held(self) -> bool:
        return self._session is not None and not self._session.closed

    def acquire(self, timeout: float) -> bool:
        """Take the lease, waiting up to ``timeout`` seconds; False when the wait ran out.

        The wait is the server's (``pg_advisory_lock`` under ``lock_timeout``): it ends the
        instant the holder's session ends, no polling.
        """
        if self.held:
            return True
        session = self._connect()
        try:
            got = session.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
            if not (got and got[0]) and timeout > 0:
                session.execute(f"SET lock_timeout = {max(1, int(timeout * 1000))}")
                try:
                    session.execute("SELECT pg_advisory_lock(%s)", (self.key,))
                    got = (True,)
                except psycopg.errors.LockNotAvailable:
                    got = (False,)
        except BaseException:
            session.close()
            raise
        if not got[0]:
            session.close()
            return False
        self._session = session
        return True

    def release(self) -> None:
        """Give the lease up (closing the session frees it too); safe when not held."""
        session, self._session = self._session, None
        if session is None or session.closed:
            return
        try:
            session.execute("SELECT pg_advisory_unlock(%s)", (self.key,))
        except psycopg.Error:
            pass  # the session is gone: so is its lock
        finally:
            session.close()

    def held_elsewhere(self) -> bool | None:
        """True when another session holds the lease, False when free (or ours), None when unknown."""
        if self.held:
            return False
        try:
            return self.holder() is not None
        except psycopg.Error:
            return None

    def holder(self) -> dict[str, Any] | None:
        """The session holding the lease (server pid, application name, client address, since)."""
        hi, lo = (self.key >> 32) & 0xFFFFFFFF, self.key & 0xFFFFFFFF
        with psycopg.connect(self.conninfo, autocommit=True, connect_timeout=10) as probe:
            row = probe.execute(_HOLDER, (hi, lo)).fetchone()
        if row is None:
            return None
        pid, app, addr, since = row
        return {"backend_pid": pid, "application_name": app, "client": addr or "local socket", "since": since}

    def describe(self) -> str:
        """One line naming the holding session, for the "another run holds the lease" message."""
        try:
            who = self.holder()
        except psycopg.Error as exc:
            return f"job {self.job!r}: the holder cannot be told ({type(exc).__name__})"
        if who is None:
            return f"job {self.job!r}: nobody holds the lease now"
        return (
            f"job {self.job!r}: held by server process {who['backend_pid']} ({who['application_name'] or 'no name'},"
            f" {who['client']}) since {who['since']:%Y-%m-%d %H:%M:%S %Z}"
        )

    def _connect(self) -> psycopg.Connection:
        try:
            return psycopg.connect(
                self.conninfo,
                autocommit=True,
                connect_timeout=10,
                application_name=self.application_name,
                **_KEEPALIVE,
            )
        except psycopg.OperationalError as exc:
            raise LeaseUnavailable(f"cannot open the lease session for job {self.job!r}: {exc}") from None

    def __repr__(self) -> str:
        return f"AdvisoryLease(job={self.job!r}, key={self.key})"
