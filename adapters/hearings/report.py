"""What the command line shows: the run summary, status and quarantine listings, progress."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from sqlbatch import Connection, RunResult
from sqlbatch._journal import table_exists

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
    if result.quarantined:
        lines.append("  quarantined:")
        for q in result.quarantined[:_MAX_LISTED]:
            field = f" [{q.field}]" if q.field else ""
            lines.append(f"    {q.record_key} (batch {q.batch}): {q.rule}{field}: {q.reason}")
        if len(result.quarantined) > _MAX_LISTED:
            lines.append(f"    ... and {len(result.quarantined) - _MAX_LISTED} more: hearings-update quarantine --db ...")
    warnings = len(result.warnings)
    if warnings:
        lines.append(f"  {warnings} warning(s) kept in the journal (e.g. {result.warnings[0]})")
    if result.backup_path:
        lines.append(f"  backup before the run: {result.backup_path}")
    return "\n".join(lines)


def status(conn: Connection) -> dict[str, Any]:
    if not table_exists(conn, "sqlbatch_runs"):
        return {"runs": [], "quarantine": {"quarantined": 0, "resolved": 0}}
    runs = [
        r.asdict()
        for r in conn.execute(
            "SELECT run_id, status, mode, strategy, batch_size, source, started_at, finished_at,"
            " records_total, records_committed, records_quarantined, batches_committed, batches_failed,"
            " cursor, error FROM sqlbatch_runs ORDER BY run_id DESC LIMIT 10"
        )
    ]
    counts = dict(conn.raw.execute("SELECT status, count(*) FROM sqlbatch_quarantine GROUP BY status").fetchall())
    return {"runs": runs, "quarantine": {"quarantined": counts.get("quarantined", 0), "resolved": counts.get("resolved", 0)}}


def quarantine(conn: Connection) -> dict[str, Any]:
    if not table_exists(conn, "sqlbatch_quarantine"):
        return {"quarantined": []}
    rows = [
        r.asdict()
        for r in conn.execute(
            "SELECT record_key, rule, field, reason, run_id, batch_no AS batch, attempts, first_seen, last_seen"
            " FROM sqlbatch_quarantine WHERE status='quarantined' ORDER BY last_seen DESC, record_key"
        )
    ]
    return {"quarantined": rows}


def render(command: str, data: dict[str, Any]) -> str:
    if command == "status":
        q = data["quarantine"]
        lines = [f"quarantine: {q['quarantined']} record(s) waiting, {q['resolved']} resolved"]
        if not data["runs"]:
            lines.append("no runs yet")
        for r in data["runs"]:
            lines.append(
                f"run {r['run_id']} {r['status']:<26} {r['started_at']}  {r['records_total']} records,"
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
        lines.append(f"  {r['record_key']} (run {r['run_id']}, batch {r['batch']}, {r['attempts']} attempt(s)): {r['rule']}{field}: {r['reason']}")
    return "\n".join(lines)


@contextmanager
def progress(enabled: bool) -> Iterator[Callable[[int], None] | None]:
    """A rich progress bar on stderr (records done), or nothing."""
    if not enabled:
        yield None
        return
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    with Progress(TextColumn("applying"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), transient=True) as bar:
        task = bar.add_task("records", total=None)
        yield lambda n: bar.advance(task, n)
