"""Fixtures of the core benchmarks: a hearings-shaped database and record batches.

The schema is shaped like the real hearings table (about ten columns, a few indexes) with a
child table whose foreign key is indexed, because undo cost depends on exactly that.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest

import sqlbatch

SCHEMA = """
CREATE TABLE committees(id INTEGER PRIMARY KEY, system_code TEXT NOT NULL UNIQUE, name TEXT);
CREATE TABLE hearings(
    id INTEGER PRIMARY KEY,
    event_id TEXT NOT NULL UNIQUE,
    congress INTEGER NOT NULL,
    chamber TEXT NOT NULL,
    committee_id INTEGER REFERENCES committees(id),
    title TEXT,
    meeting_date TEXT,
    meeting_time TEXT,
    status TEXT,
    location TEXT,
    url TEXT,
    update_date TEXT
);
CREATE INDEX hearings_committee ON hearings(committee_id);
CREATE INDEX hearings_date ON hearings(meeting_date);
CREATE INDEX hearings_update ON hearings(update_date);
CREATE TABLE witnesses(
    id INTEGER PRIMARY KEY,
    hearing_id INTEGER NOT NULL REFERENCES hearings(id) ON DELETE CASCADE,
    name TEXT,
    position TEXT,
    organization TEXT
);
CREATE INDEX witnesses_hearing ON witnesses(hearing_id);
"""

COMMITTEES = 200
UPSERT_HEARING = """
INSERT INTO hearings(id, event_id, congress, chamber, committee_id, title, meeting_date,
                     meeting_time, status, location, url, update_date)
VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
ON CONFLICT(id) DO UPDATE SET
    title = excluded.title, meeting_date = excluded.meeting_date,
    meeting_time = excluded.meeting_time, status = excluded.status,
    location = excluded.location, url = excluded.url, update_date = excluded.update_date
"""
INSERT_WITNESS = "INSERT INTO witnesses(hearing_id, name, position, organization) VALUES (?, ?, ?, ?)"
DELETE_WITNESSES = "DELETE FROM witnesses WHERE hearing_id = ?"


def hearing(i: int, revision: int = 0, rng: random.Random | None = None) -> tuple:
    rng = rng or random.Random(i * 7919 + revision)
    day = 1 + i % 28
    return (
        i,
        f"{118000 + i}",
        119,
        rng.choice(["House", "Senate"]),
        1 + i % COMMITTEES,
        f"Hearing {i} rev {revision}: " + "oversight of federal programs " * rng.randint(1, 6),
        f"2025-{1 + i % 12:02d}-{day:02d}",
        f"{9 + i % 8:02d}:00",
        rng.choice(["Scheduled", "Rescheduled", "Cancelled", "Postponed"]),
        f"Room {rng.randint(100, 2400)}, Rayburn House Office Building",
        f"https://www.congress.gov/event/119th-congress/house-event/{118000 + i}",
        f"2025-08-{1 + revision % 28:02d}T12:{i % 60:02d}:00Z",
    )


def witnesses(i: int, revision: int = 0) -> list[tuple]:
    return [(i, f"Witness {i}-{k} rev {revision}", "Director", f"Agency {k + i % 50}") for k in range(2)]


def build(path: Path, hearings: int) -> None:
    conn = sqlbatch.connect(path)
    conn.executescript(SCHEMA)
    with conn:
        conn.executemany(
            "INSERT INTO committees VALUES (?, ?, ?)",
            [(c, f"hs{c:04d}", f"Committee {c}") for c in range(1, COMMITTEES + 1)],
        )
        conn.executemany(UPSERT_HEARING, [hearing(i) for i in range(1, hearings + 1)])
        conn.executemany(INSERT_WITNESS, [w for i in range(1, hearings + 1) for w in witnesses(i)])
    conn.close()


SELECT_HEARING = "SELECT * FROM hearings WHERE event_id = ?"


def records(ids: range | list[int], revision: int) -> list[tuple[tuple, list[tuple]]]:
    """Prepared records (built outside any timing): a hearing row and its witness rows."""
    return [(hearing(i, revision), witnesses(i, revision)) for i in ids]


def apply_records(executor, prepared: list[tuple[tuple, list[tuple]]]) -> None:
    """What the hearings store does per record, one statement at a time: look the hearing up
    (change detection), upsert it, replace its witnesses."""
    execute = executor.execute
    for row, children in prepared:
        execute(SELECT_HEARING, (row[1],)).fetchall()
        execute(UPSERT_HEARING, row)
        execute(DELETE_WITNESSES, (row[0],))
        for child in children:
            execute(INSERT_WITNESS, child)


@pytest.fixture
def hearings_db(tmp_path: Path) -> Iterator[sqlbatch.Connection]:
    """2,000 hearings with 2 witnesses each, open through sqlbatch."""
    path = tmp_path / "hearings.db"
    build(path, 2000)
    conn = sqlbatch.connect(path)
    yield conn
    conn.raw.close()


@pytest.fixture
def fresh_db(tmp_path: Path) -> Callable[[], sqlbatch.Connection]:
    """A factory of new, empty hearings databases (committees only)."""
    opened: list[sqlbatch.Connection] = []
    counter = iter(range(1_000_000))

    def make() -> sqlbatch.Connection:
        path = tmp_path / f"fresh{next(counter)}.db"
        build(path, 0)
        conn = sqlbatch.connect(path)
        opened.append(conn)
        return conn

    yield make
    for conn in opened:
        conn.raw.close()


@pytest.fixture(scope="session")
def workload() -> SimpleNamespace:
    """The record helpers, for the benchmark modules (a fixture: no import of conftest)."""
    return SimpleNamespace(records=records, apply=apply_records)
