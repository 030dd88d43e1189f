"""The database file is left in the journal mode it came in, so a read-only deployment opens it.

The earlier system's web app ships the database on a read-only file system, where SQLite cannot
open a WAL file without its ``-shm`` ("unable to open database file"). A run writes in WAL and
then puts the file back: a rollback-journal (or new) file ends in ``delete`` mode with no
``-wal``/``-shm``, a WAL file stays WAL, and while readers hold the file the summary says it
stayed in WAL (the next command puts it back). Checked with Python's own ``sqlite3``, on a real
read-only mount when the test can make one (root), and always by the file's header bytes and a
``mode=ro`` open that must create nothing beside the file.
"""

from __future__ import annotations

import shutil
import sqlite3
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.cli import run_cli, run_json
from tests.support.db import STRATEGIES

EARLIER_DB = Path("/work/shared/data/congress-119/hearings-119-until-2025-08-31.db")
_CANDIDATES = (Path(__file__).resolve().parents[3] / "shared" / "data" / "congress-119" / EARLIER_DB.name, EARLIER_DB)

# A web app's reader: as soon as the run has switched the file to WAL, it opens a connection
# and keeps it (an idle WAL connection holds a shared lock) until its stdin closes.
READER = textwrap.dedent("""
    import os, sqlite3, sys, time
    path = sys.argv[1]
    print("waiting", flush=True)
    while True:
        if os.path.exists(path):
            with open(path, "rb") as f:
                if f.read(20)[18:19] == b"\\x02":
                    break
        time.sleep(0.001)
    conn = sqlite3.connect(path)
    conn.execute("SELECT count(*) FROM sqlite_schema").fetchall()
    print("open", flush=True)
    sys.stdin.read()
""")


def start_reader(db: Path) -> subprocess.Popen[str]:
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(db)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert reader.stdout is not None and reader.stdout.readline().strip() == "waiting"
    return reader


def stop_reader(reader: subprocess.Popen[str]) -> str:
    """Close the reader; what it printed after ``waiting`` (``open`` once it held the file)."""
    out, _ = reader.communicate("", timeout=30)
    return out.strip()


def header_mode(path: Path) -> tuple[int, int]:
    """File format write/read version, header bytes 18-19: 1 = rollback journal, 2 = WAL."""
    data = path.read_bytes()[18:20]
    return data[0], data[1]


def sidecars(path: Path) -> list[str]:
    return sorted(p.name for p in path.parent.glob(path.name + "-*"))


def read_only_copy_count(path: Path, folder: Path) -> int:
    """Copy the file alone and read it with ``sqlite3`` in ``mode=ro``; nothing may appear beside it.

    As root a folder's permissions stop nothing, so this is the always-available equivalent of a
    read-only mount: a WAL file opened this way makes SQLite create ``-wal``/``-shm`` next to it.
    """
    folder.mkdir()
    copy = folder / path.name
    shutil.copyfile(path, copy)
    conn = sqlite3.connect(f"file:{copy}?mode=ro", uri=True)
    try:
        count = conn.execute("SELECT count(*) FROM hearings").fetchone()[0]
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        conn.close()
    assert sidecars(copy) == [], "opening read-only created files: the database was left in WAL"
    return int(count)


@pytest.fixture
def earlier_db(tmp_path: Path) -> Path:
    """A writable copy of the real earlier database (rollback-journal mode, as it comes)."""
    source = next((p for p in _CANDIDATES if p.is_file()), None)
    if source is None:
        pytest.skip("the earlier database (../shared/data/congress-119) is not available")
    db = tmp_path / "earlier.db"
    shutil.copyfile(source, db)
    db.chmod(0o644)
    return db


@pytest.fixture
def read_only_mount(tmp_path: Path) -> Iterator[Path]:
    """A tmpfs folder; the test fills it, then :func:`remount_read_only` (root only)."""
    mount = tmp_path / "deploy"
    mount.mkdir()
    made = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=16m", "tmpfs", str(mount)], capture_output=True)
    if made.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {made.stderr.decode().strip()}")
    try:
        yield mount
    finally:
        subprocess.run(["umount", str(mount)], check=False)


