"""Schema creation/adoption and the store, on real SQLite files with the real data."""

from __future__ import annotations

import copy
import inspect
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import apsw
import pytest

from adapters.hearings import store
from adapters.hearings.committees import load_bundled_committees, seed_committees
from adapters.hearings.mapping import meeting_rows
from adapters.hearings.models import RecordInvalid, parse_meeting
from adapters.hearings.schema import SchemaMismatch, ensure_schema, is_hearings_schema
from adapters.hearings.store import UnknownCommittee, read_meeting_state, write_meeting
from tests.support.hearings import meetings_whose_witness_type_changes

Dump = Callable[[apsw.Connection], dict[str, list[tuple[Any, ...]]]]
Writer = Callable[[apsw.Connection, dict[str, Any]], str]

# The three meetings whose payload lists every witness twice: the earlier database made two
# witness rows and two appearances per person, the store keeps one.
DUPLICATE_WITNESS_MEETINGS = {"118356", "118377", "118379"}


def master(conn: apsw.Connection) -> list[tuple[str, str, str]]:
    return sorted(conn.execute("SELECT type, name, sql FROM sqlite_master WHERE sql IS NOT NULL"))


def write_all(conn: apsw.Connection, payloads: list[dict[str, Any]], write: Writer) -> dict[str, list[str]]:
    """All payloads in one transaction; the event ids by verdict."""
    verdicts: dict[str, list[str]] = {}
    with conn:
        for payload in payloads:
            verdicts.setdefault(write(conn, payload), []).append(payload["eventId"])
    return verdicts


def checks_ok(conn: apsw.Connection) -> None:
    assert list(conn.execute("PRAGMA foreign_key_check")) == []
    assert list(conn.execute("PRAGMA integrity_check")) == [("ok",)]


def hearings_by_event(conn: apsw.Connection) -> dict[str, dict[str, Any]]:
    cursor = conn.execute("SELECT * FROM hearings")
    names = [d[0] for d in cursor.getdescription()]
    return {row[1]: dict(zip(names, row, strict=True)) for row in cursor}


def find(payloads: list[dict[str, Any]], event_id: str) -> dict[str, Any]:
    return next(p for p in payloads if p["eventId"] == event_id)


# -- schema --------------------------------------------------------------------------------

# what the updater adds to the earlier schema: the witness lookup index and the additive tables
ADDITIVE_OBJECTS = (
    "idx_witnesses_full_name", "hearing_treaties", "hearing_nominations", "hearing_continuations",
    "idx_hearing_treaties_hearing", "idx_hearing_nominations_hearing", "idx_hearing_continuations_hearing",
)  # fmt: skip


def test_new_database_gets_the_earlier_schema_verbatim(tmp_path: Path, earlier_db_source: Path) -> None:
    conn = apsw.Connection(str(tmp_path / "new.db"))
    assert not is_hearings_schema(conn)
    assert ensure_schema(conn) == "created"
    earlier = apsw.Connection(str(earlier_db_source), flags=apsw.SQLITE_OPEN_READONLY)
    created = master(conn)
    extra = [row for row in created if row not in master(earlier)]
    assert sorted(name for _, name, _ in extra) == sorted(ADDITIVE_OBJECTS)
    assert [row for row in master(earlier) if row not in created] == []
    columns = [name for (_, name, *_) in conn.execute("PRAGMA table_info(hearings)")]
    assert columns[-2:] == ["hearing_date_only", "hearing_time"]
    assert "ON DELETE CASCADE" not in " ".join(sql for _, _, sql in created).upper()
    assert is_hearings_schema(conn)
    before = master(conn)
    assert ensure_schema(conn) == "existing"  # idempotent
    assert master(conn) == before


def test_existing_earlier_database_is_used_as_is(tmp_path: Path, earlier_db_source: Path, dump: Dump) -> None:
    shutil.copyfile(earlier_db_source, tmp_path / "copy.db")
    conn = apsw.Connection(str(tmp_path / "copy.db"))
    rows_before, schema_before = dump(conn), master(conn)
    assert is_hearings_schema(conn)
    assert ensure_schema(conn) == "existing"
    after = dump(conn)
    assert {t: after[t] for t in rows_before} == rows_before
    assert {t: rows for t, rows in after.items() if t not in rows_before} == {
        "hearing_continuations": [], "hearing_nominations": [], "hearing_treaties": [],
    }  # fmt: skip
    added = [row for row in master(conn) if row not in schema_before]
    assert sorted(name for _, name, _ in added) == sorted(ADDITIVE_OBJECTS)  # only additive
    assert [row for row in schema_before if row not in master(conn)] == []
    assert seed_committees(conn, load_bundled_committees()) == {"added": 0, "updated": 0, "unchanged": 214}
    assert dump(conn) == after


