"""The all-or-nothing fallback behind ENABLE_BATCH_PROCESSING=false (F5, R4) and its backups."""

from __future__ import annotations

from pathlib import Path

import pytest

import sqlbatch
from sqlbatch import Issue
from tests.support import processor as S


@pytest.fixture
def db(tmp_path: Path) -> Path:
    return S.build_db(tmp_path / "proc.db")


def processor_from_settings(conn: sqlbatch.Connection, settings: sqlbatch.Settings, **kw) -> sqlbatch.Processor:
    """The mapping the command line uses (adapters/hearings/cli.py ``_options``)."""
    return S.processor(
        conn,
        settings.rollback_strategy,
        settings.commit_interval_ms,
        batch_size=settings.batch_size,
        on_failure=settings.on_batch_failure,
        all_or_nothing=not settings.enable_batch_processing,
        validation_budget_ms=settings.batch_validation_timeout,
        backup_retention=settings.backup_retention,
        **kw,
    )


def _backups(folder: Path) -> list[Path]:
    return sorted(folder.glob("proc-*.db"))


@pytest.mark.parametrize("strategy", S.STRATEGIES)
def test_r4_flag_toggled_many_times(tmp_path: Path, db: Path, strategy: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """12 runs: the flag alternates (6 times each way) over clean and dirty inputs."""
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ROLLBACK_STRATEGY", strategy)
    monkeypatch.setenv("BATCH_SIZE", "20")
    monkeypatch.setenv("BACKUP_RETENTION", "2")
    folder = tmp_path / "backups"
    expected: dict[int, dict] = {}
    bad = {7: "check", 33: "fk", 58: "named"}
    aon_runs = 0
    for step in range(12):
        enabled = step % 2 == 0
        dirty = (step // 2) % 2 == 1
        monkeypatch.setenv("ENABLE_BATCH_PROCESSING", "true" if enabled else "false")
        settings = sqlbatch.load_settings()
        assert settings.enable_batch_processing is enabled
        recs = S.records(60, bad if dirty else None, version=step + 1)
        before = S.data_dump_without_journal(db)
        conn = sqlbatch.connect(db)
        res = processor_from_settings(conn, settings, backup_dir=folder).run(recs, source=f"step{step}")
        conn.close()
        assert res.mode == ("batched" if enabled else "all-or-nothing")
        assert res.strategy == strategy and res.batch_size == 20
        good = [r for r in recs if not (dirty and r["id"] in bad)]
        if enabled:
            assert res.status == ("completed_with_quarantine" if dirty else "completed")
            assert res.metrics.records_committed == len(good) and res.metrics.batch_count == 3
            expected.update({r["id"]: r for r in good})
            assert res.backup_path is None
        else:
            aon_runs += 1
            assert res.backup_path and Path(res.backup_path).exists()
            # the backup holds the database as it was before the run
            assert S.data_dump_without_journal(Path(res.backup_path)) == before
            assert len(_backups(folder)) == min(aon_runs, 2)
            if dirty:
                assert res.status == "rolled_back"
                assert S.data_dump_without_journal(db) == before  # exactly as before
                assert {f"r{i:04d}" for i in bad} <= {q.record_key for q in res.quarantined}
                assert res.metrics.records_committed == 0 and res.metrics.batches_failed == res.metrics.batch_count
                run = S.journal(db, "sqlbatch_runs", res.run_id)[0]
                assert run["status"] == "rolled_back" and run["mode"] == "all-or-nothing"
                logged = {i["record_key"] for i in S.journal(db, "sqlbatch_issues", res.run_id)}
                assert {f"r{i:04d}" for i in bad} <= logged
            else:
                assert res.status == "completed"
                assert res.metrics.records_committed == 60 and res.metrics.batches_succeeded == 3
                expected.update({r["id"]: r for r in recs})
        S.assert_records_stored(db, list(expected.values()))
        assert S.parent_keys(db) == {f"r{i:04d}" for i in expected}
        S.assert_sound(db)
    assert aon_runs == 6


@pytest.mark.parametrize("strategy", S.STRATEGIES)
@pytest.mark.parametrize("failure", ["check", "fk", "name", "raise", "named", "validator", "rejected"])
def test_all_or_nothing_any_failure_restores_exactly(tmp_path: Path, db: Path, strategy: str, failure: str) -> None:
    S.run(db, S.records(80), strategy, source="base")
    before = S.data_dump_without_journal(db)
    validators: tuple = ()
    record_validators: tuple = ()
    if failure == "validator":
        recs = S.records(120, version=2)

        def late(ctx: sqlbatch.BatchContext) -> list[Issue]:
            return [Issue("final_rule", "the whole update is refused", "r0111")]

        validators = (late,)
    elif failure == "rejected":
        recs = S.records(120, version=2)

        def reject(r: dict) -> list[Issue]:
            return [Issue("no_99", "record 99 is refused", field="id")] if r["id"] == 99 else []

        record_validators = (reject,)
    else:
        recs = S.records(120, {111: failure}, version=2)
    res = S.run(
        db,
        recs,
        strategy,
        all_or_nothing=True,
        batch_validators=validators,
        record_validators=record_validators,
        backup_dir=tmp_path / "bk",
        source="aon",
    )
    assert res.status == "rolled_back"
    assert S.data_dump_without_journal(db) == before
    keys = {q.record_key for q in res.quarantined}
    assert ("r0099" if failure == "rejected" else "r0111") in keys
    assert not S.journal(db, "sqlbatch_quarantine")  # nothing was applied: nothing to quarantine
    S.assert_sound(db)


@pytest.mark.parametrize("strategy", S.STRATEGIES)
def test_all_or_nothing_clean_commits_everything_in_one_transaction(tmp_path: Path, db: Path, strategy: str) -> None:
    recs = S.records(130)
    res = S.run(db, recs, strategy, all_or_nothing=True, backup_dir=tmp_path / "bk")
    assert res.status == "completed" and res.metrics.records_added == 130 and res.metrics.batch_count == 3
    S.assert_records_stored(db, recs)
    again = S.run(db, recs, strategy, all_or_nothing=True, backup_dir=tmp_path / "bk")
    assert again.metrics.records_unchanged == 130 and again.metrics.records_committed == 0
    S.assert_sound(db)


def test_backup_retention_keeps_the_newest(tmp_path: Path, db: Path) -> None:
    folder = tmp_path / "bk"
    made = []
    for i in range(7):
        res = S.run(db, S.records(5, version=i), all_or_nothing=True, backup_dir=folder, backup_retention=3)
        made.append(Path(res.backup_path))
        assert made[-1].exists(), "the backup just made must survive the pruning"
    assert _backups(folder) == sorted(made[-3:])


def test_default_backup_folder_is_beside_the_database(db: Path) -> None:
    res = S.run(db, S.records(3), all_or_nothing=True)
    assert Path(res.backup_path).parent == db.parent / "proc.db.backups"


@pytest.mark.parametrize("strategy", S.STRATEGIES)
def test_all_or_nothing_record_ending_the_transaction(tmp_path: Path, db: Path, strategy: str) -> None:
    """RAISE(ROLLBACK) in the single transaction: rolled back as a whole, the record listed."""
    S.run(db, S.records(30), strategy, source="base")
    raw = S.open_raw(db)
    raw.execute(
        "CREATE TRIGGER no_doom BEFORE INSERT ON child WHEN NEW.v = 'doom'"
        " BEGIN SELECT RAISE(ROLLBACK, 'doomed child'); END"
    )
    raw.close()
    before = S.data_dump_without_journal(db)
    recs = S.records(120, version=2)
    recs[88]["children"] = ["x", "doom"]
    conn = sqlbatch.connect(db)
    res = S.processor(conn, strategy, all_or_nothing=True, backup_dir=tmp_path / "bk").run(recs)
    assert not conn.in_transaction and conn.active_unit is None
    conn.close()
    assert res.status == "rolled_back"
    assert "r0089" in {q.record_key for q in res.quarantined}
    assert any("doomed child" in q.reason for q in res.quarantined)
    assert S.data_dump_without_journal(db) == before
    S.assert_sound(db)


def _prepare_with_warnings(rec: dict) -> sqlbatch.Prepared:
    """Every 7th record carries a warning from ``prepare`` (like the hearings' empty titles)."""
    issues = [Issue("ts_odd", "ts ends in 7", rec["key"], "ts", "warning")] if rec["id"] % 7 == 0 else []
    return sqlbatch.Prepared(rec, issues)


@pytest.mark.parametrize("all_or_nothing", [False, True], ids=["batched", "all-or-nothing"])
@pytest.mark.parametrize("bad", [{}, {33: "check"}], ids=["clean", "one-bad"])
def test_prepare_warnings_are_kept_in_the_journal(tmp_path: Path, db: Path, all_or_nothing: bool, bad: dict) -> None:
    """A warning is 'logged and kept in the journal' whichever mode runs and whatever the outcome."""
    res = S.run(
        db, S.records(120, bad), prepare=_prepare_with_warnings, all_or_nothing=all_or_nothing, backup_dir=tmp_path
    )
    expected = {f"r{i:04d}" for i in range(7, 121, 7)}
    assert {w.record for w in res.warnings if w.rule == "ts_odd"} == expected
    kept = S.journal(db, "sqlbatch_issues", res.run_id)
    warned = [r for r in kept if r["severity"] == "warning"]
    assert sorted(r["record_key"] for r in warned) == sorted(expected)  # each once, none lost or doubled
    assert {(r["rule"], r["field"]) for r in warned} == {("ts_odd", "ts")}
    if bad:
        assert res.status == ("rolled_back" if all_or_nothing else "completed_with_quarantine")
        assert any(r["severity"] == "error" and r["record_key"] == "r0033" for r in kept)
