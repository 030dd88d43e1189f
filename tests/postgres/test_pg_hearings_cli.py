"""``hearings-update`` against a real PostgreSQL server, in process (click's runner).

``status``, ``quarantine``, ``status RUN_ID`` and ``revert`` read and write the journal the
core keeps on either engine; here a journaled database is made by the core's processor (the
processor tests' tables), on each engine, and the command must tell the same story on both.
The database comes from ``--db URL`` or, without ``--db``, from ``DATABASE_URL`` then
``POSTGRES_URL``; the URL's password never reaches stdout or stderr.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import psycopg
import pytest

import sqlbatch
from adapters.hearings.schema import REQUIRED_COLUMNS, SchemaMismatch, ensure_schema, is_hearings_schema
from adapters.hearings.updater import prepare_database
from tests.support.cli import run_cli, run_json
from tests.support.engines import Engine, PostgresEngine, engine, records, run, spread_bad

__all__ = ["engine"]  # the fixture, imported for this module's tests

SECRET = "Sekr3t-pw-4711"


def with_password(url: str) -> str:
    """``url`` with a password in it (the throwaway server trusts its socket: it is not checked)."""
    scheme, rest = url.split("://", 1)
    netloc, _, tail = rest.partition("/")
    user = psycopg.conninfo.conninfo_to_dict(url).get("user") or "postgres"
    host = netloc.rpartition("@")[2]
    return f"{scheme}://{user}:{SECRET}@{host}/{tail}"


def journaled(engine: Engine) -> sqlbatch.RunResult:
    """A committed run of 40 records, 4 of them quarantined, on ``engine``."""
    engine.create()
    return run(engine, records(40, spread_bad(40, 10)), source="cli-test")


def test_a_password_url_connects_and_is_masked_by_redaction_helper(pg_url: str) -> None:
    url = with_password(pg_url)
    assert SECRET in url
    conn = sqlbatch.connect(url)  # the server ignores the password on its socket
    try:
        assert conn.query_value("SELECT 41 + 1") == 42
        assert SECRET not in repr(conn)
    finally:
        conn.close()


def test_status_and_quarantine_of_an_empty_database(pg_url: str) -> None:
    url = with_password(pg_url)
    assert run_json("status", "--db", url) == (0, {"runs": [], "quarantine": {"quarantined": 0, "resolved": 0}})
    assert run_json("quarantine", "--db", url) == (0, {"quarantined": []})
    shown = run_cli("status", "--db", url)
    assert (shown.returncode, shown.stdout.splitlines()) == (
        0,
        ["quarantine: 0 record(s) waiting, 0 resolved", "no runs yet"],
    )
    with psycopg.connect(pg_url) as check:  # reading created nothing
        assert check.execute("SELECT count(*) FROM pg_tables WHERE schemaname = 'public'").fetchone() == (0,)


def _stable(status: dict[str, Any]) -> dict[str, Any]:
    """What a status says that does not depend on the engine's clock or the host."""
    keep = ("run_id", "status", "mode", "strategy", "batch_size", "source", "records_total", "records_committed")
    more = ("records_quarantined", "batches_committed", "batches_failed", "error")
    return {"quarantine": status["quarantine"], "runs": [{k: r[k] for k in (*keep, *more)} for r in status["runs"]]}


