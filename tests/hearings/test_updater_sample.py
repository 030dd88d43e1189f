"""The real sample end to end through the library: a new database, a rerun, the real earlier database.

Every check opens a new connection on the file after the run's connection is closed.
"""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

import apsw
import pytest

from adapters.hearings.mapping import witness_key
from adapters.hearings.sources import read_sample
from tests.support.db import STRATEGIES, integrity, query
from tests.support.hearings import counts, dump_data, meetings_whose_witness_type_changes, schema_shape, update

# The three real meetings whose payload lists every witness twice: the earlier system stored
# two witness rows and two appearances per person; the updater deduplicates them, so these
# three are "updated" (their duplicate appearances removed) when the sample meets the earlier
# database. Every other meeting the earlier database holds comes through unchanged.
DUPLICATE_WITNESS_MEETINGS = {"118356", "118377", "118379"}


def _placeholders(payloads: list[dict[str, Any]]) -> set[str]:
    return {p["eventId"] for p in payloads if not p.get("title") and not p.get("date")}


def test_sample_imports_every_meeting_into_a_new_database(tmp_path: Path, real_payloads: list[dict[str, Any]]) -> None:
    path = tmp_path / "new.db"
    result = update(path, read_sample())

    m = result.metrics
    assert result.status == "completed" and result.quarantined == []
    assert (m.records_total, m.records_added, m.records_updated, m.records_unchanged) == (
        len(real_payloads),
        1168,
        0,
        0,
    )
    # what the payloads hold, counted independently of the store
    links = sum(len({c["systemCode"] for c in p["committees"]}) for p in real_payloads)
    keys_per_meeting = [{witness_key(w["name"], w.get("organization")) for w in p["witnesses"]} for p in real_payloads]
    found = counts(path)
    assert found["hearings"] == len({p["eventId"] for p in real_payloads}) == 1168
    assert found["hearing_committees"] == links
    assert found["witness_appearances"] == sum(map(len, keys_per_meeting))
    assert found["witnesses"] == len(set().union(*keys_per_meeting))
    assert found["committees"] == 214  # the bundled committee list seeded the new database
    # the snapshot lost documents, videos and transcripts upstream: none are invented
    assert found["witness_documents"] == found["supporting_documents"] == found["hearing_transcripts"] == 0
    assert integrity(path) == ([("ok",)], [])
    assert query(
        path,
        "SELECT count(*) FROM hearings h WHERE NOT EXISTS (SELECT 1 FROM hearing_committees c"
        " WHERE c.hearing_id = h.hearing_id)",
    ) == [(0,)]


def test_placeholder_meetings_are_accepted_with_warnings(tmp_path: Path, real_payloads: list[dict[str, Any]]) -> None:
    """Decision (rules.py): the 20 real meetings with an empty title and no date are stored as the
    earlier database stores them (title '', no date) and reported as two warnings each."""
    placeholders = _placeholders(real_payloads)
    assert len(placeholders) == 20
    path = tmp_path / "new.db"
    result = update(path, read_sample())

    by_rule: dict[str, set[str]] = {}
    for w in result.warnings:
        assert w.severity == "warning"
        by_rule.setdefault(w.rule, set()).add(str(w.record))
    assert by_rule == {"title_present": placeholders, "date_present": placeholders}
    assert result.metrics.warnings == 2 * len(placeholders)
    stored = query(
        path,
        f"SELECT event_id, title, hearing_date, hearing_date_only, hearing_time FROM hearings"
        f" WHERE event_id IN ({','.join('?' * len(placeholders))})",
        sorted(placeholders),
    )
    assert sorted(stored) == [(e, "", None, None, None) for e in sorted(placeholders)]


def test_placeholder_warnings_are_kept_in_the_journal(tmp_path: Path, real_payloads: list[dict[str, Any]]) -> None:
    path = tmp_path / "new.db"
    update(path, read_sample())
    journal = query(path, "SELECT DISTINCT record_key FROM sqlbatch_issues WHERE severity = 'warning'")
    assert {k for (k,) in journal} == _placeholders(real_payloads)


