"""``hearings-update revert`` / ``status RUN_ID`` / ``run --dry-run`` from the command line.

The first test runs each command as its own process: a revert can only use the before-images
the journal holds. The others run in-process (click's runner), each command on a connection
of its own, checked through a second one.
"""

from __future__ import annotations

import copy
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.support import revert as rs
from tests.support.cli import process_json, run_process


def test_run_refuse_revert_and_revert_the_revert_in_separate_processes(
    tmp_path: Path, payloads: list[dict[str, Any]]
) -> None:
    db = str(tmp_path / "h.db")
    a = rs.write_ndjson(tmp_path / "a.ndjson", payloads[: rs.RUN_A])
    b = rs.write_ndjson(tmp_path / "b.ndjson", rs.run_b_payloads(payloads)[0])
    code, run_a = process_json("run", "--db", db, "--source", str(a), "--quiet")
    assert code == 0 and run_a["records_added"] == rs.RUN_A
    after_a = rs.natural_snapshot(Path(db))
    code, run_b = process_json("run", "--db", db, "--source", str(b), "--quiet")
    assert code == 0 and run_b["records_updated"] > 0 and run_b["records_added"] == rs.NEW_IN_B
    after_b = rs.natural_snapshot(Path(db))
    a_id, b_id = str(run_a["run_id"]), str(run_b["run_id"])

    untouched = rs.exact_snapshot(Path(db), journal=True)
    code, refused = process_json("revert", "--db", db, a_id)
    assert code == 1 and refused["status"] == "refused" and refused["later_runs"] == [run_b["run_id"]]
    assert refused["conflicts"] and all(
        set(c) == {"table", "key", "before", "after", "current", "later_run"} for c in refused["conflicts"]
    )
    canceled = [c for c in refused["conflicts"] if c["table"] == "hearings" and c["current"]["status"] == "Canceled"]
    assert canceled and all(c["after"]["status"] == "Scheduled" and c["before"] is None for c in canceled)
    human = run_process("revert", "--db", db, a_id)
    assert human.returncode == 1 and f"revert run {b_id} first" in human.stdout
    assert "recorded after the run" in human.stdout and "now:" in human.stdout
    assert rs.exact_snapshot(Path(db), journal=True) == untouched

    code, reverted = process_json("revert", "--db", db, b_id)
    assert code == 0 and reverted["status"] == "reverted" and reverted["reverted_run"] == run_b["run_id"]
    assert rs.natural_snapshot(Path(db)) == after_a
    code, again = process_json("revert", "--db", db, str(reverted["revert_run"]))
    assert code == 0 and again["status"] == "reverted"
    assert rs.natural_snapshot(Path(db)) == after_b


def test_batch_and_dry_run_from_the_command_line(make_ab: Callable[..., rs.AB], payloads: list[dict[str, Any]]) -> None:
    ab = make_ab("memory", batch_size=10)
    db, b_id = str(ab.path), str(ab.run_b.run_id)
    before = rs.exact_snapshot(ab.path, journal=True)
    code, dry = rs.cli_json("revert", "--db", db, b_id, "--batch", "2", "--dry-run")
    assert code == 0 and dry["status"] == "dry_run" and dry["batch"] == 2 and dry["revert_run"] is None
    human = rs.cli("revert", "--db", db, b_id, "--batch", "2", "--dry-run")
    assert human.returncode == 0 and f"would restore {dry['rows_restored']} row(s)" in human.stdout
    assert rs.exact_snapshot(ab.path, journal=True) == before

    code, done = rs.cli_json("revert", "--db", db, b_id, "--batch", "2")
    assert code == 0 and done["status"] == "reverted"
    assert rs.counts_of(done["tables"]) == rs.counts_of(dry["tables"])
    assert rs.net_diff(ab.exact_b, rs.exact_snapshot(ab.path)) == rs.counts_of(done["tables"])
    b_payloads, _ = rs.run_b_payloads(payloads)
    conn_rows = "SELECT * FROM hearings WHERE event_id=?"
    a_rows = {r[2]: r[1:] for r in ab.exact_a["hearings"]}  # event_id -> row after run A (r[0]: rowid)
    for p in b_payloads[10:20]:  # batch 2: back as after run A
        assert rs.query(ab.path, conn_rows, (p["eventId"],)) == [a_rows[p["eventId"]]]
    assert rs.query(ab.path, "SELECT status FROM hearings WHERE event_id=?", (b_payloads[0]["eventId"],)) == [
        ("Canceled",)
    ]  # batch 1 stays


