"""Committees read from the API are stored with the Congress asked for, and ``isCurrent`` is
read from the committee detail (``GET /committee/{chamber}/{systemCode}``, documented in
``Documentation/CommitteeEndpoint.md``: "Possible values are True or False")."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

import sqlbatch
from adapters.hearings.api_source import api_records
from adapters.hearings.committees import CommitteeSeeding, load_bundled_committees, seed_committees
from adapters.hearings.sources import CongressClient
from adapters.hearings.sources.payloads import committee_row
from adapters.hearings.updater import UpdateOptions, prepare_database, run_update
from tests.support.db import query
from tests.support.http_api import IN_PROCESS_URL, FakeCongressApi

KEY = "test-key-123"
RETIRED = "hsso00"  # answered isCurrent false
UNREADABLE = "hsag00"  # its detail answers 404: the flag is not known


class CommitteeDetailApi(FakeCongressApi):
    """The fake API, also answering committee details as the documentation shapes them."""

    def answer(self, path: str, query: dict[str, str]) -> tuple[int, Any]:
        parts = path.strip("/").split("/")
        if parts[:1] == ["committee"] and len(parts) == 3 and parts[1] in ("house", "senate", "joint"):
            code = parts[2]
            if code == UNREADABLE or code not in {row["systemCode"] for row in self.committees}:
                return 404, {"error": f"Unknown resource: {path.strip('/')}"}
            detail = {"systemCode": code, "isCurrent": code != RETIRED, "updateDate": "2025-01-03T12:00:00Z"}
            return 200, {"committee": detail, "request": {"format": "json"}}
        return super().answer(path, query)


@pytest.fixture
def committees() -> list[dict[str, Any]]:
    rows = load_bundled_committees()
    assert {RETIRED, UNREADABLE} <= {r["systemCode"] for r in rows}
    return rows


def test_list_rows_read_is_current_when_the_item_has_it() -> None:
    item = {"systemCode": "hsii24", "name": "x", "chamber": "House", "committeeTypeCode": "Subcommittee"}
    assert committee_row({**item, "isCurrent": False})["isCurrent"] is False  # type: ignore[index]
    assert committee_row({**item, "isCurrent": "True"})["isCurrent"] is True  # type: ignore[index]
    assert "isCurrent" not in committee_row(item)  # type: ignore[operator]  # shaped like committees.json


def test_committees_from_the_api_keep_the_congress_and_the_detail_is_current(
    tmp_path: Path, committees: list[dict[str, Any]]
) -> None:
    db = tmp_path / "c.db"
    api = CommitteeDetailApi(committees=committees, key=KEY)
    with CongressClient(KEY, IN_PROCESS_URL, transport=api.transport(), sleep=lambda s: None) as client:
        rows = list(client.iter_committees(119, details=True))
    details = [s for s in api.requests if s.path.count("/") == 3]
    assert len(details) == len(committees)  # one detail per committee whose list item lacks isCurrent
    flags = {r["systemCode"]: r.get("isCurrent") for r in rows}
    assert (flags[RETIRED], flags[UNREADABLE], flags["hsii24"]) == (False, None, True)

    conn = sqlbatch.connect(db)
    try:
        prepare_database(conn)
        seed_committees(conn.raw, load_bundled_committees())  # the bundled list first, as a new database gets it
        conn.raw.execute("UPDATE committees SET is_current = 0 WHERE system_code = ?", (UNREADABLE,))
        seed_committees(conn.raw, rows, congress=119)
    finally:
        conn.close()
    assert query(db, "SELECT DISTINCT congress FROM committees") == [(119,)]
    current = dict(query(db, "SELECT system_code, is_current FROM committees"))
    assert (current[RETIRED], current["hsii24"]) == (0, 1)
    assert current[UNREADABLE] == 0  # unknown: the stored flag is kept, not overwritten with "current"


def _api_run(conn: sqlbatch.Connection, congress: int) -> sqlbatch.RunResult:
    """An API run as the CLI makes it: the schema, then the records and their committee step.

    The client is built from the settings (``CONGRESS_API_BASE_URL``), so these runs need the
    fake behind its local server."""
    prepare_database(conn)
    records = api_records(conn, congress=congress, since=None)
    return run_update(
        conn, records, UpdateOptions(), source=f"api:{congress}", resume=False, committees=records.committees
    )


def test_an_api_run_stores_committees_with_its_congress(
    tmp_path: Path, committees: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "api.db"
    with CommitteeDetailApi(committees=committees, key=KEY) as api:
        monkeypatch.setenv("CONGRESS_API_KEY", KEY)
        monkeypatch.setenv("CONGRESS_API_BASE_URL", api.base_url)
        conn = sqlbatch.connect(db)
        try:
            assert _api_run(conn, 117).metrics.records_total == 0  # no meetings served
        finally:
            conn.close()
    assert query(db, "SELECT congress, count(*) FROM committees GROUP BY congress") == [(117, len(committees))]
    assert query(db, "SELECT is_current FROM committees WHERE system_code = ?", (RETIRED,)) == [(0,)]


def test_a_daily_run_asks_no_committee_detail_the_database_holds_for_its_congress(
    tmp_path: Path, committees: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "daily.db"

    def detail_requests(congress: int) -> int:
        with CommitteeDetailApi(committees=committees, key=KEY) as api:
            monkeypatch.setenv("CONGRESS_API_KEY", KEY)
            monkeypatch.setenv("CONGRESS_API_BASE_URL", api.base_url)
            conn = sqlbatch.connect(db)
            try:
                _api_run(conn, congress)
            finally:
                conn.close()
            return len([s for s in api.requests if s.path.count("/") == 3])

    assert detail_requests(119) == len(committees)  # first run of the 119th: each flag read once
    assert detail_requests(119) == 0  # the next day: all stored for the 119th, 5,000 an hour kept
    assert detail_requests(120) == len(committees)  # a new Congress: read again
    assert query(db, "SELECT is_current FROM committees WHERE system_code = ?", (RETIRED,)) == [(0,)]


def test_the_api_source_only_reads_and_the_run_writes_its_committees(
    tmp_path: Path, committees: list[dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    db = tmp_path / "pure.db"
    with CommitteeDetailApi(committees=committees, key=KEY) as api:
        monkeypatch.setenv("CONGRESS_API_KEY", KEY)
        monkeypatch.setenv("CONGRESS_API_BASE_URL", api.base_url)
        conn = sqlbatch.connect(db)
        try:
            prepare_database(conn)
            before = conn.total_changes()
            records = api_records(conn, congress=119, since=None)
            assert list(records) == []  # the committee list is read, no meeting served
            assert conn.total_changes() == before  # reading the source wrote nothing
            assert conn.query_value("SELECT count(*) FROM committees") == 0
            run = run_update(conn, [], UpdateOptions(), source="api:119", resume=False, committees=records.committees)
        finally:
            conn.close()
        assert len([s for s in api.requests if s.path.count("/") == 3]) == len(committees)  # asked once, not again
    assert run.error is None
    assert query(db, "SELECT congress, count(*) FROM committees GROUP BY congress") == [(119, len(committees))]


def test_a_committee_step_from_the_api_must_name_its_congress() -> None:
    with pytest.raises(ValueError, match=r"CommitteeSeeding\(fetch=...\): give the congress"):
        CommitteeSeeding(lambda: [])