def test_status_quarantine_and_one_run_tell_the_same_on_both_engines(engine: Engine) -> None:
    result = journaled(engine)
    assert len(result.quarantined) == 4
    db = with_password(engine.target) if isinstance(engine, PostgresEngine) else engine.target
    code, status = run_json("status", "--db", db)
    assert code == 0 and _stable(status) == {
        "quarantine": {"quarantined": 4, "resolved": 0},
        "runs": [{
            "run_id": 1, "status": "completed_with_quarantine", "mode": "batched", "strategy": "memory",
            "batch_size": result.batch_size, "source": "cli-test", "records_total": 40, "records_committed": 36,
            "records_quarantined": 4, "batches_committed": status["runs"][0]["batches_committed"],
            "batches_failed": status["runs"][0]["batches_failed"], "error": None,
        }],
    }  # fmt: skip
    assert status["runs"][0]["batches_failed"] >= 1
    code, listed = run_json("quarantine", "--db", db)
    assert code == 0
    assert sorted((q["record_key"], q["rule"], q["attempts"]) for q in listed["quarantined"]) == sorted(
        (q.record_key, q.rule, 1) for q in result.quarantined
    )
    code, one = run_json("status", "1", "--db", db)
    assert code == 0 and one["run"]["run_id"] == 1 and len(one["quarantined"]) == 4
    assert one["changes"]["parent"]["inserted"] == 36 and one["changes"]["child"]["inserted"] == 72
    for command in (("status",), ("quarantine",), ("status", "1")):
        shown = run_cli(*command, "--db", db)
        assert shown.returncode == 0 and shown.stdout.strip() and SECRET not in shown.stdout + shown.stderr


def test_revert_of_a_run_through_the_command_line(engine: Engine) -> None:
    journaled(engine)
    before = engine.dump()
    code, data = run_json("revert", "1", "--db", engine.target, "--dry-run")
    assert (code, data["status"], data["rows_restored"]) == (0, "dry_run", 36 + 72)
    assert engine.dump() == before
    code, data = run_json("revert", "1", "--db", engine.target)
    assert (code, data["status"]) == (0, "reverted")
    assert len(engine.dump()["parent"]) == 1  # the seeded row alone: the run's 36 are gone


def test_the_database_url_from_the_environment(pg_url: str, tmp_path: Path) -> None:
    url = with_password(pg_url)
    PostgresEngine(pg_url).create()
    run(PostgresEngine(pg_url), records(5), source="env-test")
    for env in ({"DATABASE_URL": url}, {"POSTGRES_URL": url}, {"DATABASE_URL": url, "POSTGRES_URL": "postgresql:///x"}):
        code, status = run_json("status", env=env, cwd=tmp_path)
        assert (code, [r["source"] for r in status["runs"]]) == (0, ["env-test"]), env
    # --db wins over the variables; DATABASE_URL over POSTGRES_URL
    code, status = run_json("status", "--db", url, env={"DATABASE_URL": "postgresql:///nowhere"}, cwd=tmp_path)
    assert (code, len(status["runs"])) == (0, 1)
    wrong = run_cli("status", env={"DATABASE_URL": "postgresql:///nowhere", "POSTGRES_URL": url}, cwd=tmp_path)
    assert wrong.returncode == 2 and "nowhere" in wrong.stderr


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "Missing option '--db'"),
        ({"DATABASE_URL": "", "POSTGRES_URL": "  "}, "Missing option '--db'"),
        (
            {"DATABASE_URL": f"mysql://app:{SECRET}@db.example/app"},
            "DATABASE_URL is set but is not a postgresql:// URL",
        ),
        ({"POSTGRES_URL": f"/var/lib/{SECRET}.db"}, "POSTGRES_URL is set but is not a postgresql:// URL"),
    ],
    ids=["none", "blank", "another-engine", "a-path"],
)
@pytest.mark.parametrize("command", ["run", "status", "quarantine", "revert"])
def test_without_a_database_a_one_line_usage_error(
    tmp_path: Path, env: dict[str, str], says: str, command: str
) -> None:
    args = (command, "1") if command == "revert" else (command,)
    done = run_cli(*args, env=env, cwd=tmp_path)
    assert (done.returncode, done.stdout) == (2, "")
    assert done.stderr.count("\n") == 1 and done.stderr.startswith("hearings-update: error: ") and says in done.stderr
    assert SECRET not in done.stderr
    assert list(tmp_path.iterdir()) == []  # no file made of anything


