"""Scenario: power cuts while a run's WAL checkpoints happen in their own thread (``sqlbatch._checkpoints``).

The real command line over the power-loss VFS of ``powerloss.py`` (both threads write through
it), with the checkpoint thread started after the first batch and a small
``wal_autocheckpoint`` so that it copies to the database file many times in the 47 batches of
the bundled meetings. A counting run lists the events; cuts are drawn from them (seeded),
half of them at writes to the database file itself (the thread's checkpoints). The thread
makes the order of events vary from run to run, so a cut lands near, not on, the event it
was drawn for: what must hold holds at any event. After each cut the next open recovers the
file, every batch is wholly there with its journal row or wholly absent, and a rerun ends with
the data of an uninterrupted run.
"""

from __future__ import annotations

import io
import json
import random
import subprocess
import sys
import textwrap
from contextlib import redirect_stdout
from pathlib import Path
from typing import Any

import apsw
import powerloss
import pytest

from adapters.hearings import cli
from tests.support import reliability as R
from tests.support.cli import SETTINGS_VARS, cli_env
from tests.support.data import load_meetings
from tests.support.db import query

BATCH = "25"
SEED = 20261203
CHILD = textwrap.dedent("""
    import sys
    sys.path.insert(0, {folder!r})
    import powerloss
    import adapters.hearings.cli_actions as actions
    from sqlbatch import _checkpoints

    _checkpoints.ENGAGE_AFTER_BATCHES = 1  # from the first batch on
    _checkpoints._WINDOW = 1  # and every 60 pages
    opened = actions.connect

    def connect(*args, **kwargs):
        conn = opened(*args, **kwargs)
        conn.execute("PRAGMA wal_autocheckpoint=60").fetchall()  # many checkpoints in 47 batches
        return conn

    actions.connect = connect
    sys.exit(powerloss.main(sys.argv[1:]))
""")


def _child(db: Path, **plan: str) -> subprocess.CompletedProcess[str]:
    env = cli_env(**{f"POWERLOSS_{k.upper()}": v for k, v in plan.items()})
    code = CHILD.format(folder=str(Path(powerloss.__file__).parent))
    args = [sys.executable, "-c", code, "run", "--db", str(db), "--batch-size", BATCH, "--json"]
    return subprocess.run(args, cwd=db.parent, env=env, capture_output=True, text=True, timeout=120, check=False)


def _rerun(db: Path) -> tuple[int, dict[str, Any]]:
    out = io.StringIO()
    with pytest.MonkeyPatch.context() as env, redirect_stdout(out):
        for name in SETTINGS_VARS:
            env.delenv(name, raising=False)
        env.chdir(db.parent)
        code = cli.main(["run", "--db", str(db), "--batch-size", BATCH, "--json"])
    return code, json.loads(out.getvalue())


@pytest.mark.slow
def test_power_cuts_during_checkpoints_in_their_thread_lose_only_whole_batches(tmp_path: Path) -> None:
    meetings = load_meetings()
    payloads = {m["eventId"]: m for m in meetings}
    positions = {i: m["eventId"] for i, m in enumerate(meetings, 1)}
    reference_db = tmp_path / "reference" / "hearings.db"
    reference_db.parent.mkdir()
    report = reference_db.parent / "events.json"
    done = _child(reference_db, report=str(report))
    assert done.returncode == 0, done.stderr
    events = [tuple(e) for e in json.loads(report.read_text())["events"]]
    reference = R.natural_dump(reference_db)
    first_wal = next(i for i, (kind, _) in enumerate(events) if kind == "wal")
    last_wal = max(i for i, (kind, op) in enumerate(events) if kind == "wal" and op == "write")
    in_checkpoints = [i for i in range(first_wal, last_wal) if events[i] == ("db", "write")]
    assert len(in_checkpoints) > 100  # the thread copied pages to the database file, often
    rng = random.Random(SEED)
    cuts = [rng.choice(in_checkpoints) + 1 for _ in range(5)] + [
        rng.randrange(first_wal, last_wal) + 1 for _ in range(5)
    ]
    exits = []
    for n, at in enumerate(cuts):
        folder = tmp_path / f"cut-{n}"
        folder.mkdir()
        db = folder / "hearings.db"
        cut = _child(db, cut_at=str(at), seed=str(rng.randrange(1 << 30)), report=str(folder / "cut.json"))
        assert cut.returncode in (powerloss.CUT_EXIT, 0), cut.stderr  # 0: fewer events this time
        exits.append(cut.returncode)
        apsw.Connection(str(db)).execute("SELECT count(*) FROM sqlite_schema").fetchall()  # recovery
        if {t for (t,) in query(db, "SELECT name FROM sqlite_schema WHERE type='table'")} >= {"hearings"}:
            R.assert_sound(db, payloads, positions=positions)
        code, out = _rerun(db)
        assert code == 0 and out["status"] == "completed", out
        R.assert_sound(db, payloads, positions=positions)
        assert R.natural_dump(db) == reference
    assert exits.count(powerloss.CUT_EXIT) >= 8
