"""Shared helpers for the hearings updater and CLI integration tests: real files, real processes.

Every check here opens its own, new connection on the database file (after the run's
connection is closed), so what is asserted is what was committed to disk.
"""

from __future__ import annotations

import copy
import json
import os
import subprocess
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apsw

import sqlbatch
from adapters.hearings.sources import RawRecord
from adapters.hearings.updater import UpdateOptions, prepare_database, run_update

# The command, run as the installed package module (the same ``main`` as the console script).
CLI = (sys.executable, "-m", "adapters.hearings.cli")

# Settings variables (DESIGN §4) that would change a run if the caller's environment set them.
SETTINGS_VARS = (
    "ENABLE_BATCH_PROCESSING",
    "TITLE_MAX_LENGTH",
    "BATCH_SIZE",
    "BATCH_VALIDATION_TIMEOUT",
    "ROLLBACK_STRATEGY",
    "ON_BATCH_FAILURE",
    "COMMIT_INTERVAL_MS",
    "MAX_RETRY_SECONDS",
    "BACKUP_RETENTION",
    "UNDO_RETENTION_DAYS",
    "CONGRESS_API_KEY",
    "CONGRESS_API_BASE_URL",
    "RUN_LOCK_TIMEOUT",
    "API_MAX_WAIT_SECONDS",
    "API_RATE_WINDOW_SECONDS",
)

# The tables the updater writes (the journal ``sqlbatch_*`` tables are not data).
DATA_TABLES = (
    "committees",
    "hearings",
    "hearing_committees",
    "witnesses",
    "witness_appearances",
    "witness_documents",
    "supporting_documents",
    "hearing_transcripts",
)

# The keys DESIGN §5 requires in ``run --json`` output, with their JSON types.
REQUIRED_JSON_KEYS: dict[str, type | tuple[type, ...]] = {
    "run_id": int,
    "status": str,
    "mode": str,
    "strategy": str,
    "batch_size": int,
    "batch_count": int,
    "batches_succeeded": int,
    "batches_failed": int,
    "records_total": int,
    "records_added": int,
    "records_updated": int,
    "records_unchanged": int,
    "records_quarantined": int,
    "duration_s": (int, float),
    "quarantined": list,
}

Dump = dict[str, list[tuple[Any, ...]]]