def remount_read_only(mount: Path) -> None:
    subprocess.run(["mount", "-o", "remount,ro", str(mount)], check=True)


def _open_on_mount(path: Path) -> int:
    conn = sqlite3.connect(str(path))  # as the web app opens it: no special flags
    try:
        return int(conn.execute("SELECT count(*) FROM hearings").fetchone()[0])
    finally:
        conn.close()


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_new_database_ends_in_delete_mode(tmp_path: Path, strategy: str) -> None:
    db = tmp_path / "new.db"
    code, out = run_json("run", "--db", db, "--strategy", strategy, cwd=tmp_path)
    assert code == 0
    assert out["journal_mode"] == {
        "found": "delete",
        "left": "delete",
        "blocked": False,
        "error": None,
        "restored": True,
        "message": None,
    }
    assert header_mode(db) == (1, 1) and sidecars(db) == []
    assert read_only_copy_count(db, tmp_path / "ro") == out["records_added"]


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_earlier_database_comes_and_leaves_in_delete_mode(tmp_path: Path, earlier_db: Path, strategy: str) -> None:
    assert header_mode(earlier_db) == (1, 1)
    before = read_only_copy_count(earlier_db, tmp_path / "before")
    code, out = run_json("run", "--db", earlier_db, "--strategy", strategy, cwd=tmp_path)
    assert code == 0 and out["records_added"] > 0
    assert out["journal_mode"]["found"] == "delete" and out["journal_mode"]["left"] == "delete"
    assert header_mode(earlier_db) == (1, 1) and sidecars(earlier_db) == []
    assert read_only_copy_count(earlier_db, tmp_path / "after") == before + out["records_added"]
    # revert and status leave it as they found it too
    code, reverted = run_json("revert", "--db", earlier_db, str(out["run_id"]), cwd=tmp_path)
    assert code == 0 and reverted["journal_mode"]["left"] == "delete"
    assert run_cli("status", "--db", earlier_db, cwd=tmp_path).returncode == 0
    assert header_mode(earlier_db) == (1, 1) and sidecars(earlier_db) == []
    assert read_only_copy_count(earlier_db, tmp_path / "reverted") == before


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_wal_database_stays_wal(tmp_path: Path, strategy: str) -> None:
    db = tmp_path / "wal.db"
    assert run_cli("run", "--db", db, "--quiet", cwd=tmp_path).returncode == 0
    conn = sqlite3.connect(db)
    assert conn.execute("PRAGMA journal_mode=WAL").fetchone() == ("wal",)
    conn.close()
    code, out = run_json("run", "--db", db, "--strategy", strategy, cwd=tmp_path)
    assert code == 0 and out["records_unchanged"] == out["records_total"]
    assert out["journal_mode"]["found"] == "wal" and out["journal_mode"]["left"] == "wal"
    assert out["journal_mode"]["restored"] is True
    assert header_mode(db) == (2, 2)
    assert sidecars(db) == []  # checkpointed, and the last connection's close removed them


@pytest.mark.parametrize("strategy", STRATEGIES)
def test_a_reader_holding_the_file_keeps_it_in_wal_and_the_summary_says_so(
    tmp_path: Path, earlier_db: Path, strategy: str
) -> None:
    reader = start_reader(earlier_db)
    try:  # small batches: the run lasts long enough for the reader to open the file meanwhile
        code, out = run_json("run", "--db", earlier_db, "--strategy", strategy, "--batch-size", "5", cwd=tmp_path)
        assert code == 0, "a reader blocking the switch must not fail the run"
        mode = out["journal_mode"]
        assert mode["found"] == "delete" and mode["left"] == "wal" and mode["blocked"] is True
        assert "WAL" in mode["message"] and "other connections" in mode["message"]
        assert header_mode(earlier_db) == (2, 2)
    finally:
        assert stop_reader(reader) == "open"
    # the reader gone, the next command finds the note and puts the file back
    code, out = run_json("run", "--db", earlier_db, "--strategy", strategy, cwd=tmp_path)
    assert code == 0 and out["journal_mode"]["found"] == "delete" and out["journal_mode"]["restored"] is True
    assert header_mode(earlier_db) == (1, 1) and sidecars(earlier_db) == []
    read_only_copy_count(earlier_db, tmp_path / "after")


