"""Usage and configuration errors of ``hearings-update``: exit 2, one clear line, nothing applied."""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

import apsw
import pytest

from tests.support.cli import cli_env, run_cli, run_process
from tests.support.data import write_ndjson
from tests.support.db import query


@dataclass(frozen=True)
class Usage:
    name: str
    args: tuple[str, ...]  # "{db}" and "{tmp}" are filled in
    says: str  # a piece of the one error line
    env: dict[str, str] = field(default_factory=dict)


USAGE_ERRORS = (
    Usage("bad strategy", ("run", "--db", "{db}", "--strategy", "bogus"), "--strategy"),
    Usage("bad on-failure", ("run", "--db", "{db}", "--on-failure", "retry"), "--on-failure"),
    Usage("batch size zero", ("run", "--db", "{db}", "--batch-size", "0"), "--batch-size"),
    Usage("batch size text", ("run", "--db", "{db}", "--batch-size", "ten"), "--batch-size"),
    Usage("congress text", ("run", "--db", "{db}", "--congress", "next"), "--congress"),
    Usage("since not a date", ("run", "--db", "{db}", "--since", "yesterday"), "--since"),
    Usage("unknown option", ("run", "--db", "{db}", "--fast"), "--fast"),
    Usage("missing --db", ("run",), "--db"),
    Usage("unknown command", ("frobnicate",), "frobnicate"),
    Usage("missing source file", ("run", "--db", "{db}", "--source", "{tmp}/missing.ndjson"), "missing.ndjson"),
    Usage("folder without json", ("run", "--db", "{db}", "--source", "{tmp}/empty"), "no .json"),
    Usage("broken JSON array", ("run", "--db", "{db}", "--source", "{tmp}/broken.json"), "JSON array"),
    Usage("db in a missing folder", ("run", "--db", "{tmp}/no/such/folder/h.db"), "does not exist"),
    Usage("db is not a database", ("run", "--db", "{tmp}/notes.db"), "not a SQLite database"),
    Usage("db of another schema", ("run", "--db", "{tmp}/other.db"), "not a hearings database"),
    Usage("status of a missing db", ("status", "--db", "{db}"), "no database"),
    Usage("quarantine of a missing db", ("quarantine", "--db", "{db}", "--json"), "no database"),
    Usage("bad BATCH_SIZE setting", ("run", "--db", "{db}"), "BATCH_SIZE", {"BATCH_SIZE": "many"}),
    Usage("bad ROLLBACK_STRATEGY setting", ("run", "--db", "{db}"), "ROLLBACK_STRATEGY", {"ROLLBACK_STRATEGY": "fast"}),
)

NOTES = b"these are my notes, not a database\n"


@pytest.fixture(scope="module")
def workdir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    tmp = tmp_path_factory.mktemp("usage")
    (tmp / "empty").mkdir()
    (tmp / "broken.json").write_text('[{"committeeMeeting": {"eventId": "1"}},', encoding="utf-8")
    return tmp


@pytest.mark.parametrize("usage", USAGE_ERRORS, ids=lambda u: u.name)
def test_usage_errors_exit_2_with_one_line_and_apply_nothing(tmp_path: Path, workdir: Path, usage: Usage) -> None:
    notes = workdir / "notes.db"
    notes.write_bytes(NOTES)
    other = workdir / "other.db"
    other.unlink(missing_ok=True)
    conn = apsw.Connection(str(other))
    conn.execute("CREATE TABLE shopping(item TEXT); INSERT INTO shopping VALUES ('milk')")
    conn.close()
    db = tmp_path / "new.db"
    args = [a.replace("{db}", str(db)).replace("{tmp}", str(workdir)) for a in usage.args]

    proc = run_cli(*args, cwd=tmp_path, env=cli_env(**usage.env))

    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hearings-update: error: "), proc.stderr
    assert usage.says in lines[0] and "Traceback" not in proc.stderr
    assert not db.exists(), "a usage error must not create the database"
    assert notes.read_bytes() == NOTES
    # the foreign database keeps its one table and row (connect may switch it to WAL; no data changes)
    assert query(other, "SELECT name FROM sqlite_master") == [("shopping",)]
    assert query(other, "SELECT item FROM shopping") == [("milk",)]


def test_help_lists_every_run_option_of_the_contract(tmp_path: Path) -> None:
    proc = run_cli("run", "--help", cwd=tmp_path)
    assert proc.returncode == 0
    for option in (
        "--db",
        "--source",
        "--batch-size",
        "--strategy",
        "--on-failure",
        "--all-or-nothing",
        "--congress",
        "--since",
        "--dry-run",
        "--json",
        "--quiet",
    ):
        assert option in proc.stdout, option