def cli_env(**extra: str) -> dict[str, str]:
    """The current environment without any settings variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_VARS}
    env.update(extra)
    return env


def run_cli(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``hearings-update ARGS`` in a child process (``cwd`` holds no ``.env``)."""
    return subprocess.run(
        [*CLI, *map(str, args)],
        cwd=cwd,
        env=env if env is not None else cli_env(),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def run_json(*args: str | Path, cwd: Path, env: dict[str, str] | None = None) -> tuple[int, dict[str, Any]]:
    """Run with ``--json``; the exit code and the one JSON object printed on stdout."""
    proc = run_cli(*args, "--json", cwd=cwd, env=env)
    assert "Traceback" not in proc.stderr, proc.stderr
    lines = [line for line in proc.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, proc.stdout
    return proc.returncode, json.loads(lines[0])


def records_of(payloads: Iterable[Any]) -> list[RawRecord]:
    """Payloads as a source yields them (1-based positions)."""
    return [RawRecord(i, p) for i, p in enumerate(payloads, start=1)]


def update(path: Path, records: Iterable[RawRecord], **options: Any) -> sqlbatch.RunResult:
    """One library run on ``path`` with its own connection, closed before returning."""
    conn = sqlbatch.connect(path)
    try:
        prepare_database(conn)
        return run_update(conn, records, UpdateOptions(**options), source="test")
    finally:
        conn.close()


def write_ndjson(path: Path, lines: Sequence[dict[str, Any] | str]) -> Path:
    """One line per item: a dict as JSON, a string as it is (blank or broken lines)."""
    text = "".join((json.dumps(item) if isinstance(item, dict) else item) + "\n" for item in lines)
    path.write_text(text, encoding="utf-8")
    return path


def reopen(path: Path) -> apsw.Connection:
    """A fresh, read-only connection on the file."""
    return apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)


def dump_data(path: Path) -> Dump:
    """Every row of the data tables (and their AUTOINCREMENT counters), in rowid order."""
    conn = reopen(path)
    try:
        out: Dump = {t: [tuple(r) for r in conn.execute(f'SELECT * FROM "{t}" ORDER BY rowid')] for t in DATA_TABLES}
        out["sqlite_sequence"] = sorted(
            tuple(r) for r in conn.execute("SELECT name, seq FROM sqlite_sequence WHERE name NOT LIKE 'sqlbatch%'")
        )
        return out
    finally:
        conn.close()


def counts(path: Path) -> dict[str, int]:
    conn = reopen(path)
    try:
        return {t: conn.execute(f'SELECT count(*) FROM "{t}"').fetchall()[0][0] for t in DATA_TABLES}
    finally:
        conn.close()


def query(path: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    conn = reopen(path)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def schema_shape(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Each table's columns as ``PRAGMA table_info`` gives them (name, type, notnull, default, pk)."""
    conn = reopen(path)
    try:
        tables = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
        return {t: [tuple(r)[1:] for r in conn.execute(f'PRAGMA table_info("{t}")')] for t in tables}
    finally:
        conn.close()


def integrity(path: Path) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check`` rows."""
    return query(path, "PRAGMA integrity_check"), query(path, "PRAGMA foreign_key_check")


def quarantine_rows(path: Path) -> dict[str, tuple[Any, ...]]:
    """``record_key -> (status, rule, field, reason)`` of the quarantine table."""
    rows = query(path, "SELECT record_key, status, rule, field, reason FROM sqlbatch_quarantine")
    return {row[0]: row[1:] for row in rows}


@dataclass
class FaultFile:
    path: Path
    good: list[str]  # event ids that must commit
    bad: dict[str, tuple[str, str | None]]  # record key -> (rule, field)
    records: int  # records in the file (blank lines excluded)
    fixed: list[dict[str, Any]]  # the keyed bad records, corrected
    pattern: list[bool]  # per record in file order: is it bad?

    def failing_batches(self, size: int) -> int:
        return sum(any(self.pattern[i : i + size]) for i in range(0, len(self.pattern), size))


def make_fault_file(directory: Path, payloads: list[dict[str, Any]]) -> FaultFile:
    """Lines: 3 good, unknown committee, blank, bad date, broken JSON, bad chamber, no eventId, 5 good."""
    source = copy.deepcopy([p for p in payloads if p["title"] and p["date"]][:13])
    good = source[:3] + source[8:]
    unknown = {**source[3], "committees": [{"systemCode": "zzzz99", "name": "No such committee"}]}
    bad_date = {**source[4], "date": "2025-13-45T10:00:00Z"}
    bad_chamber = {**source[5], "chamber": "Moon"}
    no_id = {k: v for k, v in source[6].items() if k != "eventId"}
    lines: list[dict[str, Any] | str] = [
        *({"committeeMeeting": p} for p in good[:3]),  # lines 1-3 (wrapped, as the API returns them)
        {"committeeMeeting": unknown},  # 4
        "   ",  # 5: blank, not a record
        bad_date,  # 6 (the inner object, also accepted)
        '{"committeeMeeting": {"eventId": "999", ',  # 7: not valid JSON
        bad_chamber,  # 8
        no_id,  # 9
        *good[3:],  # 10-14
    ]
    path = write_ndjson(directory / "update.ndjson", lines)
    bad = {
        unknown["eventId"]: ("committee_exists", "committees[0].systemCode"),
        bad_date["eventId"]: ("date_parses", "date"),
        "#7": ("readable", None),
        bad_chamber["eventId"]: ("chamber_valid", "chamber"),
        "#9": ("required", "eventId"),
    }
    fixed = [source[3], source[4], source[5]]
    pattern = [False] * 3 + [True] * 5 + [False] * 5
    return FaultFile(path, [p["eventId"] for p in good], bad, len(lines) - 1, fixed, pattern)
