"""The stored before-images round-trip, in the current format and from the first one.

The current format writes each layout's column names once and the capture's value tuples as
they are; undo journals written by earlier versions (one ``[table, op, key, key columns,
before, after, depth]`` element per change, no marker) must still revert.
"""

from __future__ import annotations

import json
import zlib
from pathlib import Path
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

import sqlbatch
from sqlbatch._changes import Change
from sqlbatch._undo import FORMAT, decode, encode
from tests.support import revert as rs

VALUES = st.one_of(
    st.none(),
    st.integers(min_value=-(2**63), max_value=2**63 - 1),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=12),
    st.binary(max_size=8),
)
COLUMNS = st.lists(st.sampled_from(["a", "b", "c", "d", "é"]), min_size=1, max_size=4, unique=True).map(tuple)


@st.composite
def changes(draw: Any) -> Change:
    columns = draw(COLUMNS)
    op = draw(st.sampled_from(["INSERT", "UPDATE", "DELETE"]))
    row = st.tuples(*[VALUES for _ in columns])
    before = None if op == "INSERT" else draw(row)
    after = None if op == "DELETE" else draw(row)
    table = draw(st.sampled_from(["t", "u", "Ω"]))
    key = (draw(st.integers(1, 10**6)),)
    depth = draw(st.integers(0, 3))
    if draw(st.booleans()):  # as the capture builds them: value tuples and the table's columns
        return Change.from_images(table, op, key, columns, before, after, depth)
    # as a strategy without a layout builds them: dicts, possibly of different columns
    dict_before = None if before is None else dict(zip(columns, before, strict=True))
    dict_after = None if after is None else dict(zip(columns, after, strict=True))
    if dict_after is not None and dict_before is not None and draw(st.booleans()):
        dict_after.pop(columns[0])  # a session UPDATE carries only the changed columns
    return Change(table, op, key, dict_before, dict_after, depth)


@settings(max_examples=150, deadline=None)
@given(st.lists(changes(), max_size=30))
def test_changes_round_trip(made: list[Change]) -> None:
    blob = encode(made)
    assert json.loads(zlib.decompress(blob))[0] == FORMAT
    assert decode(blob) == made


def _first_format(changes: list[Change]) -> bytes:
    """What the first version wrote: one element per change, images as dicts."""
    rows = [[c.table, c.op, list(c.key), list(c.key_columns), c.before, c.after, c.depth] for c in changes]
    return zlib.compress(json.dumps(rows, separators=(",", ":")).encode())


def test_first_format_still_decodes() -> None:
    made = [
        Change("hearings", "INSERT", (7,), None, {"hearing_id": 7, "title": "Oversight"}),
        Change("hearings", "UPDATE", (7,), {"hearing_id": 7, "title": "Old"}, {"hearing_id": 7, "title": "New"}),
        Change("witnesses", "DELETE", (3,), {"witness_id": 3, "full_name": "A. B."}, None, 1),
    ]
    assert decode(_first_format(made)) == made
    assert decode(_first_format([])) == []


def test_run_journaled_in_the_first_format_reverts(tmp_path: Path, payloads: list[dict[str, Any]]) -> None:
    """A committed run whose undo rows an earlier version wrote is reverted to the same state."""
    path = tmp_path / "old-journal.db"
    rs.update(path, payloads[: rs.RUN_A], "memory")
    before = rs.exact_snapshot(path)
    second = rs.update(path, rs.run_b_payloads(payloads)[0], "memory")
    assert second.metrics.records_updated and second.metrics.records_added
    for batch_no, data in rs.query(path, "SELECT batch_no, data FROM sqlbatch_undo WHERE run_id = ?", (second.run_id,)):
        rs.execute(
            path,
            "UPDATE sqlbatch_undo SET data = ? WHERE run_id = ? AND batch_no = ?",
            (_first_format(decode(data)), second.run_id, batch_no),
        )
    conn = sqlbatch.connect(str(path))
    try:
        reverted = sqlbatch.revert(conn, second.run_id)
    finally:
        conn.close()
    assert reverted.rows_restored > 0
    assert rs.exact_snapshot(path) == before