def test_settings_from_the_environment_are_used_and_options_override_them(tmp_path: Path, real_payloads: list) -> None:
    """ENABLE_BATCH_PROCESSING=false means all-or-nothing; BATCH_SIZE and ROLLBACK_STRATEGY apply unless
    the options say otherwise."""
    source = write_ndjson(tmp_path / "s.ndjson", real_payloads[:7])
    env = cli_env(BATCH_SIZE="3", ROLLBACK_STRATEGY="savepoint")
    proc = run_cli("run", "--db", tmp_path / "a.db", "--source", source, "--json", cwd=tmp_path, env=env)
    data = json.loads(proc.stdout)
    assert (proc.returncode, data["batch_size"], data["batch_count"], data["strategy"]) == (0, 3, 3, "savepoint")
    proc = run_cli(
        "run", "--db", tmp_path / "b.db", "--source", source, "--batch-size", "7", "--strategy", "session", "--json",
        cwd=tmp_path,
        env=env,
    )  # fmt: skip
    data = json.loads(proc.stdout)
    assert (data["batch_size"], data["batch_count"], data["strategy"]) == (7, 1, "session")
    proc = run_cli(
        "run", "--db", tmp_path / "c.db", "--source", source, "--json", cwd=tmp_path,
        env=cli_env(ENABLE_BATCH_PROCESSING="false"),
    )  # fmt: skip
    data = json.loads(proc.stdout)
    assert (proc.returncode, data["mode"], data["status"], data["records_added"]) == (
        0,
        "all-or-nothing",
        "completed",
        7,
    )


def test_a_sqlite_db_option_wins_over_the_database_url_variables(tmp_path: Path, real_payloads: list) -> None:
    """``--db PATH`` is used as given though DATABASE_URL / POSTGRES_URL name a server (never reached)."""
    source = write_ndjson(tmp_path / "s.ndjson", real_payloads[:3])
    env = cli_env(DATABASE_URL="postgresql://app:pw@nowhere.invalid/db", POSTGRES_URL="postgresql:///none")
    proc = run_cli("run", "--db", tmp_path / "a.db", "--source", source, "--json", cwd=tmp_path, env=env)
    assert (proc.returncode, json.loads(proc.stdout)["records_added"]) == (0, 3)
    shown = run_cli("status", "--db", tmp_path / "a.db", "--json", cwd=tmp_path, env=env)
    assert (shown.returncode, len(json.loads(shown.stdout)["runs"])) == (0, 1)


def test_the_installed_console_script_runs_as_a_real_process(tmp_path: Path) -> None:
    """The ``hearings-update`` entry point pip installed: help, a usage error and a missing database,
    with the exit codes a shell sees."""
    script = Path(sys.executable).with_name("hearings-update")
    if not script.exists():
        pytest.skip(f"no console script next to {sys.executable}")
    env = cli_env()

    def ran(*args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([script, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=60)

    shown = ran("--help")
    assert shown.returncode == 0 and shown.stderr == ""
    assert all(command in shown.stdout for command in ("run", "status", "quarantine", "revert"))
    for args, says in ((("run",), "--db"), (("status", "--db", str(tmp_path / "none.db")), "no database")):
        failed = ran(*args)
        assert (failed.returncode, failed.stdout) == (2, ""), failed.stderr
        (line,) = failed.stderr.splitlines()
        assert line.startswith("hearings-update: error: ") and says in line
    assert not (tmp_path / "none.db").exists()


def test_exit_codes_of_a_real_process(tmp_path: Path, real_payloads: list) -> None:
    """0 every record committed, 1 some quarantined, 2 a usage error: as ``python -m`` exits."""
    good = write_ndjson(tmp_path / "good.ndjson", real_payloads[:3])
    bad = write_ndjson(tmp_path / "bad.ndjson", [*real_payloads[3:5], {**real_payloads[5], "chamber": "Moon"}])
    db = tmp_path / "h.db"
    assert run_process("run", "--db", db, "--source", good, "--quiet", cwd=tmp_path).returncode == 0
    assert run_process("run", "--db", db, "--source", bad, "--quiet", cwd=tmp_path).returncode == 1
    assert run_process("run", "--db", db, "--batch-size", "0", cwd=tmp_path).returncode == 2
    assert query(db, "SELECT count(*) FROM hearings") == [(5,)]


def test_importing_the_command_line_loads_no_library() -> None:
    """``--help`` and usage errors answer at once: the library (httpx, pydantic, apsw) loads when a command runs."""
    code = "import sys, adapters.hearings.cli; print(sorted({m.split('.')[0] for m in sys.modules}))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, env=cli_env())
    loaded = set(ast.literal_eval(done.stdout))
    assert not loaded & {"httpx", "pydantic", "pydantic_settings", "apsw", "sqlbatch", "rich"}, loaded