def test_older_hearings_table_gets_the_two_columns_added(tmp_path: Path) -> None:
    conn = apsw.Connection(str(tmp_path / "old.db"))
    ensure_schema(conn)
    conn.execute("ALTER TABLE hearings DROP COLUMN hearing_time")
    conn.execute("ALTER TABLE hearings DROP COLUMN hearing_date_only")
    assert ensure_schema(conn) == "existing"
    columns = [name for (_, name, *_) in conn.execute("PRAGMA table_info(hearings)")]
    assert columns[-2:] == ["hearing_date_only", "hearing_time"]


def test_other_schema_is_refused_clearly(tmp_path: Path) -> None:
    conn = apsw.Connection(str(tmp_path / "other.db"))
    conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
    assert not is_hearings_schema(conn)
    with pytest.raises(SchemaMismatch, match=r"other tables \(invoices\).*not a hearings database"):
        ensure_schema(conn)
    assert [name for (name,) in conn.execute("SELECT name FROM sqlite_master")] == ["invoices"]
    conn.execute("CREATE TABLE hearings (event_id TEXT)")
    with pytest.raises(SchemaMismatch, match="incomplete hearings schema: table hearings lacks column"):
        ensure_schema(conn)


def test_journal_tables_alone_do_not_make_a_database_foreign(tmp_path: Path) -> None:
    conn = apsw.Connection(str(tmp_path / "journal.db"))
    conn.execute("CREATE TABLE sqlbatch_runs (run_id INTEGER PRIMARY KEY)")
    assert ensure_schema(conn) == "created"
    assert is_hearings_schema(conn)


def test_seed_committees_resolves_parents_and_is_idempotent(tmp_path: Path) -> None:
    conn = apsw.Connection(str(tmp_path / "c.db"))
    conn.execute("PRAGMA foreign_keys = ON")
    ensure_schema(conn)
    committees = load_bundled_committees()
    assert len(committees) == 214
    assert seed_committees(conn, committees) == {"added": 214, "updated": 0, "unchanged": 0}
    pairs = dict(
        conn.execute(
            "SELECT c.system_code, p.system_code FROM committees c "
            "LEFT JOIN committees p ON p.committee_id = c.parent_committee_id"
        )
    )
    assert pairs == {c["systemCode"]: c["parent"] for c in committees}
    assert {r[0] for r in conn.execute("SELECT DISTINCT congress FROM committees")} == {118}
    changes = conn.total_changes()
    assert seed_committees(conn, committees) == {"added": 0, "updated": 0, "unchanged": 214}
    assert conn.total_changes() == changes
    renamed = [dict(c, name="Renamed") if c["systemCode"] == "hsgo12" else c for c in committees]
    assert seed_committees(conn, renamed)["updated"] == 1
    with pytest.raises(ValueError, match="parent 'zz00' is unknown"):
        seed_committees(conn, [{"systemCode": "zz01", "name": "X", "chamber": "House", "parent": "zz00"}])
    checks_ok(conn)


# -- the real meetings ---------------------------------------------------------------------


def test_all_real_meetings_into_a_new_database_then_idempotent(
    new_db: apsw.Connection, real_payloads: list[dict[str, Any]], write: Writer, dump: Dump
) -> None:
    verdicts = write_all(new_db, real_payloads, write)
    assert {k: len(v) for k, v in verdicts.items()} == {"added": 1168}
    counts = dict(
        (t, new_db.execute(f"SELECT count(*) FROM {t}").fetchone()[0])
        for t in ("hearings", "hearing_committees", "witness_appearances")
    )
    assert counts == {
        "hearings": 1168,
        "hearing_committees": sum(len(p["committees"]) for p in real_payloads),
        "witness_appearances": sum(len(meeting_rows(parse_meeting(p)).witnesses) for p in real_payloads),
    }
    checks_ok(new_db)
    before, changes = dump(new_db), new_db.total_changes()
    verdicts = write_all(new_db, real_payloads, write)
    assert {k: len(v) for k, v in verdicts.items()} == {"unchanged": 1168}
    assert new_db.total_changes() == changes
    assert dump(new_db) == before


