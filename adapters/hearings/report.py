"""What the command line shows: the run summary, status and quarantine listings, progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlbatch import Connection, RunResult, lease_for

_MAX_LISTED = 20


def summary(result: RunResult) -> str:
    m = result.metrics
    lines = [
        f"run {result.run_id}: {result.status}{' (dry run, nothing committed)' if result.dry_run else ''}"
        f" - {result.mode}, strategy {result.strategy}, batches of {result.batch_size}",
        f"  records: {m.records_total} read, {m.records_added} added, {m.records_updated} updated,"
        f" {m.records_unchanged} unchanged, {m.records_quarantined} quarantined"
        + (f", {m.records_resumed} already applied by the interrupted run" if m.records_resumed else ""),
        f"  batches: {m.batch_count} ({m.batches_succeeded} clean, {m.batches_failed} with failures)"
        f" in {m.duration_s:.2f} s",
    ]
    if m.records_resolved:
        lines.append(f"  {m.records_resolved} previously quarantined record(s) now committed")
    if m.batches_compensated:
        lines.append(
            f"  post-run check failed: {m.batches_compensated} batch(es) undone, their {m.records_compensated}"
            " record(s) quarantined and retried when they next arrive"
        )
    if result.quarantined:
        lines.append("  quarantined:")
        for q in result.quarantined[:_MAX_LISTED]:
            field = f" [{q.field}]" if q.field else ""
            lines.append(f"    {q.record_key} (batch {q.batch}): {q.rule}{field}: {q.reason}")
        if len(result.quarantined) > _MAX_LISTED:
            lines.append(
                f"    ... and {len(result.quarantined) - _MAX_LISTED} more: hearings-update quarantine --db ..."
            )
    warnings = len(result.warnings)
    if warnings:
        lines.append(f"  {warnings} warning(s) kept in the journal (e.g. {result.warnings[0]})")
    if result.backup_path:
        lines.append(f"  backup before the run: {result.backup_path}")
    return "\n".join(lines)


def _has_table(conn: Connection, name: str) -> bool:
    """The journal tables exist only once a run was made (an earlier database has none)."""
    return conn.backend.table_exists(conn, name)


def status(conn: Connection) -> dict[str, Any]:
    if not _has_table(conn, "sqlbatch_runs"):
        return {"runs": [], "quarantine": {"quarantined": 0, "resolved": 0}}
    have = conn.backend.table_columns(conn, "sqlbatch_runs")
    who = ", pid, host" if {"pid", "host"} <= have else ", NULL AS pid, NULL AS host"  # older journals
    runs = [
        r.asdict()
        for r in conn.execute(
            "SELECT run_id, status, mode, strategy, batch_size, source, started_at, finished_at,"
            " records_total, records_committed, records_quarantined, batches_committed, batches_failed,"
            f" cursor, error{who} FROM sqlbatch_runs ORDER BY run_id DESC LIMIT 10"
        )
    ]
    _mark_live(conn, runs)
    tally = conn.execute("SELECT status, count(*) FROM sqlbatch_quarantine GROUP BY status")
    counts = {row[0]: row[1] for row in tally}
    return {
        "runs": runs,
        "quarantine": {"quarantined": counts.get("quarantined", 0), "resolved": counts.get("resolved", 0)},
    }


def _mark_live(conn: Connection, runs: list[dict[str, Any]]) -> None:
    """``live`` of each ``running`` row: True while a process holds the run lease, False when
    the run died (the next run marks it interrupted), None when it cannot be told."""
    running = [r for r in runs if r["status"] == "running"]
    if not running:
        return
    # the lease is per job on PostgreSQL (SQLite's file lock serves every job alike)
    jobs = {row[0]: row[1] or "default" for row in conn.execute(_RUNNING_JOBS)}
    for job in sorted({jobs.get(r["run_id"], "default") for r in running}):
        of_job = [r for r in running if jobs.get(r["run_id"], "default") == job]
        held = lease_for(conn, job).held_elsewhere()
        newest = max(r["run_id"] for r in of_job)
        for r in of_job:
            r["live"] = held if r["run_id"] == newest else (False if held is not None else None)


_RUNNING_JOBS = "SELECT run_id, job FROM sqlbatch_runs WHERE status = 'running'"


def quarantine(conn: Connection) -> dict[str, Any]:
    if not _has_table(conn, "sqlbatch_quarantine"):
        return {"quarantined": []}
    rows = [
        r.asdict()
        for r in conn.execute(
            "SELECT record_key, rule, field, reason, run_id, batch_no AS batch, attempts, first_seen, last_seen"
            " FROM sqlbatch_quarantine WHERE status='quarantined' ORDER BY last_seen DESC, record_key"
        )
    ]
    return {"quarantined": rows}


def run_report(conn: Connection, run_id: int) -> dict[str, Any]:
    """What one run changed (net, per table, with examples), its quarantine and timings."""
    from sqlbatch import RevertError
    from sqlbatch.audit import run_changes, summarize

    rows = (
        list(conn.execute("SELECT * FROM sqlbatch_runs WHERE run_id=?", (run_id,)))
        if _has_table(conn, "sqlbatch_runs")
        else []
    )
    if not rows:
        raise RevertError(f"there is no run {run_id} in this database: see 'status' for the runs")
    run = rows[0].asdict()
    run.pop("metrics", None)
    timings = (
        conn.execute(
            "SELECT count(*) AS batches, sum(checkpoint_ms) AS checkpoint_ms, sum(apply_ms) AS apply_ms,"
            " sum(validate_ms) AS validate_ms, sum(commit_ms) AS commit_ms, sum(rollback_ms) AS rollback_ms"
            " FROM sqlbatch_batches WHERE run_id=?",
            (run_id,),
        )
        .fetchall()[0]
        .asdict()
    )
    quarantined = [
        r.asdict()
        for r in conn.execute(
            "SELECT record_key, batch_no AS batch, rule, field, message AS reason FROM sqlbatch_issues"
            " WHERE run_id=? AND severity='error' ORDER BY issue_id",
            (run_id,),
        )
    ]
    changes = (
        {t: s.to_dict() for t, s in summarize(run_changes(conn, run_id)).items()}
        if _has_table(conn, "sqlbatch_undo")
        else {}
    )
    pruned = not changes and bool(
        conn.query_value(
            "SELECT sum(added + updated) FROM sqlbatch_batches WHERE run_id=? AND status != 'compensated'", (run_id,)
        )
    )
    return {
        "run": run,
        "changes": changes,
        "changes_pruned": pruned,  # the run wrote rows, but its before-images are past UNDO_RETENTION_DAYS
        "quarantined": quarantined,
        "timings_ms": {k: round(v or 0, 3) for k, v in timings.items()},
    }


def render_changes(tables: dict[str, Any]) -> str:
    if not tables:
        return "  no row changes"
    lines = []
    for table, s in tables.items():
        lines.append(f"  {table}: {s['inserted']} inserted, {s['updated']} updated, {s['deleted']} deleted")
        for ex in s["examples"]:
            if ex["kind"] == "updated":
                diff = ", ".join(f"{k}: {a!r} -> {b!r}" for k, (a, b) in ex["changes"].items())
                lines.append(f"      updated {ex['key']}: {diff}")
            else:
                lines.append(f"      {ex['kind']} {ex['key']}")
    return "\n".join(lines)


def refusal(exc: Any) -> dict[str, Any]:
    """``revert --json`` of a refused revert: why, the later runs to revert first, the conflicts."""
    return {
        "status": "refused",
        "reason": str(exc),
        "later_runs": exc.later_runs,
        "conflicts": [c.to_dict() for c in exc.conflicts[:100]],
    }


def render_revert(result: Any, run_id: int, *, batch: int | None, dry_run: bool) -> str:
    """What a revert restored (or would), table by table."""
    what = f"batch {batch} of run {run_id}" if batch else f"run {run_id}"
    verb = "would restore" if dry_run else "restored"
    head = f"revert of {what}: {verb} {result.rows_restored} row(s)" + (
        f" as run {result.revert_run} (revert it to undo this)" if result.revert_run else ""
    )
    return head + "\n" + render_changes(result.to_dict()["tables"])


def render_conflicts(exc: Any) -> str:
    lines = [f"refused: {exc}"]
    for c in exc.conflicts[:_MAX_LISTED]:
        lines.append(f"  {c}")
        lines.append(f"      recorded after the run: {_brief(c.recorded_after)}")
        lines.append(f"      now:                    {_brief(c.current)}")
    if len(exc.conflicts) > _MAX_LISTED:
        lines.append(f"  ... and {len(exc.conflicts) - _MAX_LISTED} more (--json lists them)")
    return "\n".join(lines)


def _brief(row: dict[str, Any] | None) -> str:
    if row is None:
        return "(no row)"
    text = ", ".join(f"{k}={v!r}" for k, v in list(row.items())[:6])
    return text if len(text) < 160 else text[:157] + "..."


def render(command: str, data: dict[str, Any]) -> str:
    if command == "run":
        r = data["run"]
        lines = [
            f"run {r['run_id']}: {r['status']} ({r['mode']}, {r['strategy']}) from {r['source']},"
            f" started {r['started_at']}"
        ]
        if data.get("changes_pruned"):
            lines.append("  row changes unknown: the before-images were pruned (older than UNDO_RETENTION_DAYS)")
        else:
            lines.append(render_changes(data["changes"]))
        t = data["timings_ms"]
        lines.append(
            f"  phases (ms): checkpoint {t['checkpoint_ms']}, apply {t['apply_ms']}, validate"
            f" {t['validate_ms']}, commit {t['commit_ms']}, rollback {t['rollback_ms']}"
        )
        if data["quarantined"]:
            lines.append(f"  quarantined in this run: {len(data['quarantined'])}")
            for q in data["quarantined"][:_MAX_LISTED]:
                lines.append(f"    {q['record_key']} (batch {q['batch']}): {q['rule']}: {q['reason']}")
        return "\n".join(lines)
    if command == "status":
        q = data["quarantine"]
        lines = [f"quarantine: {q['quarantined']} record(s) waiting, {q['resolved']} resolved"]
        if not data["runs"]:
            lines.append("no runs yet")
        for r in data["runs"]:
            lines.append(
                f"run {r['run_id']} {_run_state(r):<26} {r['started_at']}  {r['records_total']} records,"
                f" {r['records_committed']} committed, {r['records_quarantined']} quarantined"
                + (f"  error: {r['error']}" if r["error"] else "")
            )
        return "\n".join(lines)
    rows = data["quarantined"]
    if not rows:
        return "no quarantined records"
    lines = [f"{len(rows)} quarantined record(s):"]
    for r in rows:
        field = f" [{r['field']}]" if r["field"] else ""
        where = f"run {r['run_id']}, batch {r['batch']}, {r['attempts']} attempt(s)"
        lines.append(f"  {r['record_key']} ({where}): {r['rule']}{field}: {r['reason']}")
    return "\n".join(lines)


def _run_state(run: dict[str, Any]) -> str:
    if run["status"] != "running":
        return run["status"]
    live = run.get("live")
    where = f"pid {run.get('pid')} on {run.get('host')}"
    if live:
        return f"running (live, {where})"
    if live is False:
        return f"running (dead, was {where}; the next run marks it interrupted)"
    return f"running ({where}; live or not cannot be told)"


@contextmanager
def progress(enabled: bool) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on stderr (records done), or nothing."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(
        TextColumn("applying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True
    ) as bar:
        task = bar.add_task("records", total=None)
        yield lambda n: bar.advance(task, n)
