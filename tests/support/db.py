"""Second connections on a database file: what a test asserts is what was committed to disk."""

from __future__ import annotations

import os
from collections.abc import Sequence
from typing import Any

import apsw

#: The rollback strategies every matrix runs.
STRATEGIES = ("memory", "savepoint", "session")

PathLike = str | os.PathLike[str]


def reopen(path: PathLike) -> apsw.Connection:
    """A fresh, read-only connection on the file."""
    return apsw.Connection(os.fspath(path), flags=apsw.SQLITE_OPEN_READONLY)


def open_raw(path: PathLike) -> apsw.Connection:
    """A plain read-write APSW connection with foreign keys on (as ``sqlbatch.connect`` sets them)."""
    raw = apsw.Connection(os.fspath(path))
    raw.execute("PRAGMA foreign_keys=ON")
    return raw


def query(path: PathLike, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> list[tuple[Any, ...]]:
    """The rows of ``sql``, read through a fresh read-only connection."""
    conn = reopen(path)
    try:
        return [tuple(r) for r in conn.execute(sql, params)]
    finally:
        conn.close()


def execute(path: PathLike, sql: str, params: Sequence[Any] | dict[str, Any] = ()) -> None:
    """A change by hand: plain SQL through a plain connection, outside any run."""
    conn = open_raw(path)
    try:
        conn.execute(sql, params)
    finally:
        conn.close()


def integrity(path: PathLike) -> tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]:
    """``PRAGMA integrity_check`` and ``PRAGMA foreign_key_check`` rows."""
    return query(path, "PRAGMA integrity_check"), query(path, "PRAGMA foreign_key_check")