def test_real_meetings_into_a_copy_of_the_earlier_database(
    earlier_db: apsw.Connection, real_payloads: list[dict[str, Any]], write: Writer, dump: Dump
) -> None:
    stored_ids = {e for (e,) in earlier_db.execute("SELECT event_id FROM hearings")}
    hearing_rows = hearings_by_event(earlier_db)
    before = dump(earlier_db)
    # the earlier system typed witnesses by its own guess: the meetings whose types the rule corrects change
    updated = DUPLICATE_WITNESS_MEETINGS | meetings_whose_witness_type_changes(earlier_db)
    verdicts = write_all(earlier_db, real_payloads, write)
    assert {k: len(v) for k, v in verdicts.items()} == {
        "added": 141, "unchanged": 1027 - len(updated), "updated": len(updated),
    }  # fmt: skip
    assert set(verdicts["added"]) == {p["eventId"] for p in real_payloads} - stored_ids
    assert set(verdicts["updated"]) == updated
    after = hearings_by_event(earlier_db)
    for event_id, row in hearing_rows.items():
        if event_id in updated:
            assert after[event_id].pop("updated_at") != row.pop("updated_at")
        assert after[event_id] == row  # every column as the earlier system stored it
    state = read_meeting_state(earlier_db, "118379")
    assert [w["full_name"] for w in state["witnesses"]] == ["Tim Walz", "Kathy Hochul", "JB Pritzker", "Skye Perryman"]
    orphans = earlier_db.execute(
        "SELECT count(*) FROM witnesses WHERE witness_id NOT IN (SELECT witness_id FROM witness_appearances)"
    ).fetchone()
    assert orphans == (0,)
    untouched = ("committees", "members", "committee_memberships", "policy_areas", "sync_tracking")
    assert all(dump(earlier_db)[t] == before[t] for t in untouched)
    checks_ok(earlier_db)
    rows, changes = dump(earlier_db), earlier_db.total_changes()
    verdicts = write_all(earlier_db, real_payloads, write)
    assert {k: len(v) for k, v in verdicts.items()} == {"unchanged": 1168}
    assert earlier_db.total_changes() == changes and dump(earlier_db) == rows


def test_gapped_appearance_orders_of_the_earlier_database_are_kept(
    earlier_db: apsw.Connection, real_payloads: list[dict[str, Any]], write: Writer
) -> None:
    payload = copy.deepcopy(find(real_payloads, "118409"))
    orders = lambda: [w["appearance_order"] for w in read_meeting_state(earlier_db, "118409")["witnesses"]]  # noqa: E731
    assert orders() == [1, 2, 3, 12, 13, 14, 15]
    expected = "updated" if "118409" in meetings_whose_witness_type_changes(earlier_db) else "unchanged"
    assert write(earlier_db, payload) == expected  # at most the witness types change
    assert orders() == [1, 2, 3, 12, 13, 14, 15]
    assert write(earlier_db, payload) == "unchanged"
    del payload["witnesses"][1]  # drop one: the others keep their numbers
    assert write(earlier_db, payload) == "updated"
    assert orders() == [1, 3, 12, 13, 14, 15]
    payload["witnesses"].append({"name": "New Person", "position": "Chair", "organization": "X"})
    assert write(earlier_db, payload) == "updated"  # an addition renumbers 1..n
    assert orders() == [1, 2, 3, 4, 5, 6, 7]


# -- updates -------------------------------------------------------------------------------


@pytest.fixture
def stored(new_db: apsw.Connection, payloads: list[dict[str, Any]], write: Writer) -> dict[str, Any]:
    """One real meeting with witnesses and two committees, stored with an old updated_at."""
    payload = next(p for p in payloads if len(p["committees"]) == 2 and len(p["witnesses"]) >= 3)
    assert write(new_db, payload) == "added"
    new_db.execute("UPDATE hearings SET updated_at = '2000-01-01 00:00:00'")
    return payload


def updated_at(conn: apsw.Connection, event_id: str) -> str:
    return conn.execute("SELECT updated_at FROM hearings WHERE event_id = ?", (event_id,)).fetchone()[0]


def test_identical_payload_writes_nothing(new_db: apsw.Connection, stored: dict[str, Any], write: Writer) -> None:
    changes = new_db.total_changes()
    assert write(new_db, copy.deepcopy(stored)) == "unchanged"
    assert new_db.total_changes() == changes
    assert updated_at(new_db, stored["eventId"]) == "2000-01-01 00:00:00"