def test_a_server_that_refuses_says_so_without_the_password(pg_url: str, tmp_path: Path) -> None:
    url = with_password(pg_url).replace("/sqlbatch_t", "/missing_db_t", 1)
    for args in (("status", "--db", url), ("quarantine", "--db", url), ("revert", "1", "--db", url)):
        done = run_cli(*args, cwd=tmp_path)
        assert done.returncode == 2, done
        assert "cannot connect to" in done.stderr and "***" in done.stderr and SECRET not in done.stderr
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr
    done = run_cli("run", "--db", url, "--quiet", env={"DATABASE_URL": url}, cwd=tmp_path)
    assert (done.returncode, SECRET in done.stdout + done.stderr) == (2, False)
    assert list(tmp_path.iterdir()) == []


def test_ensure_schema_creates_then_extends_and_refuses_another_schema(pg_url: str) -> None:
    conn = sqlbatch.connect(pg_url)
    try:
        assert not is_hearings_schema(conn)
        assert prepare_database(conn) is True and is_hearings_schema(conn)
        assert prepare_database(conn) is False  # an existing schema, used as it is
        conn.execute("DROP TABLE hearing_continuations")
        conn.execute("ALTER TABLE hearings DROP COLUMN hearing_time")
        assert ensure_schema(conn) == "existing"
        assert conn.backend.table_exists(conn, "hearing_continuations")
        assert "hearing_time" in conn.backend.table_columns(conn, "hearings")
        assert "idx_hearing_continuations_hearing" in {
            r[0] for r in conn.execute("SELECT indexname FROM pg_indexes WHERE tablename = 'hearing_continuations'")
        }
        assert not conn.in_transaction
        for table, columns in REQUIRED_COLUMNS.items():
            assert set(columns) <= conn.backend.table_columns(conn, table)
    finally:
        conn.close()


def test_ensure_schema_refuses_a_database_of_other_tables(pg_url: str) -> None:
    PostgresEngine(pg_url).create()
    conn = sqlbatch.connect(pg_url)
    try:
        with pytest.raises(SchemaMismatch, match=r"other tables \(category, child, parent\)"):
            ensure_schema(conn)
        assert not conn.backend.table_exists(conn, "hearings")
    finally:
        conn.close()


def test_a_full_run_of_the_sample_on_postgresql(pg_url: str, tmp_path: Path) -> None:
    sqlite_db = tmp_path / "h.db"
    want = run_json("run", "--db", sqlite_db, "--batch-size", "200", cwd=tmp_path)
    code, got = run_json("run", "--db", pg_url, "--batch-size", "200", cwd=tmp_path)
    keys = ("status", "records_total", "records_added", "records_quarantined")
    assert (code, {k: got[k] for k in keys}) == (want[0], {k: want[1][k] for k in keys}), got.get("batch_errors")


def test_status_tells_a_live_run_of_the_hearings_job_by_its_own_lease(pg_url: str) -> None:
    """On PostgreSQL the lease is per job: ``status`` asks the lease of each running row's job."""
    journaled(PostgresEngine(pg_url))
    PostgresEngine(pg_url).execute(
        "INSERT INTO sqlbatch_runs (job, mode, strategy, on_failure, batch_size, status, pid, host)"
        " VALUES ('hearings', 'batched', 'memory', 'isolate', 50, 'running', 4242, 'host-a')"
    )
    conn = sqlbatch.connect(pg_url)
    lease = sqlbatch.lease_for(conn, "hearings")
    try:
        assert lease.acquire(5)  # a live run of the hearings job
        code, status = run_json("status", "--db", pg_url)
        assert (code, status["runs"][0]["status"], status["runs"][0]["live"]) == (0, "running", True)
        assert "running (live, pid 4242 on host-a)" in run_cli("status", "--db", pg_url).stdout
        lease.release()  # the process died: its session and its lock are gone
        code, status = run_json("status", "--db", pg_url)
        assert (code, status["runs"][0]["live"]) == (0, False)
    finally:
        lease.release()
        conn.close()


