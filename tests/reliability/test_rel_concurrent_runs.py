"""Scenario 9: two runs at once on one database (cron overlapping yesterday's run, two hosts).

The first run (A) reads a named pipe, so it stays alive, holding the run lease, exactly as
long as the test keeps the pipe open: after its first batches it blocks reading the next
line. A second run (B) is a real process too. Promised: B waits up to ``RUN_LOCK_TIMEOUT``
and then runs (finding everything A committed unchanged), or exits 3 with one line naming
A (run id, pid, host, since when); no live run is ever marked ``interrupted``; when A is
SIGKILLed its lease is free at once and B marks A's row ``interrupted`` and resumes from it.
"""

from __future__ import annotations

import errno
import json
import os
import signal
import socket
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import sqlbatch
from sqlbatch import FileLease, LeaseUnavailable, NoLease, Processor, RunLocked
from tests.support import reliability as R
from tests.support.cli import CLI, cli_env, run_cli, run_process
from tests.support.db import query

RECORDS, FIRST, BATCH = 30, 20, 10


@pytest.fixture
def lines(real_meetings: list[dict[str, Any]]) -> list[bytes]:
    good = [m for m in real_meetings if m["title"] and m["date"]][:RECORDS]
    return [(json.dumps({"committeeMeeting": m}) + "\n").encode() for m in good]


class Feed:
    """A named pipe the run reads; the test writes lines into it and decides when it ends."""

    def __init__(self, path: Path) -> None:
        self.path = path
        os.mkfifo(path)
        self.fd: int | None = None

    def open(self, reader: subprocess.Popen[str]) -> None:
        """Open the writing end once ``reader`` has opened the reading end (else lines would be lost)."""
        deadline = time.monotonic() + 30
        while self.fd is None:
            try:
                self.fd = os.open(self.path, os.O_WRONLY | os.O_NONBLOCK)
            except OSError as exc:  # ENXIO: no reader yet
                if exc.errno != errno.ENXIO:
                    raise
                assert reader.poll() is None, reader.communicate()
                assert time.monotonic() < deadline, "the run never opened its input"
                time.sleep(0.02)
        os.set_blocking(self.fd, True)

    def write(self, lines: list[bytes]) -> None:
        assert self.fd is not None
        os.write(self.fd, b"".join(lines))

    def close(self) -> None:
        if self.fd is not None:
            os.close(self.fd)
            self.fd = None


@pytest.fixture
def feed(tmp_path: Path) -> Iterator[Feed]:
    pipe = Feed(tmp_path / "feed.ndjson")
    yield pipe
    pipe.close()


