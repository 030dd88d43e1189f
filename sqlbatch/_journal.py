"""The run journal: ``sqlbatch_*`` tables inside the same database.

Rows describing a batch are written in the same transaction as the batch's data, so after
a crash the journal and the data agree: a batch is there with its journal row, or neither.

Tables (a contract: reports, the CLI and other versions read them; the DDL is the backend's):
  sqlbatch_runs        one row per run: mode, strategy, status, counts, cursor, metrics
  sqlbatch_batches     one row per batch: status, counts, phase timings, cursor, position
  sqlbatch_issues      every failure and warning with record, field, rule and reason
  sqlbatch_quarantine  one row per quarantined record key: payload, rule, reason, seen, attempts (runs)
  sqlbatch_undo        one row per committed batch: its before-images, for a later revert
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, Any

from ._backend import Backend, backend_for
from ._undo import encode

if TYPE_CHECKING:
    from ._changes import Change
    from ._connection import Connection
    from .validators import Issue


# (table, column, type) added since the first version; ``pid``/``host`` name a run's process
ADDED_COLUMNS = (
    ("sqlbatch_batches", "first_cursor", "TEXT"),
    ("sqlbatch_undo", "keys", "TEXT"),
    ("sqlbatch_runs", "pid", "INTEGER"),
    ("sqlbatch_runs", "host", "TEXT"),
)


@dataclass(slots=True)
class BatchRow:
    run_id: int
    batch_no: int
    status: str
    records: int
    committed: int
    quarantined: int
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    attempts: int = 1
    first_key: str | None = None
    last_key: str | None = None
    first_position: int | None = None
    last_position: int | None = None
    cursor: str | None = None
    first_cursor: str | None = None
    checkpoint_ms: float = 0.0
    apply_ms: float = 0.0
    validate_ms: float = 0.0
    commit_ms: float = 0.0
    rollback_ms: float = 0.0
    validation_over_budget: bool = False
    error: str | None = None


class Journal:
    """Writes and reads the ``sqlbatch_*`` tables through one connection."""

    def __init__(self, conn: Connection, backend: Backend | None = None) -> None:
        self.conn = conn
        self.backend = backend or backend_for(conn)

    def ensure(self) -> None:
        self.conn.execute(self.backend.journal_ddl)
        for table, column, kind in ADDED_COLUMNS:  # journals written by an earlier version
            if column not in self.backend.table_columns(self.conn, table):
                self.conn.execute(f"ALTER TABLE {table} ADD COLUMN {column} {kind}")

    def store_undo(self, run_id: int, batch_no: int, changes: list[Change], keys: list[str] | None = None) -> None:
        """Keep a batch's before-images and committed record keys (same transaction as the batch)."""
        self.conn.execute(
            "INSERT INTO sqlbatch_undo(run_id, batch_no, changes, data, keys) VALUES (?, ?, ?, ?, ?)"
            " ON CONFLICT(run_id, batch_no) DO UPDATE SET changes=excluded.changes, data=excluded.data,"
            " keys=excluded.keys",
            (run_id, batch_no, len(changes), encode(changes), json.dumps(keys) if keys is not None else None),
        )

    def prune_undo(self, days: float) -> None:
        """Drop stored before-images of runs older than ``days``."""
        cutoff = utc_text(datetime.now(UTC) - timedelta(days=days))
        self.conn.execute(
            "DELETE FROM sqlbatch_undo WHERE run_id IN (SELECT run_id FROM sqlbatch_runs WHERE started_at < ?)",
            (cutoff,),
        )

    def start_run(self, **fields: Any) -> int:
        cols = ", ".join(fields)
        marks = ", ".join("?" * len(fields))
        sql = f"INSERT INTO sqlbatch_runs({cols}) VALUES ({marks}) RETURNING run_id"
        return int(self.conn.execute(sql, list(fields.values())).fetchall()[0][0])

    def update_run(self, run_id: int, **fields: Any) -> None:
        sets = ", ".join(f"{k}=?" for k in fields)
        self.conn.execute(f"UPDATE sqlbatch_runs SET {sets} WHERE run_id=?", [*fields.values(), run_id])

    def finish_run(self, run_id: int, status: str, metrics: dict[str, Any], **fields: Any) -> None:
        self.update_run(
            run_id,
            status=status,
            finished_at=utc_text(datetime.now(UTC)),
            metrics=json.dumps(metrics, default=str),
            **fields,
        )

    def add_batch(self, row: BatchRow) -> None:
        values = {k: getattr(row, k) for k in row.__slots__}  # type: ignore[attr-defined]
        values["validation_over_budget"] = int(row.validation_over_budget)
        cols = ", ".join(values)
        marks = ", ".join("?" * len(values))
        sets = ", ".join(f"{k}=excluded.{k}" for k in values if k not in ("run_id", "batch_no"))
        self.conn.execute(
            f"INSERT INTO sqlbatch_batches({cols}) VALUES ({marks}) ON CONFLICT(run_id, batch_no) DO UPDATE SET {sets}",
            list(values.values()),
        )

    def add_issues(self, run_id: int, batch_no: int | None, issues: list[Issue]) -> None:
        self.conn.executemany(
            "INSERT INTO sqlbatch_issues(run_id, batch_no, record_key, severity, rule, field, message)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)",
            [(run_id, batch_no, i.record, i.severity, i.rule, i.field, i.message) for i in issues],
        )

    def quarantine(self, run_id: int, batch_no: int | None, key: str, payload: str | None, issue: Issue) -> None:
        q = "sqlbatch_quarantine"  # the stored row's columns, named: PostgreSQL refuses them bare
        self.conn.execute(
            "INSERT INTO sqlbatch_quarantine(record_key, payload, rule, field, reason, run_id, batch_no)"
            " VALUES (?, ?, ?, ?, ?, ?, ?)"
            " ON CONFLICT(record_key) DO UPDATE SET payload=excluded.payload, rule=excluded.rule,"
            " field=excluded.field, reason=excluded.reason, run_id=excluded.run_id,"
            " batch_no=excluded.batch_no, last_seen=excluded.last_seen,"
            f" attempts=CASE WHEN {q}.status='quarantined' THEN {q}.attempts"
            f" + CASE WHEN {q}.run_id IS DISTINCT FROM excluded.run_id THEN 1 ELSE 0 END ELSE 1 END,"
            f" first_seen=CASE WHEN {q}.status='quarantined' THEN {q}.first_seen ELSE excluded.first_seen END,"
            " status='quarantined', resolved_run=NULL",
            (key, payload, issue.rule, issue.field, issue.message, run_id, batch_no),
        )

    def resolve(self, run_id: int, keys: list[str]) -> int:
        """Mark quarantined records that have now committed as resolved."""
        now = utc_text(datetime.now(UTC))
        done = 0
        for key in keys:
            self.conn.execute(
                "UPDATE sqlbatch_quarantine SET status='resolved', resolved_run=?, last_seen=?"
                " WHERE record_key=? AND status='quarantined'",
                (run_id, now, key),
            )
            done += self.conn.changes()
        return done

    def quarantined_keys(self) -> set[str]:
        try:
            return {
                r[0] for r in self.conn.execute("SELECT record_key FROM sqlbatch_quarantine WHERE status='quarantined'")
            }
        except Exception:  # noqa: BLE001 - table not created yet
            return set()

    def quarantined_records(self, rule: str) -> list[tuple[str, str | None]]:
        """``(record_key, payload)`` of every record still quarantined under ``rule``."""
        try:
            rows = self.conn.execute(
                "SELECT record_key, payload FROM sqlbatch_quarantine WHERE status='quarantined' AND rule=?"
                " ORDER BY first_seen, record_key",
                (rule,),
            ).fetchall()
        except Exception:  # noqa: BLE001 - table not created yet
            return []
        return [(key, payload) for key, payload in rows]

    def last_run(self, job: str) -> dict[str, Any] | None:
        rows = list(self.conn.execute("SELECT * FROM sqlbatch_runs WHERE job=? ORDER BY run_id DESC LIMIT 1", (job,)))
        return rows[0].asdict() if rows else None

    def last_cursor(self, job: str) -> str | None:
        """Newest cursor reached by any committed batch of ``job`` (for ``--since``).

        When the newest run had batches compensated by its post-run check, the cursor goes
        back to the oldest record of those batches, so the next run fetches them again.
        """
        newest = self.conn.query_value(
            "SELECT max(b.cursor) FROM sqlbatch_batches b JOIN sqlbatch_runs r USING(run_id)"
            " WHERE r.job=? AND b.status IN ('committed', 'partial')",
            (job,),
        )
        undone = self.conn.query_value(
            "SELECT min(first_cursor) FROM sqlbatch_batches WHERE status='compensated' AND run_id="
            "(SELECT max(run_id) FROM sqlbatch_runs WHERE job=? AND status NOT IN ('running', 'interrupted'))",
            (job,),
        )
        return min(newest, undone) if newest and undone else newest


def utc_text(moment: datetime) -> str:
    """A time as the journal stores it (SQLite's ``strftime('%Y-%m-%dT%H:%M:%fZ')``), UTC."""
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def table_exists(conn: Connection, name: str) -> bool:
    return backend_for(conn).table_exists(conn, name)