def test_rerun_of_the_sample_changes_no_row(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    update(path, read_sample())
    # a recognisable updated_at on every row: an unchanged record must not bump it
    conn = apsw.Connection(str(path))
    conn.execute("UPDATE hearings SET updated_at = '2000-01-01 00:00:00'")
    conn.close()
    before = dump_data(path)

    again = update(path, read_sample())

    m = again.metrics
    assert again.status == "completed"
    assert (m.records_total, m.records_unchanged, m.records_added, m.records_updated) == (1168, 1168, 0, 0)
    assert dump_data(path) == before
    assert query(path, "SELECT DISTINCT updated_at FROM hearings") == [("2000-01-01 00:00:00",)]


def _earlier_copy(tmp_path: Path, source: Path, name: str = "earlier.db") -> Path:
    target = tmp_path / name
    shutil.copyfile(source, target)
    return target


def test_earlier_database_takes_the_sample_as_a_daily_update(
    tmp_path: Path, earlier_db_source: Path, real_payloads: list[dict[str, Any]]
) -> None:
    path = _earlier_copy(tmp_path, earlier_db_source)
    shape_before = schema_shape(path)
    indexes_before = set(query(path, "SELECT name, sql FROM sqlite_master WHERE type = 'index'"))
    stored_before = {e for (e,) in query(path, "SELECT event_id FROM hearings")}
    hearings_before = {r[1]: r for r in query(path, "SELECT * FROM hearings")}
    assert len(stored_before) == 1027

    conn = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
    retyped = meetings_whose_witness_type_changes(conn)  # the rule corrects the earlier system's guesses
    conn.close()
    updated = DUPLICATE_WITNESS_MEETINGS | retyped

    result = update(path, read_sample())

    m = result.metrics
    new_ids = {p["eventId"] for p in real_payloads} - stored_before
    assert result.status == "completed" and result.quarantined == []
    assert (m.records_added, m.records_updated, m.records_unchanged) == (
        len(new_ids),
        len(updated),
        1027 - len(updated),
    )
    assert len(new_ids) == 141
    hearings_after = {r[1]: r for r in query(path, "SELECT * FROM hearings")}
    assert set(hearings_after) == stored_before | new_ids
    # an unchanged meeting's row is byte for byte what the earlier system stored (updated_at too)
    untouched = stored_before - updated
    assert [hearings_after[e] for e in sorted(untouched)] == [hearings_before[e] for e in sorted(untouched)]
    # a retyped meeting's row changes only in updated_at
    strip = lambda row: row[:14] + row[15:]  # noqa: E731  # updated_at is at index 14
    assert [strip(hearings_after[e]) for e in sorted(retyped)] == [strip(hearings_before[e]) for e in sorted(retyped)]
    # the three updated meetings now have one appearance per distinct witness
    for event_id in DUPLICATE_WITNESS_MEETINGS:
        payload = next(p for p in real_payloads if p["eventId"] == event_id)
        distinct = {witness_key(w["name"], w.get("organization")) for w in payload["witnesses"]}
        assert len(payload["witnesses"]) == 2 * len(distinct)
        appearances = query(
            path,
            "SELECT count(*) FROM witness_appearances a JOIN hearings h USING (hearing_id) WHERE h.event_id = ?",
            (event_id,),
        )
        assert appearances == [(len(distinct),)]
    # only additive schema changes: every table keeps its columns exactly, every index stays
    shape_after = schema_shape(path)
    assert {t: shape_after[t] for t in shape_before} == shape_before
    additive = {"hearing_treaties", "hearing_nominations", "hearing_continuations"}
    assert all(t.startswith("sqlbatch_") or t in additive for t in set(shape_after) - set(shape_before))
    assert indexes_before <= set(query(path, "SELECT name, sql FROM sqlite_master WHERE type = 'index'"))
    assert integrity(path) == ([("ok",)], [])

    rerun = update(path, read_sample())
    assert (rerun.metrics.records_unchanged, rerun.metrics.records_added, rerun.metrics.records_updated) == (1168, 0, 0)


def _timeless(dump: dict[str, list[tuple[Any, ...]]], path: Path) -> dict[str, list[tuple[Any, ...]]]:
    """The dump without the wall-clock columns (created_at, updated_at)."""
    out = {}
    for table, rows in dump.items():
        if table == "sqlite_sequence":
            out[table] = rows
            continue
        names = [c[0] for c in schema_shape(path)[table]]
        keep = [i for i, n in enumerate(names) if n not in ("created_at", "updated_at")]
        out[table] = [tuple(r[i] for i in keep) for r in rows]
    return out


@pytest.mark.parametrize("batch_size", [1, 50, 2000])
def test_strategies_leave_identical_data_on_the_earlier_database(
    tmp_path: Path, earlier_db_source: Path, batch_size: int
) -> None:
    """Strategies are interchangeable on real data: the three strategies, any batch size, the same rows."""
    dumps = {}
    retyped = meetings_whose_witness_type_changes(
        apsw.Connection(str(earlier_db_source), flags=apsw.SQLITE_OPEN_READONLY)
    )
    for strategy in STRATEGIES:
        path = _earlier_copy(tmp_path, earlier_db_source, f"{strategy}.db")
        result = update(path, read_sample(), strategy=strategy, batch_size=batch_size)
        assert (result.status, result.metrics.records_added) == ("completed", 141)
        assert result.metrics.records_updated == len(DUPLICATE_WITNESS_MEETINGS | retyped)
        assert result.metrics.batch_count == -(-1168 // batch_size)
        dumps[strategy] = _timeless(dump_data(path), path)
    assert dumps["savepoint"] == dumps["memory"]
    assert dumps["session"] == dumps["memory"]