def _start(db: Path, source: Path, cwd: Path, **env: str) -> subprocess.Popen[str]:
    args = [*CLI, "run", "--db", str(db), "--source", str(source), "--batch-size", str(BATCH), "--json"]
    return subprocess.Popen(
        args, cwd=cwd, env=cli_env(**env), stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _wait_until(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def _committed(db: Path) -> int:
    try:
        return int(query(db, "SELECT coalesce(sum(committed), 0) FROM sqlbatch_batches")[0][0])
    except Exception:  # noqa: BLE001 - the journal may not exist yet
        return 0


def _runs(db: Path) -> list[tuple[Any, ...]]:
    return query(db, "SELECT run_id, status, pid, host, error FROM sqlbatch_runs ORDER BY run_id")


def _holder_started(db: Path, feed: Feed, lines: list[bytes], tmp_path: Path) -> subprocess.Popen[str]:
    """Run A, alive and holding the lease after committing the first ``FIRST`` records."""
    holder = _start(db, feed.path, tmp_path)
    feed.open(holder)
    feed.write(lines[:FIRST])
    _wait_until(lambda: _committed(db) >= FIRST or holder.poll() is not None, "run A's first batches")
    assert holder.poll() is None, holder.communicate()
    return holder


@pytest.mark.slow
def test_a_second_run_waits_for_the_live_one_then_finds_everything_unchanged(
    tmp_path: Path, feed: Feed, lines: list[bytes]
) -> None:
    db = tmp_path / "h.db"
    same = tmp_path / "same.ndjson"
    same.write_bytes(b"".join(lines))
    holder = _holder_started(db, feed, lines, tmp_path)

    started = time.monotonic()
    waiter = _start(db, same, tmp_path, RUN_LOCK_TIMEOUT="60")
    time.sleep(2.0)  # long enough for B to start and meet the lease (a run starts in ~0.3 s)
    assert waiter.poll() is None, waiter.communicate()  # B is waiting, not running nor failed
    assert [r[:4] for r in _runs(db)] == [(1, "running", holder.pid, socket.gethostname())]  # no row of B yet

    shown = run_cli("status", "--db", db, "--json", cwd=tmp_path)
    (live,) = json.loads(shown.stdout)["runs"]
    assert (live["status"], live["live"], live["pid"], live["host"]) == (
        "running",
        True,
        holder.pid,
        socket.gethostname(),
    )
    text = run_cli("status", "--db", db, cwd=tmp_path).stdout
    assert f"running (live, pid {holder.pid} on {socket.gethostname()})" in text

    feed.write(lines[FIRST:])
    feed.close()  # A reads the end of its input and finishes
    out_a, err_a = holder.communicate(timeout=60)
    out_b, err_b = waiter.communicate(timeout=60)
    waited = time.monotonic() - started
    assert holder.returncode == 0, err_a
    assert waiter.returncode == 0, err_b
    a, b = json.loads(out_a), json.loads(out_b)
    assert a["records_added"] == RECORDS
    assert (b["records_added"], b["records_updated"], b["records_unchanged"]) == (0, 0, RECORDS)
    assert [r[1] for r in _runs(db)] == ["completed", "completed"]  # A was never marked interrupted
    assert all(r[4] is None for r in _runs(db))
    R.assert_sound(db)
    R.record_figures("concurrent_wait", {"records": RECORDS, "second_run_waited_s": round(waited, 2)})


@pytest.mark.slow
def test_a_second_run_gives_up_after_run_lock_timeout_with_one_line(
    tmp_path: Path, feed: Feed, lines: list[bytes]
) -> None:
    db = tmp_path / "h.db"
    holder = _holder_started(db, feed, lines, tmp_path)
    t0 = time.monotonic()
    refused = run_process(
        "run", "--db", db, "--source", "sample", "--json", cwd=tmp_path, env=cli_env(RUN_LOCK_TIMEOUT="1")
    )
    took = time.monotonic() - t0
    assert refused.returncode == 3, refused.stderr
    assert refused.stdout == ""
    (line,) = refused.stderr.splitlines()
    assert line.startswith("hearings-update: not started: another run holds this database: run 1 of job 'hearings'")
    assert f"pid {holder.pid} on {socket.gethostname()}, running since 20" in line
    assert "waited 1 s (RUN_LOCK_TIMEOUT)" in line
    assert 1.0 <= took < 15
    assert [r[:2] for r in _runs(db)] == [(1, "running")]  # alive: not interrupted, and no row of the refused run

    feed.write(lines[FIRST:])
    feed.close()
    out, err = holder.communicate(timeout=60)
    assert holder.returncode == 0, err
    assert json.loads(out)["records_added"] == RECORDS
    assert [r[1] for r in _runs(db)] == ["completed"]
    R.assert_sound(db)
    R.record_figures("concurrent_timeout", {"run_lock_timeout_s": 1, "refused_after_s": round(took, 2)})


@pytest.mark.slow
def test_a_killed_holder_frees_the_lease_at_once_and_is_marked_interrupted(
    tmp_path: Path, feed: Feed, lines: list[bytes]
) -> None:
    db = tmp_path / "h.db"
    holder = _holder_started(db, feed, lines, tmp_path)
    os.kill(holder.pid, signal.SIGKILL)
    holder.wait(timeout=10)
    feed.close()
    assert [r[1] for r in _runs(db)] == ["running"]
    shown = json.loads(run_cli("status", "--db", db, "--json", cwd=tmp_path).stdout)
    assert shown["runs"][0]["live"] is False  # the row says running, the lease says dead

    rerun = _start(db, feed.path, tmp_path, RUN_LOCK_TIMEOUT="0")  # no waiting: the lease must be free now
    feed.open(rerun)
    feed.write(lines)
    feed.close()
    out, err = rerun.communicate(timeout=60)
    assert rerun.returncode == 0, err
    result = json.loads(out)
    assert result["records_resumed"] == FIRST and result["records_added"] == RECORDS - FIRST
    (first, second) = _runs(db)
    assert first[1] == "interrupted" and f"run {second[0]} resumed it" in first[4]
    assert second[1] == "completed"
    R.assert_sound(db)


# -- the lease itself, in one process -------------------------------------------------------


def _processor(db: Path, **kwargs: Any) -> Processor:
    conn = sqlbatch.connect(db)
    conn.execute("CREATE TABLE IF NOT EXISTS t (k TEXT PRIMARY KEY)")

    def apply(uow: Any, batch: list[str]) -> list[str]:
        for key in batch:
            uow.execute("INSERT OR IGNORE INTO t VALUES (?)", (key,))
        return ["added"] * len(batch)

    return Processor(conn, apply, key=str, **kwargs)


def test_a_second_processor_on_the_same_file_is_refused_and_writes_nothing(tmp_path: Path) -> None:
    db = tmp_path / "p.db"
    first = _processor(db)
    second = _processor(db, lock_timeout=0.2)
    inner: list[BaseException] = []

    def records() -> Iterator[str]:
        yield "a"
        try:  # while the first run holds the lease
            second.run(["b"], source="other")
        except RunLocked as exc:
            inner.append(exc)
        yield "c"

    result = first.run(records(), source="feed")
    assert result.status == "completed" and result.metrics.records_added == 2
    (refused,) = inner
    assert "another run holds this database: run 1 of job 'default'" in str(refused)
    assert f"pid {os.getpid()}" in str(refused) and "waited 0.2 s" in str(refused)
    assert query(db, "SELECT run_id, status FROM sqlbatch_runs") == [(1, "completed")]
    assert second.run(["b"], source="other").status == "completed"  # the lease is free again


def test_memory_databases_need_no_lease_and_an_unusable_lock_file_is_a_clear_error(tmp_path: Path) -> None:
    conn = sqlbatch.connect(":memory:")
    assert isinstance(sqlbatch.lease_for(conn), NoLease)
    assert FileLease(str(tmp_path / "never.db")).held_elsewhere() is False  # no lock file: nobody holds it
    (tmp_path / "x.db.lock").mkdir()  # stands for a lock file that cannot be opened (read-only folder...)
    lease = FileLease(str(tmp_path / "x.db"))
    with pytest.raises(LeaseUnavailable, match="cannot take the run lock .*x.db.lock.*must be writable"):
        lease.acquire(0)
    assert lease.held_elsewhere() is None  # cannot be told


def test_rows_left_running_by_dead_runs_of_any_source_are_marked_interrupted(tmp_path: Path) -> None:
    """Holding the lease proves every other ``running`` row dead, whatever its source or job."""
    db = tmp_path / "p.db"
    assert _processor(db).run(["a"], source="feed").status == "completed"
    conn = sqlbatch.connect(db)
    with conn:  # what a killed run of another source and one of another job leave behind
        for job, source in (("default", "elsewhere"), ("other", "x")):
            conn.execute(
                "INSERT INTO sqlbatch_runs(job, source, mode, strategy, on_failure, batch_size, status, pid, host)"
                " VALUES (?, ?, 'batched', 'memory', 'isolate', 50, 'running', 999999, 'gone-host')",
                (job, source),
            )
    conn.close()
    result = _processor(db).run(["b"], source="feed")
    rows = query(db, "SELECT run_id, status, error FROM sqlbatch_runs ORDER BY run_id")
    assert [r[1] for r in rows] == ["completed", "interrupted", "interrupted", "completed"]
    assert all(f"its lease was free when run {result.run_id} started" in r[2] for r in rows[1:3])


def test_a_lock_file_that_cannot_be_taken_is_a_usage_error_with_one_line(tmp_path: Path) -> None:
    db = tmp_path / "h.db"
    (tmp_path / "h.db.lock").mkdir()  # stands for a folder where the lock file cannot be created
    proc = run_cli("run", "--db", db, "--quiet", cwd=tmp_path)
    assert proc.returncode == 2, proc.stderr
    (line,) = proc.stderr.splitlines()
    assert line.startswith("hearings-update: error: cannot take the run lock") and "h.db.lock" in line
    assert query(db, "SELECT count(*) FROM hearings") == [(0,)]  # nothing applied
