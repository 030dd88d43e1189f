"""Scenario: power cuts and I/O errors, through the real command line over a VFS that models them.

``powerloss.py`` inherits the real VFS: at a chosen write, truncate or sync it keeps a random
in-order prefix of each file's writes since that file's last sync, undoes the rest, removes the
``-shm`` and ends the process. A counting run first lists every such event of an uninterrupted
run; cut points are drawn from it (seeded): anywhere, at the start (schema and the switch of
the file to WAL), at checkpoints (writes to the database file itself) and at the end (the
TRUNCATE checkpoint and the switch back to ``delete``). After each cut the next open recovers
the file (hot journal or WAL), then: integrity and foreign keys clean, every batch wholly there
with its journal row or wholly absent (``tests.support.reliability.assert_sound``), and a rerun ends with the
data of an uninterrupted run, the file back in ``delete`` mode. The same VFS answers
``SQLITE_IOERR`` on a chosen write or sync: exit 3, one line, nothing partial, a rerun resumes.
"""

from __future__ import annotations

import io
import json
import os
import random
import shutil
import subprocess
import sys
from collections import Counter
from contextlib import redirect_stdout
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apsw
import powerloss
import pytest

from adapters.hearings import cli
from tests.support import reliability as R
from tests.support.cli import SETTINGS_VARS, cli_env
from tests.support.data import load_meetings
from tests.support.db import STRATEGIES, query

POWERLOSS = Path(powerloss.__file__)
BATCH = "25"  # 47 batches of the 1,168 bundled meetings: many commits to cut between
SEED = 20261202
EARLIER_DB = "hearings-119-until-2025-08-31.db"
_SHARED = (
    Path(__file__).resolve().parents[3] / "shared" / "data" / "congress-119",
    Path("/work/shared/data/congress-119"),
)


@dataclass
class Base:
    """A starting state: a database file (or none) and what the input's records are."""

    name: str
    source_db: Path | None
    payloads: dict[str, Any]
    positions: dict[int, str | None]
    reference: dict[str, list[tuple[Any, ...]]]
    events: list[tuple[str, str]]


