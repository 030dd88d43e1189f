"""Durable before-images: a batch's recorded changes, compact, stored with the batch.

Each committed batch's changes (table, op, key, before, after by column name) are kept in
``sqlbatch_undo`` as zlib-compressed JSON, written in the same transaction as the batch,
so a run or batch can be reverted days later (see :mod:`sqlbatch.revert`). BLOBs are
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
    PRIMARY KEY (run_id, batch_no)
);
"""


def _enc(value: Any) -> Any:
    if isinstance(value, bytes | bytearray | memoryview):
        return {"$b": base64.b64encode(bytes(value)).decode("ascii")}
    if isinstance(value, dict):
        return {k: _enc(v) for k, v in value.items()}
    return value


def _dec(value: Any) -> Any:
    if isinstance(value, dict):
        if len(value) == 1 and "$b" in value:
            return base64.b64decode(value["$b"])
        return {k: _dec(v) for k, v in value.items()}
    return value


def encode(changes: list[Change]) -> bytes:
    rows = [
        [c.table, c.op, [_enc(k) for k in c.key], list(c.key_columns), _enc(c.before), _enc(c.after), c.depth]
        for c in changes
    ]
    return zlib.compress(json.dumps(rows, separators=(",", ":"), ensure_ascii=False).encode(), 1)


def decode(blob: bytes) -> list[Change]:
    rows = json.loads(zlib.decompress(blob))
    return [
        Change(t, op, tuple(_dec(k) for k in key), _dec(before), _dec(after), depth, tuple(cols))
        for t, op, key, cols, before, after, depth in rows
    ]
