"""The core matrix: every strategy × every kind of write × rollback/commit × own/nested.

Each case is a list of SQL statements and the changes the capture must report. A test runs
the case through a unit of work, closes the connection, and compares the file, read through
a *second* plain APSW connection, with an oracle: the seed database (rollback) or the same
statements applied with plain APSW to an identical twin (commit).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import apsw
import pytest

import sqlbatch
from tests.support import core as core_support
from tests.support.core import STRATEGIES, Statement, apply_raw, dump_file

BLOB_A = bytes(range(256)) * 64  # 16 KiB, every byte value, zero bytes included
BLOB_B = b"\x00" * 1000
BIG_A = ("Grüße, 委員会 hearing " * 50_000)[:1_000_000]  # ~1 MB of text, non-ASCII included
BIG_B = "y" * 1_048_576


@dataclass(frozen=True)
class Logged:
    """One change the capture must report: exact for the hook, net for the session."""

    table: str
    op: str
    key: tuple
    depth: int = 0
    before: dict[str, Any] | None = None  # subset of columns that must match
    after: dict[str, Any] | None = None


@dataclass(frozen=True)
class Case:
    id: str
    statements: list[Statement]
    hook: list[Logged]  # every row write, in order (memory, savepoint)
    net: list[Logged]  # net change per row (session), any order
    after_commit: Callable[[apsw.Connection], None] | None = None
    after_rollback: Callable[[apsw.Connection], None] | None = None
    tags: tuple[str, ...] = field(default=())


ITEM_COLS = {"id", "name", "qty", "price", "data", "note"}


def _seq(raw: apsw.Connection) -> dict[str, int]:
    return dict(raw.execute("SELECT name, seq FROM sqlite_sequence").fetchall())


def _check_replace_commit(raw: apsw.Connection) -> None:
    # the trap of INSERT OR REPLACE: the parent row is new, its children are gone
    assert raw.execute("SELECT name FROM parent WHERE id=1").fetchall() == [("P1 replaced",)]
    assert raw.execute("SELECT count(*) FROM child WHERE parent_id=1").fetchall() == [(0,)]


def _check_children_back(raw: apsw.Connection) -> None:
    assert raw.execute("SELECT id FROM child WHERE parent_id=1 ORDER BY id").fetchall() == [
        (10,),
        (11,),
    ]


def _check_seq_commit(raw: apsw.Connection) -> None:
    assert _seq(raw) == {"seqd": 4, "seqe": 1}


def _check_seq_rollback(raw: apsw.Connection) -> None:
    # the counter is back where it was: the next row reuses id 4, seqe has no counter row
    assert _seq(raw) == {"seqd": 3}
    raw.execute("INSERT INTO seqd(v) VALUES ('probe')")
    assert raw.execute("SELECT max(id) FROM seqd").fetchall() == [(4,)]


def _check_blob_commit(raw: apsw.Connection) -> None:
    assert raw.execute("SELECT data FROM item WHERE name='blob'").fetchall() == [(BLOB_A,)]
    assert raw.execute("SELECT data FROM item WHERE id=1").fetchall() == [(BLOB_B,)]


def _check_big_commit(raw: apsw.Connection) -> None:
    rows = raw.execute("SELECT note FROM item WHERE name='big'").fetchall()
    assert rows == [(BIG_A,)]
    assert raw.execute("SELECT length(note) FROM item WHERE id=2").fetchall() == [(len(BIG_B),)]


def _check_null_commit(raw: apsw.Connection) -> None:
    assert raw.execute("SELECT qty, price, data, note FROM item WHERE id=1").fetchall() == [(3, None, None, None)]
    assert raw.execute("SELECT price, data, note FROM item WHERE id=3").fetchall() == [(0.0, b"", "now set")]


CASES = [
    Case(
        "insert",
        [
            (
                "INSERT INTO item(name, qty, price, data, note) VALUES (?, ?, ?, ?, ?)",
                ("delta", 7, 3.5, b"\x00\xff\x00", "fourth"),
            )
        ],
        hook=[
            Logged(
                "item",
                "INSERT",
                (4,),
                after={
                    "id": 4,
                    "name": "delta",
                    "qty": 7,
                    "price": 3.5,
                    "data": b"\x00\xff\x00",
                    "note": "fourth",
                },
            )
        ],
        net=[Logged("item", "INSERT", (4,), after={"name": "delta", "data": b"\x00\xff\x00"})],
    ),
    Case(
        "update",
        [("UPDATE item SET price=?, note=? WHERE id=?", (9.75, "edited", 2))],
        hook=[
            Logged(
                "item",
                "UPDATE",
                (2,),
                before={"name": "beta", "qty": 5, "price": 2.25, "note": "second"},
                after={"name": "beta", "qty": 5, "price": 9.75, "note": "edited"},
            )
        ],
        net=[
            Logged(
                "item",
                "UPDATE",
                (2,),
                before={"price": 2.25, "note": "second"},
                after={"price": 9.75, "note": "edited"},
            )
        ],
    ),
    Case(
        "delete",
        [("DELETE FROM item WHERE id=?", (2,))],
        hook=[
            Logged(
                "item",
                "DELETE",
                (2,),
                before={"id": 2, "name": "beta", "qty": 5, "price": 2.25, "data": None},
            )
        ],
        net=[Logged("item", "DELETE", (2,), before={"name": "beta", "price": 2.25})],
    ),
    Case(
        "upsert",
        [
            (
                "INSERT INTO item(id, name, price) VALUES (?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET price=excluded.price, note='upserted'",
                (1, "alpha", 4.0),
            ),
            (
                "INSERT INTO item(id, name, price) VALUES (?, ?, ?) "
                "ON CONFLICT(id) DO UPDATE SET price=excluded.price, note='upserted'",
                (5, "epsilon", 1.0),
            ),
        ],
        hook=[
            Logged(
                "item",
                "UPDATE",
                (1,),
                before={"price": 1.5, "note": "first", "qty": 3},
                after={"price": 4.0, "note": "upserted", "qty": 3},
            ),
            Logged("item", "INSERT", (5,), after={"name": "epsilon", "price": 1.0, "qty": None}),
        ],
        net=[
            Logged("item", "UPDATE", (1,), before={"price": 1.5}, after={"price": 4.0}),
            Logged("item", "INSERT", (5,), after={"name": "epsilon"}),
        ],
    ),
    Case(
        "replace",
        [("INSERT OR REPLACE INTO parent(id, name) VALUES (?, ?)", (1, "P1 replaced"))],
        hook=[
            Logged("parent", "DELETE", (1,), before={"id": 1, "name": "P1"}),
            Logged("child", "DELETE", (10,), depth=1, before={"parent_id": 1, "label": "c10"}),
            Logged("child", "DELETE", (11,), depth=1, before={"parent_id": 1, "label": "c11"}),
            Logged("parent", "INSERT", (1,), after={"id": 1, "name": "P1 replaced"}),
        ],
        net=[
            Logged("parent", "UPDATE", (1,), before={"name": "P1"}, after={"name": "P1 replaced"}),
            Logged("child", "DELETE", (10,), depth=1, before={"label": "c10"}),
            Logged("child", "DELETE", (11,), depth=1, before={"label": "c11"}),
        ],
        after_commit=_check_replace_commit,
        after_rollback=_check_children_back,
    ),
    Case(
        "cascade_delete",
        [("DELETE FROM parent WHERE id=?", (1,))],
        hook=[
            Logged("parent", "DELETE", (1,), before={"name": "P1"}),
            Logged("child", "DELETE", (10,), depth=1, before={"label": "c10"}),
            Logged("child", "DELETE", (11,), depth=1, before={"label": "c11"}),
        ],
        net=[
            Logged("parent", "DELETE", (1,), before={"name": "P1"}),
            Logged("child", "DELETE", (10,), depth=1),
            Logged("child", "DELETE", (11,), depth=1),
        ],
        after_rollback=_check_children_back,
    ),
    Case(
        "trigger",
        [("UPDATE item SET qty = qty + 10 WHERE id=?", (1,))],
        hook=[
            Logged("item", "UPDATE", (1,), before={"qty": 3}, after={"qty": 13}),
            Logged("audit", "INSERT", (1,), depth=1, after={"item_id": 1, "change": "3->13"}),
        ],
        net=[
            Logged("item", "UPDATE", (1,), before={"qty": 3}, after={"qty": 13}),
            Logged("audit", "INSERT", (1,), depth=1, after={"change": "3->13"}),
        ],
    ),
    Case(
        "without_rowid",
        [
            ("INSERT INTO kv VALUES (?, ?, ?)", ("c", 1, "vc1")),
            ("UPDATE kv SET v=? WHERE k=? AND n=?", ("va1!", "a", 1)),
            ("UPDATE kv SET n=? WHERE k=? AND n=?", (12, "a", 2)),  # primary key change
            ("DELETE FROM kv WHERE k=?", ("b",)),
        ],
        hook=[
            Logged("kv", "INSERT", ("c", 1), after={"k": "c", "n": 1, "v": "vc1"}),
            Logged("kv", "UPDATE", ("a", 1), before={"v": "va1"}, after={"v": "va1!"}),
            Logged("kv", "UPDATE", ("a", 12), before={"n": 2, "v": "va2"}, after={"n": 12}),
            Logged("kv", "DELETE", ("b", 1), before={"k": "b", "n": 1, "v": b"\xff\x00"}),
        ],
        net=[
            Logged("kv", "INSERT", ("c", 1), after={"v": "vc1"}),
            Logged("kv", "UPDATE", ("a", 1), before={"v": "va1"}, after={"v": "va1!"}),
            Logged("kv", "DELETE", ("a", 2), before={"v": "va2"}),
            Logged("kv", "INSERT", ("a", 12), after={"v": "va2"}),
            Logged("kv", "DELETE", ("b", 1), before={"v": b"\xff\x00"}),
        ],
    ),
    Case(
        "autoincrement",
        [
            ("INSERT INTO seqd(v) VALUES (?)", ("four",)),
            ("INSERT INTO seqe(v) VALUES (?)", ("first",)),  # creates its sqlite_sequence row
        ],
        hook=[
            Logged("seqd", "INSERT", (4,), after={"id": 4, "v": "four"}),
            Logged("seqe", "INSERT", (1,), after={"id": 1, "v": "first"}),
        ],
        net=[
            Logged("seqd", "INSERT", (4,), after={"v": "four"}),
            Logged("seqe", "INSERT", (1,), after={"v": "first"}),
        ],
        after_commit=_check_seq_commit,
        after_rollback=_check_seq_rollback,
    ),
    Case(
        "blob",
        [
            ("INSERT INTO item(name, data) VALUES (?, ?)", ("blob", BLOB_A)),
            ("UPDATE item SET data=? WHERE id=?", (BLOB_B, 1)),
        ],
        hook=[
            Logged("item", "INSERT", (4,), after={"data": BLOB_A}),
            Logged("item", "UPDATE", (1,), before={"data": b"\x01\x02"}, after={"data": BLOB_B}),
        ],
        net=[
            Logged("item", "INSERT", (4,), after={"data": BLOB_A}),
            Logged("item", "UPDATE", (1,), before={"data": b"\x01\x02"}, after={"data": BLOB_B}),
        ],
        after_commit=_check_blob_commit,
    ),
    Case(
        "null",
        [
            (
                "INSERT INTO item(name, qty, price, data, note) VALUES (?, ?, ?, ?, ?)",
                ("nulls", None, None, None, None),
            ),
            ("UPDATE item SET price=?, data=?, note=? WHERE id=?", (None, None, None, 1)),
            ("UPDATE item SET price=?, data=?, note=? WHERE id=?", (0.0, b"", "now set", 3)),
        ],
        hook=[
            Logged(
                "item",
                "INSERT",
                (4,),
                after={"name": "nulls", "qty": None, "price": None, "data": None, "note": None},
            ),
            Logged(
                "item",
                "UPDATE",
                (1,),
                before={"price": 1.5, "data": b"\x01\x02", "note": "first"},
                after={"price": None, "data": None, "note": None},
            ),
            Logged(
                "item",
                "UPDATE",
                (3,),
                before={"price": None, "data": None, "note": None},
                after={"price": 0.0, "data": b"", "note": "now set"},
            ),
        ],
        net=[
            Logged("item", "INSERT", (4,), after={"qty": None, "note": None}),
            Logged("item", "UPDATE", (1,), before={"price": 1.5}, after={"price": None}),
            Logged("item", "UPDATE", (3,), before={"note": None}, after={"data": b""}),
        ],
        after_commit=_check_null_commit,
    ),
    Case(
        "large_text",
        [
            ("INSERT INTO item(name, note) VALUES (?, ?)", ("big", BIG_A)),
            ("UPDATE item SET note=? WHERE id=?", (BIG_B, 2)),
        ],
        hook=[
            Logged("item", "INSERT", (4,), after={"note": BIG_A}),
            Logged("item", "UPDATE", (2,), before={"note": "second"}, after={"note": BIG_B}),
        ],
        net=[
            Logged("item", "INSERT", (4,), after={"note": BIG_A}),
            Logged("item", "UPDATE", (2,), before={"note": "second"}, after={"note": BIG_B}),
        ],
        after_commit=_check_big_commit,
    ),
    Case(
        "several_writes_one_row",
        [
            ("INSERT INTO item(name, qty) VALUES (?, NULL)", ("temp",)),
            ("UPDATE item SET note=? WHERE name=?", ("t1", "temp")),
            ("UPDATE item SET note=? WHERE id=?", ("changed", 2)),
            ("UPDATE item SET note=? WHERE id=?", ("second", 2)),  # back to its old value
        ],
        hook=[
            Logged("item", "INSERT", (4,), after={"note": None}),
            Logged("item", "UPDATE", (4,), before={"note": None}, after={"note": "t1"}),
            Logged("item", "UPDATE", (2,), before={"note": "second"}, after={"note": "changed"}),
            Logged("item", "UPDATE", (2,), before={"note": "changed"}, after={"note": "second"}),
        ],
        # net: one INSERT with the final values; row 2 ends as it began, so it is not reported
        net=[Logged("item", "INSERT", (4,), after={"name": "temp", "note": "t1"})],
    ),
]

CASE_IDS = [c.id for c in CASES]


def _columns(raw: apsw.Connection, table: str) -> set[str]:
    return {r[1] for r in raw.execute(f"PRAGMA table_xinfo({table})")}


def _matches(got: dict[str, Any] | None, want: dict[str, Any] | None) -> bool:
    if want is None:
        return True
    if got is None:
        return False
    return all(k in got and got[k] == v and type(got[k]) is type(v) for k, v in want.items())


def _fmt(changes: list[sqlbatch.Change]) -> list[tuple]:
    return [(c.table, c.op, c.key, c.depth) for c in changes]


def assert_changes(strategy: str, case: Case, changes: list[sqlbatch.Change], path) -> None:
    raw = apsw.Connection(str(path), flags=apsw.SQLITE_OPEN_READONLY)
    try:
        if strategy == "session":
            expected = case.net
            got = sorted(_fmt(changes), key=repr)
            assert got == sorted(((e.table, e.op, e.key, e.depth) for e in expected), key=repr)
        else:
            expected = case.hook
            assert _fmt(changes) == [(e.table, e.op, e.key, e.depth) for e in expected]
        if strategy == "session":
            by_identity = {(c.table, c.op, c.key): c for c in changes}
            pairs = [(e, by_identity[(e.table, e.op, e.key)]) for e in expected]
        else:
            pairs = list(zip(expected, changes, strict=True))
        for e, change in pairs:
            assert isinstance(change, sqlbatch.Change)
            assert _matches(change.before, e.before), (e, change.before)
            assert _matches(change.after, e.after), (e, change.after)
            if change.op == "INSERT":
                assert change.before is None
            if change.op == "DELETE":
                assert change.after is None
            cols = _columns(raw, change.table)
            for side in (change.before, change.after):
                if side is None:
                    continue
                if strategy == "session":
                    assert set(side) <= cols  # net UPDATE: changed columns only
                else:
                    assert set(side) == cols  # full before/after images, by column name
    finally:
        raw.close()


def _run_case(uow: sqlbatch.UnitOfWork, case: Case) -> None:
    for sql, params in case.statements:
        uow.execute(sql, params)


@pytest.mark.parametrize("outcome", ["rollback", "commit"])
@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_own_transaction(db_path, ref_path, case: Case, strategy: str, outcome: str) -> None:
    before = dump_file(db_path)
    conn = sqlbatch.connect(db_path)
    with conn.unit_of_work(strategy, name=case.id) as uow:
        assert uow.owns_transaction
        assert conn.in_transaction
        _run_case(uow, case)
        changes_inside = uow.changes
        if outcome == "rollback":
            uow.rollback()
    assert not conn.in_transaction
    assert uow.state == ("rolled back" if outcome == "rollback" else "committed")
    assert _fmt(uow.changes) == _fmt(changes_inside)
    conn.close()

    if outcome == "rollback":
        assert dump_file(db_path) == before
        check = case.after_rollback
    else:
        assert dump_file(db_path) == apply_raw(ref_path, [case.statements])
        check = case.after_commit
    assert_changes(strategy, case, uow.changes, db_path)
    if check is not None:
        raw = core_support.open_raw(db_path)
        try:
            check(raw)
        finally:
            raw.close()


EARLIER = [("INSERT INTO marker(v) VALUES (?)", ("earlier unit",))]
LATER = [("INSERT INTO marker(v) VALUES (?)", ("later unit",))]


@pytest.mark.parametrize("outcome", ["rollback", "commit"])
@pytest.mark.parametrize("strategy", STRATEGIES)
@pytest.mark.parametrize("case", CASES, ids=CASE_IDS)
def test_nested_in_caller_transaction(db_path, ref_path, case: Case, strategy: str, outcome: str) -> None:
    conn = sqlbatch.connect(db_path)
    conn.execute("BEGIN IMMEDIATE")
    with conn.unit_of_work(strategy, name="earlier", nested=True) as earlier:
        for sql, params in EARLIER:
            earlier.execute(sql, params)
    with conn.unit_of_work(strategy, name=case.id, nested=True) as uow:
        assert not uow.owns_transaction
        _run_case(uow, case)
        if outcome == "rollback":
            uow.rollback()
    assert conn.in_transaction  # the caller's transaction is untouched
    with conn.unit_of_work(strategy, name="later", nested=True) as later:
        for sql, params in LATER:
            later.execute(sql, params)
    conn.execute("COMMIT")
    conn.close()

    applied = [EARLIER, case.statements, LATER] if outcome == "commit" else [EARLIER, LATER]
    expected = apply_raw(ref_path, [[s for batch in applied for s in batch]])
    assert dump_file(db_path) == expected
    assert_changes(strategy, case, uow.changes, db_path)
    assert earlier.state == later.state == "committed"