@pytest.mark.parametrize(("field", "value", "column", "expected"), [
    ("meetingStatus", "Postponed", "status", "Postponed"),
    ("title", "A new title", "title", "A new title"),
    ("location", {"room": "2154", "building": "Rayburn House Office Building"}, "location",
     "Room 2154, Rayburn House Office Building"),
    ("date", "2025-06-01T15:30:00Z", "hearing_time", "15:30:00"),
    ("type", "Markup", "hearing_type", "Markup"),
])  # fmt: skip
def test_field_updates_are_detected_and_stored(
    new_db: apsw.Connection, stored: dict[str, Any], write: Writer, field: str, value: Any, column: str, expected: str
) -> None:
    assert write(new_db, {**stored, field: value}) == "updated"
    state = read_meeting_state(new_db, stored["eventId"])
    assert state["hearing"][column] == expected
    assert state["hearing"]["updated_at"] != "2000-01-01 00:00:00"
    new_db.execute("UPDATE hearings SET updated_at = '2000-01-01 00:00:00'")
    assert write(new_db, {**stored, field: value}) == "unchanged"
    assert updated_at(new_db, stored["eventId"]) == "2000-01-01 00:00:00"


def test_witness_add_and_drop(new_db: apsw.Connection, stored: dict[str, Any], write: Writer) -> None:
    event_id = stored["eventId"]
    witnesses = copy.deepcopy(stored["witnesses"])
    added = {"name": "Dr. Ada Lovelace", "position": "Analyst", "organization": "Engine Society"}
    assert write(new_db, {**stored, "witnesses": [*witnesses, added]}) == "updated"
    names = [w["full_name"] for w in read_meeting_state(new_db, event_id)["witnesses"]]
    assert names[-1] == "Ada Lovelace" and len(names) == len(witnesses) + 1
    assert updated_at(new_db, event_id) != "2000-01-01 00:00:00"  # a link change is a change
    dropped = witnesses[0]
    assert write(new_db, {**stored, "witnesses": witnesses[1:]}) == "updated"
    state = read_meeting_state(new_db, event_id)
    # the remaining witnesses keep their numbers (still in payload order; gaps carry no meaning)
    assert [w["appearance_order"] for w in state["witnesses"]] == list(range(2, len(witnesses) + 1))
    assert dropped["name"] not in [w["full_name"] for w in state["witnesses"]]
    gone = new_db.execute("SELECT count(*) FROM witnesses WHERE full_name IN (?, ?)", ("Ada Lovelace", dropped["name"]))
    assert gone.fetchone() == (0,)  # no witness row is left without an appearance
    checks_ok(new_db)


def test_witness_position_change_is_an_update(new_db: apsw.Connection, stored: dict[str, Any], write: Writer) -> None:
    witnesses = copy.deepcopy(stored["witnesses"])
    witnesses[0]["position"] = "Acting Director"
    assert write(new_db, {**stored, "witnesses": witnesses}) == "updated"
    assert read_meeting_state(new_db, stored["eventId"])["witnesses"][0]["position"] == "Acting Director"


def test_committee_add_and_drop(new_db: apsw.Connection, stored: dict[str, Any], write: Writer) -> None:
    event_id = stored["eventId"]
    first, second = stored["committees"]
    assert write(new_db, {**stored, "committees": [first]}) == "updated"
    assert read_meeting_state(new_db, event_id)["committees"] == [(first["systemCode"], 1)]
    extra = {"systemCode": "hsgo12", "name": "Cybersecurity Subcommittee"}
    assert write(new_db, {**stored, "committees": [first, second, extra]}) == "updated"
    codes = sorted(code for code, _ in read_meeting_state(new_db, event_id)["committees"])
    assert codes == sorted({first["systemCode"], second["systemCode"], "hsgo12"})
    assert write(new_db, {**stored, "committees": [first, second, extra]}) == "unchanged"
    checks_ok(new_db)