def _child(db: Path, strategy: str, **plan: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(**{f"POWERLOSS_{k.upper()}": v for k, v in plan.items()})
    args = [sys.executable, str(POWERLOSS), "run", "--db", str(db), "--batch-size", BATCH, "--strategy", strategy]
    return subprocess.run(
        [*args, "--json"], cwd=db.parent, env=env, capture_output=True, text=True, timeout=120, check=False
    )


def _fresh(base: Base, folder: Path) -> Path:
    folder.mkdir(parents=True)
    db = folder / "hearings.db"
    if base.source_db is not None:
        shutil.copyfile(base.source_db, db)
    return db


def _rerun(db: Path, strategy: str) -> tuple[int, dict[str, Any]]:
    """The next run after power is back: the real command line, in this process."""
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as env, redirect_stdout(out):
        for name in SETTINGS_VARS:  # as the subprocesses run: no settings from the caller's environment
            env.delenv(name, raising=False)
        env.chdir(db.parent)  # and no .env
        code = cli.main(["run", "--db", str(db), "--batch-size", BATCH, "--strategy", strategy, "--json"])
    return code, json.loads(out.getvalue())


def _recover(db: Path) -> None:
    """Open the file as the next process would (read-write): a hot journal or the WAL is replayed."""
    conn = apsw.Connection(str(db))
    conn.execute("SELECT count(*) FROM sqlite_schema").fetchall()
    conn.close()


def _assert_sound_after_cut(db: Path, base: Base) -> None:
    tables = {t for (t,) in query(db, "SELECT name FROM sqlite_schema WHERE type = 'table'")}
    if "hearings" not in tables:  # cut before the schema committed: none of it, no data
        assert query(db, "PRAGMA integrity_check") == [("ok",)]
        assert not tables & set(R.NATURAL_DUMP), tables
        return
    R.assert_sound(db, base.payloads, positions=base.positions)


def _header(db: Path) -> tuple[int, int]:
    data = db.read_bytes()[18:20]
    return data[0], data[1]


def _make_base(name: str, source_db: Path | None, tmp: Path, meetings: list[dict[str, Any]]) -> Base:
    payloads = {m["eventId"]: m for m in meetings}
    preexisting: set[str] = set()
    if source_db is not None:
        preexisting = {e for (e,) in query(source_db, "SELECT event_id FROM hearings")}
    # records the earlier database already holds were stored by its own system, not by a batch
    positions = {i: (None if m["eventId"] in preexisting else m["eventId"]) for i, m in enumerate(meetings, 1)}
    checked = {k: v for k, v in payloads.items() if k not in preexisting}
    db = _fresh(Base(name, source_db, {}, {}, {}, []), tmp / f"reference-{name}")
    report = db.parent / "events.json"
    done = _child(db, "memory", report=str(report))
    assert done.returncode == 0, done.stderr
    events = [tuple(e) for e in json.loads(report.read_text())["events"]]
    return Base(name, source_db, checked, positions, R.natural_dump(db), events)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def bases(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Base]:
    tmp = tmp_path_factory.mktemp("power")
    meetings = load_meetings()
    out = {"new": _make_base("new", None, tmp, meetings)}
    earlier = next((d / EARLIER_DB for d in _SHARED if (d / EARLIER_DB).is_file()), None)
    if earlier is not None:
        out["earlier"] = _make_base("earlier", earlier, tmp, meetings)
    return out


def _cut_points(events: list[tuple[str, str]], rng: random.Random, counts: dict[str, int]) -> list[tuple[str, int]]:
    """Seeded cut points (1-based event numbers) by where they land."""
    first_wal = next(i for i, (kind, _) in enumerate(events) if kind == "wal")
    last_wal_write = max(i for i, (kind, op) in enumerate(events) if kind == "wal" and op == "write")
    where = {
        "anywhere": range(len(events)),
        "start": range(first_wal + 1),
        "checkpoint": [i for i in range(first_wal, last_wal_write) if events[i][0] == "db"],
        "sync": [i for i, (_, op) in enumerate(events) if op == "sync"],
        "end": range(last_wal_write + 1, len(events)),
    }
    return [(name, rng.choice(where[name]) + 1) for name, n in counts.items() for _ in range(n)]


def _cut_and_check(
    base: Base, folder: Path, at: int, strategy: str, seed: int, synchronous: str = ""
) -> dict[str, Any]:
    db = _fresh(base, folder)
    report = folder / "cut.json"
    plan = {"cut_at": str(at), "seed": str(seed), "report": str(report)}
    if synchronous:
        plan["synchronous"] = synchronous
    cut = _child(db, strategy, **plan)
    assert cut.returncode in (powerloss.CUT_EXIT, 0), cut.stderr  # 0: the run had fewer events this time
    figures = json.loads(report.read_text()) if report.exists() else {}
    figures.pop("events", None)
    if db.exists() and db.stat().st_size:
        _recover(db)
        _assert_sound_after_cut(db, base)
    code, out = _rerun(db, strategy)
    assert code == 0 and out["status"] == "completed", out
    assert out["journal_mode"]["left"] == "delete" and out["journal_mode"]["restored"], out["journal_mode"]
    R.assert_sound(db, base.payloads, positions=base.positions)
    assert R.natural_dump(db) == base.reference
    assert _header(db) == (1, 1) and not [p for p in folder.iterdir() if p.name.startswith("hearings.db-")]
    return {**figures, "exit": cut.returncode, "resumed": out["records_resumed"]}


@pytest.mark.slow
def test_power_cuts_lose_only_whole_batches_and_a_rerun_completes(tmp_path: Path, bases: dict[str, Base]) -> None:
    rng = random.Random(SEED)
    plans = {
        "new": {"anywhere": 14, "start": 4, "checkpoint": 5, "sync": 4, "end": 7},
        "earlier": {"anywhere": 6, "start": 3, "end": 5},  # too few pages for an auto-checkpoint
    }
    results = []
    for name, counts in plans.items():
        if name not in bases:
            continue  # the earlier database is not available here
        for n, (where, at) in enumerate(_cut_points(bases[name].events, rng, counts)):
            strategy = STRATEGIES[n % 3]
            got = _cut_and_check(bases[name], tmp_path / f"{name}-{n}", at, strategy, rng.randrange(1 << 30))
            results.append({"base": name, "where": where, "strategy": strategy, **got})
    cut = [r for r in results if r["exit"] == powerloss.CUT_EXIT]
    assert len(cut) >= 0.9 * len(results)
    # the model did lose unsynced writes, and with synchronous=NORMAL whole commits with them
    assert sum(sum(r["writes_lost"].values()) for r in cut) > 0
    assert any(r["commits_lost"] > 0 for r in cut)
    R.record_figures(
        "power_loss",
        {
            "cuts": len(cut),
            "where": dict(Counter(r["where"] for r in cut)),
            "cut_files": dict(Counter(r["cut_file"] for r in cut)),
            "commits_lost_max": max(r["commits_lost"] for r in cut),
            "cuts_losing_commits": sum(r["commits_lost"] > 0 for r in cut),
            "events_new_run": len(bases["new"].events),
        },
    )


@pytest.mark.slow
def test_power_cuts_with_synchronous_full_lose_at_most_the_commit_in_flight(
    tmp_path: Path, bases: dict[str, Base]
) -> None:
    rng = random.Random(SEED + 1)
    events = bases["new"].events
    wal_writes = [i + 1 for i, (kind, op) in enumerate(events) if kind == "wal" and op == "write"]
    lost = []
    for n in range(4):
        got = _cut_and_check(bases["new"], tmp_path / f"full-{n}", rng.choice(wal_writes), STRATEGIES[n % 3], n, "FULL")
        # FULL syncs the WAL at every commit: only the commit being written when the power went
        assert got["commits_unsynced"] <= 1 and got["commits_lost"] <= 1, got
        lost.append(got["commits_lost"])
    R.record_figures("power_loss_full", {"cuts": 4, "commits_lost": lost})


@pytest.mark.slow
def test_the_model_has_teeth_synchronous_off_is_caught(tmp_path: Path, bases: dict[str, Base]) -> None:
    """Control: with ``synchronous=OFF`` nothing is ever synced, and the same checks catch it."""
    rng = random.Random(SEED + 2)
    caught = []
    for n, (_, at) in enumerate(_cut_points(bases["new"].events, rng, {"end": 4})):
        try:
            _cut_and_check(bases["new"], tmp_path / f"off-{n}", at, "memory", rng.randrange(1 << 30), "OFF")
        except (AssertionError, apsw.Error) as exc:  # corrupt, or not equal to an uninterrupted run
            caught.append(type(exc).__name__)
    assert caught, "no power cut hurt an unsynced database: the model is not losing writes"
    R.record_figures("power_loss_off_control", {"cuts": 4, "caught": caught})


IOERR_CASES = {
    # name: (where in the event list, sticky)
    "wal-write": ("wal", "write", False),
    "wal-write-disk-dies": ("wal", "write", True),
    "checkpoint-write": ("db", "write", False),
    "sync-disk-dies": (None, "sync", True),
    "journal-at-end": ("journal", "write", False),
}


@pytest.mark.slow
@pytest.mark.parametrize("case", sorted(IOERR_CASES))
def test_an_io_error_stops_the_run_with_exit_3_and_a_rerun_resumes(
    tmp_path: Path, bases: dict[str, Base], case: str
) -> None:
    base = bases["new"]
    kind, op, sticky = IOERR_CASES[case]
    candidates = [i + 1 for i, (k, o) in enumerate(base.events) if o == op and (kind is None or k == kind)]
    if case == "journal-at-end":  # the rollback journal of the switch back to delete (header bytes)
        last_wal = max(i for i, (k, _) in enumerate(base.events) if k == "wal")
        switch_sync = next(i for i in range(last_wal, len(base.events)) if base.events[i] == ("journal", "sync"))
        candidates = [i for i in candidates if last_wal + 1 < i <= switch_sync]
    at = random.Random(f"{SEED}-{case}").choice(candidates[1:] or candidates)
    strategy = STRATEGIES[sorted(IOERR_CASES).index(case) % 3]
    db = _fresh(base, tmp_path / "io")
    failed = _child(db, strategy, ioerr_at=str(at), ioerr_sticky="1" if sticky else "0")
    assert failed.returncode == 3, (failed.returncode, failed.stderr)
    assert "Traceback" not in failed.stderr
    lines = failed.stderr.strip().splitlines()
    assert len(lines) == 1 and "I/O" in lines[0] and ("run again" in lines[0] or "next run" in lines[0]), lines
    _recover(db)
    R.assert_sound(db, base.payloads, positions=base.positions)
    code, out = _rerun(db, strategy)
    assert code == 0 and out["status"] == "completed"
    assert R.natural_dump(db) == base.reference
    assert _header(db) == (1, 1)
    R.record_figures("io_error", {"case": case, "event": at, "resumed": out["records_resumed"]})


def test_the_vfs_inherits_the_real_default_by_name(tmp_path: Path) -> None:
    """Once it is the default, inheriting ``""`` would make it inherit itself: it names the real one."""
    code = (
        "import sys, apsw; sys.path.insert(0, sys.argv[1]); import powerloss;"
        "plan = powerloss.install_from_env(); print(apsw.vfs_names()[0]);"
        "c = apsw.Connection(sys.argv[2]); c.execute('create table t(x); insert into t values (1)');"
        "print(len(plan.events))"
    )
    env = {**os.environ, "POWERLOSS_REPORT": ""}
    done = subprocess.run(
        [sys.executable, "-c", code, str(POWERLOSS.parent), str(tmp_path / "t.db")],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    name, events = done.stdout.split()
    assert name == "powerloss" and int(events) > 0
