"""SQLite's half of restoring rows (:class:`~sqlbatch.SqliteBackend`): by rowid or primary key.

Before-images are put back newest first with triggers off and foreign keys deferred (see
:func:`~sqlbatch.strategies._base.quiet_writes`); rows are found by ``rowid`` (or their
primary key for WITHOUT ROWID tables); dangling references come from
``PRAGMA foreign_key_check``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from ._schema import quote
from .strategies._base import quiet_writes

if TYPE_CHECKING:
    from ._backend import Dangling
    from ._changes import Change
    from ._connection import Connection

__all__ = ["current_row", "dangling", "restore_changes"]


def current_row(conn: Connection, change: Change) -> dict[str, Any] | None:
    where, params = _where(change)
    for row in conn.execute(f"SELECT * FROM main.{quote(change.table)} WHERE {where}", params):
        return row.asdict()
    return None


def restore_changes(conn: Connection, changes: list[Change]) -> None:
    """Undo ``changes`` (in the open transaction), newest first, without triggers firing."""
    with quiet_writes(conn.raw):
        for change in reversed(changes):
            _restore(conn, change)


def dangling(conn: Connection, tables: set[str] | None) -> list[Dangling]:
    """Rows referring to a missing row in ``tables`` and the tables referring to them (None: all)."""
    from ._backend import Dangling

    raw = conn.raw
    if tables is None:
        found = raw.execute("PRAGMA foreign_key_check").fetchall()
    else:
        checks = (raw.execute(f"PRAGMA foreign_key_check({quote(t)})") for t in _fk_tables(conn, tables))
        found = [tuple(r) for rows in checks for r in rows]
    fk_lists: dict[str, dict[int, list[tuple[str, str]]]] = {}
    out = []
    for table, rowid, parent, fkid in found:
        if table not in fk_lists:
            groups: dict[int, list[tuple[str, str]]] = {}
            for row in raw.execute(f"PRAGMA foreign_key_list({quote(table)})"):
                groups.setdefault(row[0], []).append((row[3], row[4]))
            fk_lists[table] = groups
        pairs = fk_lists[table].get(fkid, [])
        values: tuple = ()
        if rowid is not None and pairs:
            cols = ", ".join(quote(c) for c, _ in pairs)
            values = tuple(raw.execute(f"SELECT {cols} FROM {quote(table)} WHERE rowid=?", (rowid,)).fetchone() or ())
        known = bool(values) and all(to for _, to in pairs)
        parent_key = tuple(zip([to for _, to in pairs], values, strict=True)) if known else ()
        key = (rowid,) if rowid is not None else ()
        out.append(Dangling(table, ("rowid",), key, parent, tuple(c for c, _ in pairs), values, parent_key, fkid))
    return out


def _fk_tables(conn: Connection, tables: set[str]) -> list[str]:
    """The tables of ``tables`` and those whose foreign keys refer to them."""
    names = [r[0] for r in conn.raw.execute("SELECT name FROM sqlite_schema WHERE type='table'")]
    out = []
    for name in names:
        parents = {r[2] for r in conn.raw.execute(f"PRAGMA foreign_key_list({quote(name)})")}
        if name in tables or parents & tables:
            out.append(name)
    return sorted(out)


def _where(change: Change) -> tuple[str, list[Any]]:
    return " AND ".join(f"{_col(c)}=?" for c in change.key_columns), list(change.key)


def _col(name: str) -> str:
    return "rowid" if name == "rowid" else quote(name)


def _restore(conn: Connection, c: Change) -> None:
    raw = conn.raw
    info = conn.schema.table(c.table)
    table = f"main.{quote(c.table)}"
    if c.op == "INSERT":
        where, params = _where(c)
        raw.execute(f"DELETE FROM {table} WHERE {where}", params)
        return
    before = {k: v for k, v in (c.before or {}).items() if k not in info.generated}
    if c.op == "DELETE":
        cols = list(before)
        values = list(before.values())
        if c.key_columns == ("rowid",):
            cols.insert(0, "rowid")
            values.insert(0, c.key[0])
        names = ", ".join(_col(n) for n in cols)
        raw.execute(f"INSERT INTO {table}({names}) VALUES ({', '.join('?' * len(cols))})", values)
        return
    where, params = _where(c)
    sets = ", ".join(f"{quote(k)}=?" for k in before)
    raw.execute(f"UPDATE {table} SET {sets} WHERE {where}", [*before.values(), *params])
