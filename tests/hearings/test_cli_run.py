"""``hearings-update run`` end to end (in-process, through click): options, ``--json`` keys, exit codes.

Each case runs the real command on a real file and checks the database through a new
connection once the process has ended.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apsw
import pytest

from adapters.hearings.sources import read_sample
from tests.support.cli import REQUIRED_JSON_KEYS, cli_env, run_cli, run_json
from tests.support.data import write_ndjson
from tests.support.db import STRATEGIES, query
from tests.support.hearings import (
    FaultFile,
    counts,
    dump_data,
    make_fault_file,
    meetings_whose_witness_type_changes,
    schema_shape,
    update,
)


def check_json(data: dict[str, Any]) -> None:
    """The keys ``run --json`` must print, with their types, and counts that add up."""
    for key, kind in REQUIRED_JSON_KEYS.items():
        assert key in data, key
        assert isinstance(data[key], kind) and not isinstance(data[key], bool), (key, data[key])
    for entry in data["quarantined"]:
        assert isinstance(entry["record_key"], str) and entry["record_key"]
        assert isinstance(entry["batch"], int) and entry["batch"] >= 1
        assert isinstance(entry["rule"], str) and entry["rule"]
        assert isinstance(entry["reason"], str) and entry["reason"]
    assert data["batches_succeeded"] + data["batches_failed"] == data["batch_count"]
    assert data["records_quarantined"] == len(data["quarantined"])
    assert data["duration_s"] >= 0


def _event_ids(path: Path) -> set[str]:
    return {e for (e,) in query(path, "SELECT event_id FROM hearings")} if path.exists() else set()


@pytest.fixture(scope="module")
def sources(tmp_path_factory: pytest.TempPathFactory, real_payloads: list[dict[str, Any]]) -> dict[str, Any]:
    """A clean NDJSON file of 12 real meetings, the same as a JSON array and a folder, and a fault file."""
    folder = tmp_path_factory.mktemp("sources")
    good = real_payloads[100:112]
    array = folder / "good.json"
    array.write_text(json.dumps([{"committeeMeeting": p} for p in good]), encoding="utf-8")
    responses = folder / "responses"
    responses.mkdir()
    for i, p in enumerate(good):
        (responses / f"{i:03}.json").write_text(json.dumps({"committeeMeeting": p, "request": {}}), encoding="utf-8")
    return {
        "good": write_ndjson(folder / "good.ndjson", good),
        "good_ids": {p["eventId"] for p in good},
        "array": array,
        "folder": responses,
        "faults": make_fault_file(folder, real_payloads),
    }


# -- the sample through the CLI --------------------------------------------------------------------


def _timeless(path: Path) -> dict[str, list[tuple[Any, ...]]]:
    shape = schema_shape(path)
    out = {}
    for table, rows in dump_data(path).items():
        names = [c[0] for c in shape.get(table, [])]
        keep = [i for i, n in enumerate(names) if n not in ("created_at", "updated_at")] or range(len(rows[0]))
        out[table] = [tuple(r[i] for i in keep) for r in rows]
    return out


def test_sample_into_a_new_database_then_rerun_then_status(tmp_path: Path) -> None:
    db = tmp_path / "hearings.db"
    code, data = run_json("run", "--db", db, cwd=tmp_path)

    assert code == 0
    check_json(data)
    assert (data["status"], data["mode"], data["strategy"], data["batch_size"]) == (
        "completed",
        "batched",
        "memory",
        50,
    )
    assert (data["records_total"], data["records_added"], data["records_quarantined"]) == (1168, 1168, 0)
    assert data["batch_count"] == 24 and data["quarantined"] == []
    # the command wrote exactly what the library writes
    library = tmp_path / "library.db"
    update(library, read_sample())
    assert _timeless(db) == _timeless(library)
    assert query(db, "PRAGMA integrity_check") == [("ok",)] and query(db, "PRAGMA foreign_key_check") == []

    before = dump_data(db)
    human = run_cli("run", "--db", db, "--source", "sample", cwd=tmp_path)
    assert human.returncode == 0 and human.stderr == ""  # no progress bar when stderr is not a terminal
    lines = human.stdout.splitlines()
    assert 2 <= len(lines) <= 8
    assert "completed" in lines[0] and "1168 read, 0 added, 0 updated, 1168 unchanged, 0 quarantined" in human.stdout
    assert dump_data(db) == before

    code, status = run_json("status", "--db", db, cwd=tmp_path)
    assert code == 0
    assert [(r["run_id"], r["status"], r["records_total"]) for r in status["runs"]] == [
        (2, "completed", 1168),
        (1, "completed", 1168),
    ]
    assert [r["records_committed"] for r in status["runs"]] == [0, 1168]
    assert status["quarantine"] == {"quarantined": 0, "resolved": 0}
    text = run_cli("status", "--db", db, cwd=tmp_path)
    assert text.returncode == 0 and "run 2" in text.stdout and "run 1" in text.stdout
    code, quarantine = run_json("quarantine", "--db", db, cwd=tmp_path)
    assert (code, quarantine) == (0, {"quarantined": []})
    text = run_cli("quarantine", "--db", db, cwd=tmp_path)
    assert (text.returncode, text.stdout.strip()) == (0, "no quarantined records")


# -- a table of cases crossed with the strategies ------------------------------------------------


@dataclass(frozen=True)
class Case:
    name: str
    source: str  # "good" or "faults"
    args: tuple[str, ...]
    exit: int
    status: str
    stored: str  # "all good", "isolated", "clean batches", "nothing"


CASES = (
    Case("clean", "good", ("--batch-size", "5"), 0, "completed", "all good"),
    Case(
        "isolate",
        "faults",
        ("--on-failure", "isolate", "--batch-size", "4"),
        1,
        "completed_with_quarantine",
        "isolated",
    ),
    Case(
        "skip-batch",
        "faults",
        ("--on-failure", "skip-batch", "--batch-size", "4"),
        1,
        "completed_with_quarantine",
        "clean batches",
    ),
    Case("all-or-nothing", "faults", ("--all-or-nothing",), 1, "rolled_back", "nothing"),
    Case("dry-run", "faults", ("--dry-run", "--batch-size", "4"), 1, "completed_with_quarantine", "nothing"),
)


def _expected_stored(case: Case, sources: dict[str, Any]) -> set[str]:
    faults: FaultFile = sources["faults"]
    return {
        "all good": sources["good_ids"],
        "isolated": set(faults.good),
        "clean batches": set(faults.good[3:]),  # the first batch of 4 holds a bad record
        "nothing": set(),
    }[case.stored]


@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_run_cases(tmp_path: Path, sources: dict[str, Any], case: Case, strategy: str) -> None:
    db = tmp_path / "h.db"
    faults: FaultFile = sources["faults"]
    source = sources["good"] if case.source == "good" else faults.path
    code, data = run_json(
        "run", "--db", db, "--source", source, "--strategy", strategy, "--congress", "119", *case.args, cwd=tmp_path
    )

    assert code == case.exit
    check_json(data)
    assert (data["status"], data["strategy"]) == (case.status, strategy)
    if "--batch-size" in case.args:
        assert data["batch_size"] == int(case.args[case.args.index("--batch-size") + 1])
    assert data["dry_run"] is ("--dry-run" in case.args)
    assert _event_ids(db) == _expected_stored(case, sources)
    keys = {q["record_key"] for q in data["quarantined"]}
    if case.source == "good":
        assert keys == set() and data["records_added"] == len(sources["good_ids"])
    else:
        assert data["records_total"] == faults.records
        assert set(faults.bad) <= keys
        assert keys - set(faults.bad) == (set(faults.good[:3]) if case.name == "skip-batch" else set())
    if case.name == "all-or-nothing":
        assert data["mode"] == "all-or-nothing" and data["records_added"] == 0
    if case.name == "dry-run":  # reports what would change, commits nothing
        assert data["records_added"] == len(faults.good)
        assert data["changes"]["hearings"]["inserted"] == len(faults.good)
        assert not query(db, "SELECT name FROM sqlite_master WHERE name = 'sqlbatch_runs'")
    if case.name in ("isolate", "skip-batch"):
        stored = {k for (k,) in query(db, "SELECT record_key FROM sqlbatch_quarantine WHERE status = 'quarantined'")}
        assert stored == keys


def test_every_source_form_and_quiet(tmp_path: Path, sources: dict[str, Any]) -> None:
    """NDJSON, JSON array and a folder of responses give the same rows; --quiet prints nothing."""
    dumps = []
    for form in ("good", "array", "folder"):
        db = tmp_path / f"{form}.db"
        proc = run_cli("run", "--db", db, "--source", sources[form], "--quiet", cwd=tmp_path)
        assert (proc.returncode, proc.stdout, proc.stderr) == (0, "", "")
        assert _event_ids(db) == sources["good_ids"]
        dumps.append(_timeless(db))
    assert dumps[0] == dumps[1] == dumps[2]
    proc = run_cli("run", "--db", tmp_path / "f.db", "--source", sources["faults"].path, "--quiet", cwd=tmp_path)
    assert (proc.returncode, proc.stdout) == (1, "")


def test_faults_then_status_and_quarantine_listings(tmp_path: Path, sources: dict[str, Any]) -> None:
    faults: FaultFile = sources["faults"]
    db = tmp_path / "h.db"
    human = run_cli("run", "--db", db, "--source", faults.path, "--batch-size", "4", cwd=tmp_path)
    assert human.returncode == 1
    out = human.stdout
    assert f"{faults.records} read, {len(faults.good)} added" in out and "5 quarantined" in out
    for key in faults.bad:  # each quarantined record named with its key and rule
        assert any(key in line and faults.bad[key][0] in line for line in out.splitlines()), key

    code, listing = run_json("quarantine", "--db", db, cwd=tmp_path)
    assert code == 0
    assert {q["record_key"]: (q["rule"], q["field"]) for q in listing["quarantined"]} == faults.bad
    assert all(q["reason"] and q["run_id"] == 1 and q["attempts"] == 1 for q in listing["quarantined"])
    text = run_cli("quarantine", "--db", db, cwd=tmp_path)
    assert text.returncode == 0 and text.stdout.startswith("5 quarantined record(s):")
    assert all(key in text.stdout for key in faults.bad)
    code, status = run_json("status", "--db", db, cwd=tmp_path)
    assert code == 0 and status["quarantine"] == {"quarantined": 5, "resolved": 0}
    assert status["runs"][0]["status"] == "completed_with_quarantine" and status["runs"][0]["records_quarantined"] == 5


def test_dry_run_on_the_earlier_database_changes_no_data(tmp_path: Path, earlier_db_source: Path) -> None:
    db = tmp_path / "earlier.db"
    shutil.copyfile(earlier_db_source, db)
    before = dump_data(db)
    tables_before = set(schema_shape(db))

    code, data = run_json("run", "--db", db, "--dry-run", cwd=tmp_path)

    # the three meetings with duplicate witnesses, and those whose witness types the rule corrects
    conn = apsw.Connection(str(db), flags=apsw.SQLITE_OPEN_READONLY)
    updated = len({"118356", "118377", "118379"} | meetings_whose_witness_type_changes(conn))
    conn.close()
    assert code == 0 and data["dry_run"] is True and data["status"] == "completed"
    assert (data["records_added"], data["records_updated"], data["records_unchanged"]) == (141, updated, 1027 - updated)
    assert data["changes"]["hearings"]["inserted"] == 141 and data["changes"]["hearings"]["updated"] == updated
    assert dump_data(db) == before
    # nothing journaled either (the run leaves no sqlbatch_* table); only additive tables may appear
    additive = {"hearing_treaties", "hearing_nominations", "hearing_continuations"}
    assert set(schema_shape(db)) - additive == tables_before
    assert counts(db)["hearings"] == 1027
    human = run_cli("run", "--db", db, "--dry-run", cwd=tmp_path)
    assert human.returncode == 0 and "dry run, nothing committed" in human.stdout
    assert f"hearings: 141 inserted, {updated} updated, 0 deleted" in human.stdout


def test_title_max_length_default_accepts_every_real_title_and_a_lower_limit_quarantines(
    tmp_path: Path, real_payloads: list[dict[str, Any]]
) -> None:
    """TITLE_MAX_LENGTH: 10,000 by default (the longest real title has 4,233 characters)."""
    code, data = run_json("run", "--db", tmp_path / "default.db", cwd=tmp_path)
    assert (code, data["records_added"], data["records_quarantined"]) == (0, 1168, 0)

    limited = tmp_path / "limited.db"
    code, data = run_json("run", "--db", limited, cwd=tmp_path, env=cli_env(TITLE_MAX_LENGTH="500"))
    too_long = {p["eventId"] for p in real_payloads if len(p.get("title") or "") > 500}
    assert code == 1 and len(too_long) == 94
    assert {q["record_key"] for q in data["quarantined"]} == too_long
    assert {q["rule"] for q in data["quarantined"]} == {"title_length"}
    assert all("(TITLE_MAX_LENGTH)" in q["reason"] for q in data["quarantined"])
    assert not too_long & {e for (e,) in query(limited, "SELECT event_id FROM hearings")}
    assert data["records_added"] == 1168 - 94

    code, data = run_json("run", "--db", limited, cwd=tmp_path, env=cli_env(TITLE_MAX_LENGTH="0"))  # 0: no limit
    assert (code, data["records_added"], data["records_resolved"]) == (0, 94, 94)