def test_status_of_a_run_reports_its_real_net_changes(tmp_path: Path, payloads: list[dict[str, Any]]) -> None:
    db = tmp_path / "s.db"
    rs.update(db, payloads[: rs.RUN_A])
    exact_a = rs.exact_snapshot(db)
    b_payloads, changed = rs.run_b_payloads(payloads)
    bad = copy.deepcopy(payloads[rs.RUN_A + 200])
    bad["committees"] = [{"systemCode": "zzzz99"}]  # unknown committee: quarantined
    run_b = rs.update(db, [*b_payloads, bad])
    assert [q.record_key for q in run_b.quarantined] == [bad["eventId"]]
    truth = rs.net_diff(exact_a, rs.exact_snapshot(db))

    code, report = rs.cli_json("status", "--db", str(db), str(run_b.run_id))
    assert code == 0 and report["run"]["run_id"] == run_b.run_id
    assert rs.counts_of(report["changes"]) == truth
    assert [(q["record_key"], q["batch"]) for q in report["quarantined"]] == [
        (bad["eventId"], len(b_payloads) // 50 + 1)
    ]
    batches = rs.query(db, "SELECT count(*) FROM sqlbatch_batches WHERE run_id=?", (run_b.run_id,))[0][0]
    assert report["timings_ms"]["batches"] == batches
    assert set(report["timings_ms"]) >= {"checkpoint_ms", "apply_ms", "validate_ms", "commit_ms", "rollback_ms"}
    examples = report["changes"]["hearings"]["examples"]
    assert 0 < len(examples) <= 3
    for ex in (e for e in examples if e["kind"] == "updated"):
        (now,) = rs.query(db, "SELECT event_id, status, title FROM hearings WHERE hearing_id=?", ex["key"])
        for column, (old, new) in ex["changes"].items():
            if column in ("status", "title"):
                assert new == now[1 + ("status", "title").index(column)] and old != new
        if "status" in ex["changes"]:
            assert ex["changes"]["status"] == ["Scheduled", "Canceled"] and now[0] in changed["status"]

    human = rs.cli("status", "--db", str(db), str(run_b.run_id))
    assert human.returncode == 0
    for table, c in truth.items():
        assert f"{table}: {c['inserted']} inserted, {c['updated']} updated, {c['deleted']} deleted" in human.stdout
    assert "quarantined in this run: 1" in human.stdout and bad["eventId"] in human.stdout
    assert "phases (ms):" in human.stdout


def test_run_dry_run_reports_the_net_diff_and_commits_nothing(tmp_path: Path, payloads: list[dict[str, Any]]) -> None:
    db = tmp_path / "d.db"
    rs.update(db, payloads[: rs.RUN_A])
    b = rs.write_ndjson(tmp_path / "b.ndjson", rs.run_b_payloads(payloads)[0])
    before = rs.exact_snapshot(db, journal=True)
    code, dry = rs.cli_json("run", "--db", str(db), "--source", str(b), "--dry-run")
    assert code == 0 and dry["dry_run"] is True and dry["records_updated"] > 0
    assert rs.exact_snapshot(db, journal=True) == before  # not even a journal row

    code, real = rs.cli_json("run", "--db", str(db), "--source", str(b), "--quiet")
    assert code == 0 and real["run_id"] == 2
    truth = rs.net_diff({k: v for k, v in before.items() if not k.startswith("sqlbatch_")}, rs.exact_snapshot(db))
    assert rs.counts_of(dry["changes"]) == truth
    code, report = rs.cli_json("status", "--db", str(db), str(real["run_id"]))
    assert rs.counts_of(report["changes"]) == truth


def test_unknown_run_or_batch_is_a_usage_error(tmp_path: Path, payloads: list[dict[str, Any]]) -> None:
    db = tmp_path / "u.db"
    run = rs.update(db, payloads[:120])
    before = rs.exact_snapshot(db, journal=True)
    for args, message in (
        (("status", "--db", str(db), "99"), "there is no run 99"),
        (("revert", "--db", str(db), "99"), "there is no run 99"),
        (("revert", "--db", str(db), str(run.run_id), "--batch", "9"), f"run {run.run_id} has no batch 9"),
    ):
        done = rs.cli(*args)
        assert (done.returncode, done.stdout) == (2, ""), done.stderr
        assert message in done.stderr and "Traceback" not in done.stderr
    assert rs.exact_snapshot(db, journal=True) == before
