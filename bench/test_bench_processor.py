"""Processor benchmark: validating one 50-record batch with the built-in validators (plan P3).

The table already holds 200,000 hearings (and 200,000 witnesses): the validators must stay
scoped to the rows the batch touched. Goal <= 1 ms per batch; the asserted limit (5 ms) is
looser so a noisy shared machine does not flake. The median is printed and stored in the
benchmark's ``extra_info``. Checkpoint creation is measured in ``test_bench_core.py``.

Timed per round: building the batch's changes (``ctx.changes``), UniqueInBatch,
ForeignKeysTouched, BlastRadius, and PydanticRecord over the 50 records — what one
validation pass of a batch costs in the processor. The batch itself (25 updated hearings,
25 new ones, their witnesses replaced) is written untimed, in a fresh unit of work per round.

Run: ``pytest bench/test_bench_processor.py --benchmark-only``
"""

from __future__ import annotations

import time
from pathlib import Path

import pydantic
import pytest

import sqlbatch
from sqlbatch import BatchContext, BlastRadius, ForeignKeysTouched, PydanticRecord, UniqueInBatch
from sqlbatch.validators import run_all

ROWS = 200_000
BATCH = 50
GOAL_S, LIMIT_S = 0.001, 0.005

SCHEMA = """
CREATE TABLE bp_committees(id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE);
CREATE TABLE bp_hearings(
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    committee_id INTEGER NOT NULL REFERENCES bp_committees(id),
    title TEXT,
    meeting_date TEXT,
    update_date TEXT
);
CREATE INDEX bp_hearings_committee ON bp_hearings(committee_id);
CREATE TABLE bp_witnesses(
    id INTEGER PRIMARY KEY,
    hearing_id INTEGER NOT NULL REFERENCES bp_hearings(id) ON DELETE CASCADE,
    name TEXT
);
CREATE INDEX bp_witnesses_hearing ON bp_witnesses(hearing_id);
"""
UPSERT = (
    "INSERT INTO bp_hearings(id, event_id, committee_id, title, meeting_date, update_date) VALUES (?, ?, ?, ?, ?, ?)"
    " ON CONFLICT(id) DO UPDATE SET title=excluded.title, meeting_date=excluded.meeting_date,"
    " update_date=excluded.update_date"
)


class Hearing(pydantic.BaseModel):
    event_id: str = pydantic.Field(min_length=1)
    committee_id: int = pydantic.Field(gt=0)
    title: str = pydantic.Field(max_length=500)
    meeting_date: str


def row(i: int, rev: int = 0) -> tuple:
    return (i, f"E{i}", 1 + i % 200, f"Hearing {i} rev {rev}: oversight", f"2025-{1 + i % 12:02d}-01", f"rev{rev}")


@pytest.fixture(scope="session")
def big_db(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("bench_processor") / "big.db"
    t0 = time.perf_counter()
    conn = sqlbatch.connect(path)
    conn.executescript(SCHEMA)
    with conn:
        conn.executemany("INSERT INTO bp_committees VALUES (?, ?)", [(c, f"c{c}") for c in range(1, 201)])
        conn.executemany(UPSERT, (row(i) for i in range(1, ROWS + 1)))
        conn.executemany(
            "INSERT INTO bp_witnesses(hearing_id, name) VALUES (?, ?)", ((i, f"W{i}") for i in range(1, ROWS + 1))
        )
    conn.close()
    built = time.perf_counter() - t0
    assert built < 20, f"building the {ROWS:,}-row database took {built:.1f} s"
    return path


def apply_batch(uow, records: list[dict]) -> None:
    for r in records:
        uow.execute("SELECT 1 FROM bp_hearings WHERE event_id=?", (r["event_id"],)).fetchall()
        uow.execute(UPSERT, r["row"])
        uow.execute("DELETE FROM bp_witnesses WHERE hearing_id=?", (r["row"][0],))
        uow.execute("INSERT INTO bp_witnesses(hearing_id, name) VALUES (?, ?)", (r["row"][0], f"W{r['row'][0]}b"))


@pytest.mark.parametrize("strategy", ["memory", "savepoint", "session"])
def test_validate_50_record_batch_at_200k_rows(benchmark, big_db: Path, strategy: str) -> None:
    conn = sqlbatch.connect(big_db)
    ids = list(range(ROWS - BATCH // 2 + 1, ROWS + BATCH // 2 + 1))  # 25 existing, 25 new
    revision = iter(range(1, 1_000_000))
    record_validators = [
        PydanticRecord(
            Hearing,
            key=lambda r: r["event_id"],
            payload=lambda r: dict(
                zip(("event_id", "committee_id", "title", "meeting_date"), r["row"][1:5], strict=True)
            ),
        )
    ]
    batch_validators = [UniqueInBatch(), ForeignKeysTouched(), BlastRadius(100)]
    state: dict = {}
    conn.execute("BEGIN IMMEDIATE")

    def setup():
        if state.get("uow") is not None:
            state["uow"].rollback()
        rev = next(revision)
        records = [{"event_id": f"E{i}", "row": row(i, rev)} for i in ids]
        uow = conn.unit_of_work(strategy, name="bench", nested=True).begin()
        apply_batch(uow, records)
        state["uow"] = uow
        return (BatchContext(conn, uow, records, [r["event_id"] for r in records], 1),), {}

    def validate(ctx: BatchContext) -> list:
        issues = []
        for record in ctx.records:
            issues.extend(run_all(record_validators, record))
        issues.extend(run_all(batch_validators, ctx))
        return issues

    benchmark.pedantic(validate, setup=setup, rounds=60, warmup_rounds=3)
    ctx = setup()[0][0]
    issues = validate(ctx)
    assert issues == [] and len(ctx.changes) >= 100  # 50 hearings, 25 deleted + 50 new witnesses
    state["uow"].rollback()
    conn.execute("ROLLBACK")
    assert conn.query_value("SELECT count(*) FROM bp_hearings") == ROWS
    conn.close()
    stats = getattr(benchmark, "stats", None)
    if stats is None:  # --benchmark-disable
        return
    median = stats.stats.median
    benchmark.extra_info.update(median_ms=median * 1e3, goal_ms=GOAL_S * 1e3, rows=ROWS)
    print(
        f"\nvalidation of a {BATCH}-record batch at {ROWS:,} rows, {strategy}: median {median * 1e3:.3f} ms"
        f" (goal {GOAL_S * 1e3:g} ms)"
    )
    assert median < LIMIT_S, f"{strategy}: validation median {median * 1e3:.3f} ms"
