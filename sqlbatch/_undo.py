"""Durable before-images: a batch's recorded changes, compact, stored with the batch.

Each committed batch's changes are kept in ``sqlbatch_undo`` as zlib-compressed JSON,
written in the same transaction as the batch, so a run or batch can be reverted days later
(see :func:`sqlbatch.revert`). BLOBs are stored as ``{"$b": base64}``. Retention is by age of
the run.

The JSON is an array. Its first element, ``"sqlbatch-undo/2"``, says that the second lists
the row layouts (``[table, [columns], [key columns]]``) and every later element is one change
``[layout, op, key, before values, after values, depth]``: the column names are written once
per layout instead of once per row, and the capture's value tuples are written as they are
(building a dict per row cost more than the JSON). A change whose two images hold different
columns is written whole, ``[table, op, key, key columns, before, after, depth]``, which is
also every element of the first format (no marker): both are read.
"""

from __future__ import annotations

import base64
import json
import zlib
from typing import Any

from ._changes import Change

SCHEMA = """
CREATE TABLE IF NOT EXISTS sqlbatch_undo (
    run_id INTEGER NOT NULL,
    batch_no INTEGER NOT NULL,
    changes INTEGER NOT NULL,
    data BLOB NOT NULL,
    keys TEXT,
    PRIMARY KEY (run_id, batch_no)
);
"""

FORMAT = "sqlbatch-undo/2"


def _blob(value: Any) -> dict[str, str]:
    """``json.dumps`` calls this only for what JSON cannot hold: BLOBs."""
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    raise TypeError(f"cannot store a {type(value).__name__} in a before-image")


def _unblob(obj: dict[str, Any]) -> Any:
    if len(obj) == 1 and "$b" in obj:
        return base64.b64decode(obj["$b"])
    return obj


_CHUNK = 1000  # changes per piece of JSON: the text of a whole run is never held at once


def _dumps(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False, default=_blob, check_circular=False).encode()


def encode(changes: list[Change]) -> bytes:
    """The changes in the current format, compressed as they are written (a piece at a time)."""
    layouts: dict[tuple[str, tuple[str, ...], tuple[str, ...]], int] = {}
    rows: list[Any] = []
    for c in changes:
        images = c.images()
        if images is None:
            rows.append((c.table, c.op, c.key, c.key_columns, c.before, c.after, c.depth))
            continue
        columns, before, after = images
        shape = (c.table, columns, c.key_columns)
        layout = layouts.get(shape)
        if layout is None:
            layout = layouts[shape] = len(layouts)
        rows.append((layout, c.op, c.key, before, after, c.depth))
    packer = zlib.compressobj(1)
    out = [packer.compress(b'["' + FORMAT.encode() + b'",' + _dumps(list(layouts)))]
    for start in range(0, len(rows), _CHUNK):
        out.append(packer.compress(b"," + _dumps(rows[start : start + _CHUNK])[1:-1]))
    out.append(packer.compress(b"]"))
    out.append(packer.flush())
    return b"".join(out)


def decode(blob: bytes) -> list[Change]:
    rows = json.loads(zlib.decompress(blob), object_hook=_unblob)
    layouts: list[Any] = []
    if rows and rows[0] == FORMAT:
        layouts, rows = rows[1], rows[2:]
    out = []
    for row in rows:
        if isinstance(row[0], int):
            layout, op, key, before, after, depth = row
            table, columns, key_columns = layouts[layout]
            out.append(
                Change.from_images(
                    table,
                    op,
                    tuple(key),
                    tuple(columns),
                    None if before is None else tuple(before),
                    None if after is None else tuple(after),
                    depth,
                    tuple(key_columns),
                )
            )
        else:
            table, op, key, key_columns, before, after, depth = row
            out.append(Change(table, op, tuple(key), before, after, depth, tuple(key_columns)))
    return out