def test_the_api_source_reads_its_cursor_refetches_and_committees_on_each_engine(engine: Engine) -> None:
    from adapters.hearings.api_source import since_cursor, stored_committees, unfetched_meetings
    from adapters.hearings.updater import JOB

    conn = engine.connect()
    try:
        assert (since_cursor(conn, None), stored_committees(conn, 119)) == (None, set())
        prepare_database(conn)
    finally:
        conn.close()
    engine.create()  # the processor tests' tables beside the hearings schema: a journal of the job
    run(engine, records(12), source="api:119", job=JOB)
    conn = engine.connect()
    try:
        assert since_cursor(conn, None) == max(r["ts"] for r in records(12))
        assert since_cursor(conn, "2025-01-01") == "2025-01-01"
        assert unfetched_meetings(conn) == []
        conn.execute(
            "INSERT INTO committees (system_code, name, chamber, type, congress) VALUES (?, ?, ?, ?, ?)",
            ("hsif00", "Energy and Commerce", "House", "Standing", 119),
        )
        assert (stored_committees(conn, 119), stored_committees(conn, 118)) == ({"hsif00"}, set())
    finally:
        conn.close()


def test_a_run_on_a_password_url_never_shows_the_password(pg_url: str, tmp_path: Path) -> None:
    """Whatever the run's outcome, its output masks the password."""
    from tests.support.data import load_meetings, write_ndjson

    source = write_ndjson(tmp_path / "m.ndjson", load_meetings()[:3])
    for args in (("--json",), ()):
        done = run_cli("run", "--source", source, *args, env={"POSTGRES_URL": with_password(pg_url)}, cwd=tmp_path)
        assert done.returncode in (0, 3) and (done.stdout or done.stderr), done
        assert SECRET not in done.stdout + done.stderr and "Traceback" not in done.stderr


def test_a_rerun_of_the_sample_on_postgresql_changes_nothing(pg_url: str, tmp_path: Path) -> None:
    """Values read back from the server (dates, times, booleans) compare equal to the input's."""
    first = run_json("run", "--db", pg_url, "--batch-size", "200", cwd=tmp_path)
    code, again = run_json("run", "--db", pg_url, "--batch-size", "200", cwd=tmp_path)
    assert first[0] == 0 and code == 0, again.get("batch_errors")
    assert (again["records_added"], again["records_updated"]) == (0, 0), again["changes"]
    assert again["records_unchanged"] == first[1]["records_added"] + first[1]["records_updated"]


def test_updated_at_is_utc_whatever_the_server_zone(pg_url: str, tmp_path: Path) -> None:
    """As SQLite's CURRENT_TIMESTAMP: a changed row's ``updated_at`` is UTC, not the session's zone."""
    from tests.support.data import load_meetings, write_ndjson

    with psycopg.connect(pg_url, autocommit=True) as admin:
        name = admin.execute("SELECT current_database()").fetchone()[0]
        admin.execute(f"ALTER DATABASE {name} SET timezone = 'Pacific/Kiritimati'")  # UTC+14
    meetings = [m for m in load_meetings() if m.get("title")][:3]
    first = write_ndjson(tmp_path / "first.ndjson", meetings)
    assert run_json("run", "--db", pg_url, "--source", first, cwd=tmp_path)[0] == 0
    changed = [{**meetings[0], "title": "A changed title"}, *meetings[1:]]
    again = write_ndjson(tmp_path / "again.ndjson", changed)
    code, data = run_json("run", "--db", pg_url, "--source", again, cwd=tmp_path)
    assert (code, data["records_updated"]) == (0, 1), data.get("batch_errors")
    with psycopg.connect(pg_url) as check:
        (skew,) = check.execute(
            "SELECT abs(extract(epoch FROM updated_at - (now() AT TIME ZONE 'UTC'))) FROM hearings WHERE title = %s",
            ("A changed title",),
        ).fetchone()
    assert skew < 600, skew  # not 14 hours