def test_status_after_a_blocked_run_puts_the_file_back(tmp_path: Path) -> None:
    db = tmp_path / "new.db"
    reader = start_reader(db)
    try:
        text = run_cli("run", "--db", db, "--batch-size", "5", cwd=tmp_path)
        assert text.returncode == 0, text.stderr
        assert "stays in WAL mode (it came in delete): other connections have it open" in text.stdout
    finally:
        assert stop_reader(reader) == "open"
    assert header_mode(db) == (2, 2)
    shown = run_cli("status", "--db", db, cwd=tmp_path)
    assert shown.returncode == 0 and shown.stderr == ""
    assert header_mode(db) == (1, 1) and sidecars(db) == []
    tables = sqlite3.connect(db).execute("SELECT name FROM sqlite_schema WHERE name = 'sqlbatch_file_mode'")
    assert tables.fetchall() == []  # the note is gone once the file is home


def test_after_a_run_the_database_opens_on_a_read_only_mount(
    tmp_path: Path, earlier_db: Path, read_only_mount: Path
) -> None:
    code, out = run_json("run", "--db", earlier_db, cwd=tmp_path)
    assert code == 0
    deployed = read_only_mount / "hearings.db"
    shutil.copyfile(earlier_db, deployed)
    # the counter-example the issue reports: a file left in WAL, deployed without its -shm
    left_in_wal = read_only_mount / "left-in-wal.db"
    shutil.copyfile(earlier_db, left_in_wal)
    conn = sqlite3.connect(left_in_wal)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.close()
    remount_read_only(read_only_mount)
    assert _open_on_mount(deployed) == 1168
    with pytest.raises(sqlite3.OperationalError, match="unable to open database file"):
        _open_on_mount(left_in_wal)
    assert out["records_added"] == 1168 - 1027


def test_library_restore_journal_mode_reports_and_refuses_inside_a_transaction(tmp_path: Path) -> None:
    import sqlbatch

    memory = sqlbatch.connect(":memory:")
    assert memory.restore_journal_mode().restored
    memory.close()
    conn = sqlbatch.connect(tmp_path / "lib.db")
    assert conn.found_journal_mode == "delete" and header_mode(tmp_path / "lib.db") == (2, 2)
    conn.execute("CREATE TABLE t (x)")
    with conn, pytest.raises(sqlbatch.UnitOfWorkError, match="finish the open transaction"):
        conn.restore_journal_mode()
    outcome = conn.restore_journal_mode()
    assert outcome.restored and outcome.left == "delete" and outcome.message() is None
    assert conn.query_value("SELECT count(*) FROM t") == 0  # still usable, in the restored mode
    conn.close()
    assert header_mode(tmp_path / "lib.db") == (1, 1) and sidecars(tmp_path / "lib.db") == []


def test_the_all_or_nothing_backup_is_left_in_the_mode_the_file_came_in(tmp_path: Path, earlier_db: Path) -> None:
    """The backup API copies page 1 as it is: a copy taken in WAL was a WAL file."""
    code, out = run_json("run", "--db", earlier_db, "--all-or-nothing", cwd=tmp_path)
    assert code == 0 and out["backup"] and out["journal_mode"]["restored"]
    backup = Path(out["backup"])
    assert header_mode(backup) == (1, 1) and header_mode(earlier_db) == (1, 1)
    assert read_only_copy_count(backup, tmp_path / "backup") == 1027  # as the file was before the run
