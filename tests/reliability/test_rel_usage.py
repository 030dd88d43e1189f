"""Scenario 6: usage and environment errors: exit 2, one clear line, no traceback, nothing applied.

tests/hearings/test_cli_usage.py covers the options; this module covers the environment:
every settings variable with a bad value (from the environment and from ``.env``), the API
settings, and files the run cannot use (unreadable source, read-only database or filesystem).
Each case runs against an existing database, which must come out unchanged.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support import reliability as R
from tests.support.cli import cli_env, run_cli
from tests.support.data import load_meetings, write_ndjson
from tests.support.db import query

BAD_ENV = [
    ("ENABLE_BATCH_PROCESSING", "maybe"),
    ("BATCH_SIZE", "abc"),
    ("BATCH_SIZE", "0"),
    ("BATCH_SIZE", "100001"),
    ("BATCH_SIZE", "12.5"),
    ("BATCH_VALIDATION_TIMEOUT", "-1"),
    ("BATCH_VALIDATION_TIMEOUT", "fast"),
    ("ROLLBACK_STRATEGY", "x"),
    ("ON_BATCH_FAILURE", "retry"),
    ("COMMIT_INTERVAL_MS", "soon"),
    ("COMMIT_INTERVAL_MS", "-5"),
    ("MAX_RETRY_SECONDS", "-1"),
    ("MAX_RETRY_SECONDS", "forever"),
    ("BACKUP_RETENTION", "0"),
    ("UNDO_RETENTION_DAYS", "x"),
    ("TITLE_MAX_LENGTH", "-1"),
    ("TITLE_MAX_LENGTH", "long"),
    ("RUN_LOCK_TIMEOUT", "-1"),
    ("RUN_LOCK_TIMEOUT", "a while"),
    ("API_MAX_WAIT_SECONDS", "-5"),
    ("API_MAX_WAIT_SECONDS", "forever"),
    ("API_RATE_WINDOW_SECONDS", "0"),
]


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A database with one completed run of the bundled sample (copied by each test)."""
    db = tmp_path_factory.mktemp("seed") / "seed.db"
    assert run_cli("run", "--db", db, "--quiet", cwd=db.parent).returncode == 0
    return db


@pytest.fixture
def db(tmp_path: Path, seeded: Path) -> Path:
    target = tmp_path / "h.db"
    shutil.copyfile(seeded, target)
    return target


def _state(db: Path) -> tuple[object, ...]:
    return (
        R.natural_dump(db),
        query(db, "SELECT count(*) FROM sqlbatch_runs"),
        query(db, "SELECT * FROM sqlbatch_batches"),
    )


def _one_error_line(proc: subprocess.CompletedProcess[str], *pieces: str) -> str:
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and proc.stdout == ""
    lines = proc.stderr.splitlines()
    assert len(lines) == 1 and lines[0].startswith("hearings-update: error: "), proc.stderr
    for piece in pieces:
        assert piece in lines[0]
    return lines[0]


def _source(tmp_path: Path) -> Path:
    return write_ndjson(tmp_path / "in.ndjson", [{"committeeMeeting": {**load_meetings()[0], "eventId": "1"}}])


@pytest.mark.parametrize(("name", "value"), BAD_ENV, ids=[f"{n}={v}" for n, v in BAD_ENV])
def test_bad_environment_value(tmp_path: Path, db: Path, name: str, value: str) -> None:
    before = _state(db)
    proc = run_cli(
        "run", "--db", db, "--source", _source(tmp_path), "--json", cwd=tmp_path, env=cli_env(**{name: value})
    )
    _one_error_line(proc, name, repr(value))
    assert _state(db) == before


@pytest.mark.parametrize(("name", "value"), BAD_ENV[::3], ids=[f"{n}={v}" for n, v in BAD_ENV[::3]])
def test_bad_value_in_dot_env(tmp_path: Path, db: Path, name: str, value: str) -> None:
    (tmp_path / ".env").write_text(f"# local settings\n{name}={value}\n", encoding="utf-8")
    before = _state(db)
    proc = run_cli("run", "--db", db, "--source", _source(tmp_path), cwd=tmp_path)
    _one_error_line(proc, name)
    assert _state(db) == before


@pytest.mark.parametrize(
    ("env", "says"),
    [
        ({}, "CONGRESS_API_KEY"),
        ({"CONGRESS_API_KEY": "   "}, "CONGRESS_API_KEY"),
        ({"CONGRESS_API_KEY": "has spaces in it"}, "CONGRESS_API_KEY"),
        ({"CONGRESS_API_KEY": "k" * 40, "CONGRESS_API_BASE_URL": "ftp://mirror.example"}, "CONGRESS_API_BASE_URL"),
        ({"CONGRESS_API_KEY": "k" * 40, "CONGRESS_API_BASE_URL": "not a url"}, "CONGRESS_API_BASE_URL"),
    ],
    ids=["no key", "blank key", "key with spaces", "ftp base url", "base url not a url"],
)
def test_bad_api_settings_touch_no_database(tmp_path: Path, env: dict[str, str], says: str) -> None:
    fresh = tmp_path / "new.db"
    proc = run_cli("run", "--db", fresh, "--source", "api", cwd=tmp_path, env=cli_env(**env))
    _one_error_line(proc, says)
    assert not list(tmp_path.glob("new.db*")), "a configuration error must not create the database"


def test_unreadable_source(tmp_path: Path, db: Path) -> None:
    if os.geteuid() == 0:
        pytest.skip("root reads files whatever their mode")
    source = _source(tmp_path)
    source.chmod(0)
    before = _state(db)
    _one_error_line(run_cli("run", "--db", db, "--source", source, cwd=tmp_path), source.name)
    assert _state(db) == before


def test_source_that_is_a_device_or_empty_folder(tmp_path: Path, db: Path) -> None:
    before = _state(db)
    (tmp_path / "empty").mkdir()
    _one_error_line(run_cli("run", "--db", db, "--source", tmp_path / "empty", cwd=tmp_path), "empty")
    assert _state(db) == before


def test_database_in_a_missing_folder(tmp_path: Path) -> None:
    target = tmp_path / "no" / "such" / "h.db"
    _one_error_line(run_cli("run", "--db", target, "--source", _source(tmp_path), cwd=tmp_path), "does not exist")
    assert not (tmp_path / "no").exists()


def test_database_that_is_a_folder(tmp_path: Path) -> None:
    (tmp_path / "folder.db").mkdir()
    _one_error_line(run_cli("run", "--db", tmp_path / "folder.db", "--source", _source(tmp_path), cwd=tmp_path))


@pytest.fixture
def read_only_db(tmp_path: Path, seeded: Path) -> Iterator[Path]:
    """The seeded database on a read-only filesystem (root: a tmpfs remounted ro), else a 0444 file."""
    if os.geteuid() != 0:
        target = tmp_path / "ro.db"
        shutil.copyfile(seeded, target)
        target.chmod(0o444)
        yield target
        return
    mount = tmp_path / "ro"
    mount.mkdir()
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], check=False).returncode:
        pytest.skip("cannot mount a tmpfs")
    try:
        shutil.copyfile(seeded, mount / "h.db")
        subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)
        yield mount / "h.db"
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def test_read_only_database(tmp_path: Path, read_only_db: Path) -> None:
    before = read_only_db.read_bytes()
    line = _one_error_line(run_cli("run", "--db", read_only_db, "--source", _source(tmp_path), cwd=tmp_path))
    assert "read-only" in line or "permission" in line
    assert read_only_db.read_bytes() == before
