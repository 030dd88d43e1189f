"""The journal's tables in SQLite's dialect (:attr:`SqliteBackend.journal_ddl`)."""

from ._undo import SCHEMA as UNDO_SCHEMA

TABLES = """
CREATE TABLE IF NOT EXISTS sqlbatch_runs (
    run_id INTEGER PRIMARY KEY,
    job TEXT NOT NULL DEFAULT '',
    source TEXT,
    mode TEXT NOT NULL,
    strategy TEXT NOT NULL,
    on_failure TEXT NOT NULL,
    batch_size INTEGER NOT NULL,
    status TEXT NOT NULL,
    started_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    finished_at TEXT,
    records_total INTEGER NOT NULL DEFAULT 0,
    records_committed INTEGER NOT NULL DEFAULT 0,
    records_quarantined INTEGER NOT NULL DEFAULT 0,
    batches_committed INTEGER NOT NULL DEFAULT 0,
    batches_failed INTEGER NOT NULL DEFAULT 0,
    cursor TEXT,
    last_position INTEGER,
    resumed_from INTEGER,
    error TEXT,
    metrics TEXT,
    pid INTEGER,
    host TEXT
);
CREATE TABLE IF NOT EXISTS sqlbatch_batches (
    run_id INTEGER NOT NULL,
    batch_no INTEGER NOT NULL,
    status TEXT NOT NULL,
    records INTEGER NOT NULL,
    committed INTEGER NOT NULL,
    quarantined INTEGER NOT NULL,
    added INTEGER NOT NULL DEFAULT 0,
    updated INTEGER NOT NULL DEFAULT 0,
    unchanged INTEGER NOT NULL DEFAULT 0,
    attempts INTEGER NOT NULL DEFAULT 1,
    first_key TEXT,
    last_key TEXT,
    first_position INTEGER,
    last_position INTEGER,
    cursor TEXT,
    first_cursor TEXT,
    checkpoint_ms REAL, apply_ms REAL, validate_ms REAL, commit_ms REAL, rollback_ms REAL,
    validation_over_budget INTEGER NOT NULL DEFAULT 0,
    error TEXT,
    created_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    PRIMARY KEY (run_id, batch_no)
);
CREATE TABLE IF NOT EXISTS sqlbatch_issues (
    issue_id INTEGER PRIMARY KEY,
    run_id INTEGER NOT NULL,
    batch_no INTEGER,
    record_key TEXT,
    severity TEXT NOT NULL,
    rule TEXT NOT NULL,
    field TEXT,
    message TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS sqlbatch_issues_run ON sqlbatch_issues(run_id, batch_no);
CREATE TABLE IF NOT EXISTS sqlbatch_quarantine (
    record_key TEXT PRIMARY KEY,
    payload TEXT,
    rule TEXT NOT NULL,
    field TEXT,
    reason TEXT NOT NULL,
    run_id INTEGER NOT NULL,
    batch_no INTEGER,
    first_seen TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    last_seen TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ','now')),
    attempts INTEGER NOT NULL DEFAULT 1,
    status TEXT NOT NULL DEFAULT 'quarantined',
    resolved_run INTEGER
);
"""

JOURNAL_DDL = TABLES + UNDO_SCHEMA
