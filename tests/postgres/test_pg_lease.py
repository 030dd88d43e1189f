"""The advisory-lock lease across two real processes: waits, times out, dies with its holder."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

import pytest

from sqlbatch._lease import Lease, LeaseUnavailable
from sqlbatch._pg.lease import AdvisoryLease, lease_key

HOLDER = """
import sys, time
from sqlbatch._pg.lease import AdvisoryLease
lease = AdvisoryLease(sys.argv[1], sys.argv[2], application_name="holder-test")
assert lease.acquire(5)
print("held", flush=True)
time.sleep(float(sys.argv[3]))
lease.release()
print("released", flush=True)
time.sleep(30)
"""


@pytest.fixture
def holder(pg_url: str) -> Iterator:
    procs: list[subprocess.Popen[str]] = []

    def start(job: str = "hearings", hold: float = 60.0) -> subprocess.Popen[str]:
        proc = subprocess.Popen(
            [sys.executable, "-c", HOLDER, pg_url, job, str(hold)], stdout=subprocess.PIPE, text=True
        )
        procs.append(proc)
        assert proc.stdout is not None and proc.stdout.readline().strip() == "held"
        return proc

    yield start
    for proc in procs:
        proc.kill()
        proc.wait()


def test_key_is_stable_signed_64_bit_and_per_job() -> None:
    assert lease_key("hearings") == lease_key("hearings")
    assert lease_key("hearings") != lease_key("hearings2")
    assert -(2**63) <= lease_key("x") < 2**63
    # the same in a fresh interpreter (no salted hash)
    out = subprocess.run(
        [sys.executable, "-c", "from sqlbatch._pg.lease import lease_key; print(lease_key('hearings'))"],
        capture_output=True,
        text=True,
        env=dict(os.environ, PYTHONHASHSEED="123"),
    )
    assert int(out.stdout) == lease_key("hearings")


def test_it_is_a_lease(pg_url: str) -> None:
    lease: Lease = AdvisoryLease(pg_url, "hearings")
    assert lease.held_elsewhere() is False
    assert lease.acquire(0)
    assert lease.acquire(0)  # already ours
    assert lease.held_elsewhere() is False
    lease.release()
    lease.release()  # safe when not held
    assert AdvisoryLease(pg_url, "hearings").acquire(0)


def test_second_process_times_out_and_is_told_who_holds(pg_url: str, holder) -> None:
    holder("hearings")
    waiter = AdvisoryLease(pg_url, "hearings")
    started = time.monotonic()
    assert waiter.acquire(0.6) is False
    waited = time.monotonic() - started
    assert 0.5 <= waited < 3.0
    assert waiter.held_elsewhere() is True
    assert "held by server process" in waiter.describe() and "holder-test" in waiter.describe()
    other_job = AdvisoryLease(pg_url, "another job")
    assert other_job.acquire(0)  # one lease per job
    other_job.release()


def test_waiter_gets_it_the_moment_the_holder_releases(pg_url: str, holder) -> None:
    holder("hearings", hold=1.0)
    waiter = AdvisoryLease(pg_url, "hearings")
    started = time.monotonic()
    assert waiter.acquire(20)
    assert time.monotonic() - started < 5.0
    waiter.release()


def test_a_killed_holder_frees_the_lease_at_once(pg_url: str, holder) -> None:
    proc = holder("hearings")
    waiter = AdvisoryLease(pg_url, "hearings")
    assert waiter.acquire(0) is False
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    started = time.monotonic()
    assert waiter.acquire(10)  # the server ended the dead session's lock
    assert time.monotonic() - started < 2.0
    assert waiter.describe().startswith("job 'hearings': held by server process")
    waiter.release()
    assert waiter.held_elsewhere() is False


def test_unreachable_server_is_a_clear_error(tmp_path) -> None:
    lease = AdvisoryLease(f"postgresql:///nowhere?host={tmp_path}", "hearings")
    with pytest.raises(LeaseUnavailable, match="cannot open the lease session for job 'hearings'"):
        lease.acquire(0)
    assert lease.held_elsewhere() is None
    with pytest.raises(ValueError, match="job name"):
        AdvisoryLease(f"postgresql:///x?host={tmp_path}", "")
