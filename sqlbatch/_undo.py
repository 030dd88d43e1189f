"""Durable before-images: a batch's recorded changes, compact, stored with the batch.

Each committed batch's changes (table, op, key, before, after by column name) are kept in
``sqlbatch_undo`` as zlib-compressed JSON, written in the same transaction as the batch,
so a run or batch can be reverted days later (see :func:`sqlbatch.revert`). BLOBs are
stored as ``{"$b": base64}``. Retention is by age of the run.
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


def encode(changes: list[Change]) -> bytes:
    """One JSON array of the changes, compressed as it is written (a piece at a time)."""
    packer = zlib.compressobj(1)
    out = [packer.compress(b"[")]
    for start in range(0, len(changes), _CHUNK):
        rows = [
            [c.table, c.op, c.key, c.key_columns, c.before, c.after, c.depth] for c in changes[start : start + _CHUNK]
        ]
        text = json.dumps(rows, separators=(",", ":"), ensure_ascii=False, default=_blob, check_circular=False)
        out.append(packer.compress((b"," if start else b"") + text[1:-1].encode()))
    out.append(packer.compress(b"]"))
    out.append(packer.flush())
    return b"".join(out)


def decode(blob: bytes) -> list[Change]:
    rows = json.loads(zlib.decompress(blob), object_hook=_unblob)
    return [
        Change(t, op, tuple(key), before, after, depth, tuple(cols)) for t, op, key, cols, before, after, depth in rows
    ]