def test_a_payload_is_the_whole_record_but_never_blanks_a_title_or_date(
    new_db: apsw.Connection, stored: dict[str, Any], write: Writer
) -> None:
    """What the API leaves out is none now, except the NOT NULL columns; a title or date that
    would become nothing is refused (title_kept / date_kept) and nothing is written."""
    event_id = stored["eventId"]
    full = {**stored, "location": {"room": "216", "building": "Hart Senate Office Building"}}
    assert write(new_db, full) == "updated"
    before = read_meeting_state(new_db, event_id)
    lean = {k: v for k, v in full.items() if k not in ("location", "witnesses", "type", "meetingStatus", "chamber")}
    assert write(new_db, lean) == "updated"
    after = read_meeting_state(new_db, event_id)
    assert after["hearing"]["location"] is None and after["witnesses"] == []
    for column in ("hearing_type", "status", "chamber", "congress", "title", "hearing_date", "url"):
        assert after["hearing"][column] == before["hearing"][column], column
    assert after["committees"] == before["committees"]
    assert write(new_db, lean) == "unchanged"
    changes = new_db.total_changes()
    for missing, rule in (("title", "title_kept"), ("date", "date_kept")):
        with pytest.raises(RecordInvalid) as caught:
            write_meeting(new_db, meeting_rows(parse_meeting({k: v for k, v in lean.items() if k != missing})))
        assert (caught.value.field, caught.value.rule, caught.value.key) == (missing, rule, event_id)
    with pytest.raises(RecordInvalid) as caught:  # "" is nothing too
        write_meeting(new_db, meeting_rows(parse_meeting({**lean, "title": " "})))
    assert caught.value.rule == "title_kept"
    assert new_db.total_changes() == changes


def test_null_location_present_clears_it(new_db: apsw.Connection, stored: dict[str, Any], write: Writer) -> None:
    assert write(new_db, {**stored, "location": {"address": "City Hall, Boise, ID"}}) == "updated"
    assert write(new_db, {**stored, "location": None}) == "updated"
    assert read_meeting_state(new_db, stored["eventId"])["hearing"]["location"] is None


def test_unknown_committee_raises_before_any_write(
    new_db: apsw.Connection, stored: dict[str, Any], write: Writer, dump: Dump
) -> None:
    before = dump(new_db)
    payload = {**stored, "title": "changed", "committees": [*stored["committees"], {"systemCode": "hszz99"}]}
    with pytest.raises(UnknownCommittee) as caught:
        write(new_db, payload)
    error = caught.value
    assert isinstance(error, RecordInvalid)
    assert (error.field, error.rule, error.system_code, error.key) == (
        "committees[2].systemCode", "committee_exists", "hszz99", stored["eventId"],
    )  # fmt: skip
    assert "'hszz99' is not in the committees table" in str(error)
    assert dump(new_db) == before
    with pytest.raises(UnknownCommittee):
        write(new_db, {**payload, "eventId": "999999"})  # a new meeting: nothing inserted either
    assert dump(new_db) == before


def test_new_meeting_lacking_a_not_null_field_is_refused(new_db: apsw.Connection, write: Writer, dump: Dump) -> None:
    before = dump(new_db)
    with pytest.raises(RecordInvalid) as caught:
        write(new_db, {"eventId": "5", "congress": 119, "chamber": "House", "type": "Hearing", "title": "t",
                       "committees": [{"systemCode": "hsgo00"}]})  # fmt: skip
    assert (caught.value.field, caught.value.rule) == ("meetingStatus", "required")
    with pytest.raises(RecordInvalid) as caught:
        write(new_db, {"eventId": "5", "congress": 119, "chamber": "House", "type": "Hearing", "title": "t",
                       "meetingStatus": "Scheduled"})  # fmt: skip
    assert (caught.value.field, caught.value.rule) == ("committees", "committee_present")
    with pytest.raises(RecordInvalid) as caught:  # the store refuses it as well, rules or not
        write_meeting(new_db, meeting_rows(parse_meeting({"eventId": "5", "congress": 119, "chamber": "House",
                      "type": "Hearing", "title": "t", "meetingStatus": "Scheduled"})))  # fmt: skip
    assert (caught.value.field, caught.value.rule) == ("committees", "required")
    assert dump(new_db) == before


def test_witnesses_are_shared_across_meetings_by_key(
    new_db: apsw.Connection, stored: dict[str, Any], write: Writer
) -> None:
    person = {"name": "Dr. Grace Hopper", "position": "Rear Admiral", "organization": "U.S.  Navy"}
    same = {"name": "grace  HOPPER", "position": "Retired", "organization": "u.s. navy"}
    write(new_db, {**stored, "witnesses": [person]})
    other = {**stored, "eventId": "990001", "witnesses": [same]}
    assert write(new_db, other) == "added"
    rows = list(new_db.execute("SELECT witness_id, full_name, title FROM witnesses WHERE full_name LIKE '%hopper%'"))
    assert len(rows) == 1 and rows[0][1:] == ("Grace Hopper", "Rear Admiral")  # first appearance's position
    positions = [r[0] for r in new_db.execute("SELECT position FROM witness_appearances WHERE witness_id = ?",
                                              (rows[0][0],))]  # fmt: skip
    assert sorted(positions) == ["Rear Admiral", "Retired"]


def test_documents_transcripts_and_videos_replace_by_difference(
    new_db: apsw.Connection, stored: dict[str, Any], write: Writer
) -> None:
    event_id = stored["eventId"]
    witnesses = copy.deepcopy(stored["witnesses"])
    witnesses[0]["name"] = "Bryan Newland"
    base = "https://www.congress.gov/119/meeting/house/1/witnesses/HHRG-119-II24"
    statement = {"documentType": "Witness Statement", "format": "PDF", "url": f"{base}-Wstate-NewlandB-20250324.pdf"}
    loose = {"documentType": "Witness Supporting Document", "format": "PDF", "url": f"{base}-SD001.pdf"}
    notice = {"name": "Hearing Notice", "documentType": "Support Document", "format": "PDF", "url": "n.pdf"}
    video = {"name": "Hearing video", "url": "https://www.congress.gov/committees/video/v1"}
    transcript = {"jacketNumber": "58765", "url": "https://api.congress.gov/v3/hearing/119/house/58765"}
    payload = {**stored, "witnesses": witnesses, "witnessDocuments": [statement, loose],
               "meetingDocuments": [notice], "videos": [video], "hearingTranscript": [transcript]}  # fmt: skip
    assert write(new_db, payload) == "updated"
    state = read_meeting_state(new_db, event_id)
    assert state["witnesses"][0]["documents"] == [("Statement", "Witness Statement", statement["url"], "PDF")]
    assert state["supporting_documents"] == [
        ("Witness Supporting Document", None, None, loose["url"], "PDF"),
        ("Support Document", "Hearing Notice", None, "n.pdf", "PDF"),
        ("Video", "Hearing video", None, video["url"], None),
    ]
    assert state["transcripts"] == [("58765", transcript["url"])]
    assert state["hearing"]["jacket_number"] == "58765"
    changes = new_db.total_changes()
    assert write(new_db, copy.deepcopy(payload)) == "unchanged"
    assert new_db.total_changes() == changes

    # meeting documents change, videos absent (the API leaves empty lists out): the video goes
    notice2 = {**notice, "url": "n2.pdf"}
    partial = {k: v for k, v in payload.items() if k != "videos"}
    assert write(new_db, {**partial, "meetingDocuments": [notice2]}) == "updated"
    docs = read_meeting_state(new_db, event_id)["supporting_documents"]
    assert [d[3] for d in docs] == [loose["url"], "n2.pdf"]
    assert new_db.total_changes() == changes + 4  # two deletes, one insert, updated_at

    # the witness with documents is dropped: its appearance and documents go, FKs hold
    assert write(new_db, {**payload, "witnesses": witnesses[1:]}) == "updated"
    assert new_db.execute("SELECT count(*) FROM witness_documents").fetchone() == (0,)
    state = read_meeting_state(new_db, event_id)
    assert [d[0] for d in state["supporting_documents"]].count("Witness Statement") == 1  # now meeting-level
    assert write(new_db, {**payload, "hearingTranscript": []}) == "updated"
    state = read_meeting_state(new_db, event_id)
    assert state["transcripts"] == [] and state["hearing"]["jacket_number"] is None
    checks_ok(new_db)


def test_store_never_uses_insert_or_replace() -> None:
    source = inspect.getsource(store).upper()
    assert "INSERT OR REPLACE INTO" not in source and "ON CONFLICT(EVENT_ID) DO UPDATE" in source


def test_write_meeting_accepts_any_execute_object(tmp_path: Path, real_payloads: list[dict[str, Any]]) -> None:
    import sqlite3

    conn = sqlite3.connect(tmp_path / "stdlib.db", isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    assert ensure_schema(conn) == "created"
    seed_committees(conn, load_bundled_committees())
    rows = meeting_rows(parse_meeting(real_payloads[-1]))
    assert write_meeting(conn, rows) == "added"
    assert write_meeting(conn, rows) == "unchanged"
    assert read_meeting_state(conn, rows.event_id)["hearing"]["event_id"] == rows.event_id
