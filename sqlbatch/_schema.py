"""Per-connection cache of table layouts (``PRAGMA table_xinfo``), keyed by schema version.

Undo statements and before-images need column *names* in the order SQLite reports values
to the preupdate hook and the session extension: declaration order, generated columns
included. Reading the layout per write would cost more than the write, so it is read once
per table and invalidated when ``PRAGMA schema_version`` changes.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import apsw

_GENERATED_VIRTUAL = 2
_GENERATED_STORED = 3


@dataclass(frozen=True, slots=True)
class TableInfo:
    """Layout of one table, as undo needs it."""

    name: str
    columns: tuple[str, ...]
    pk: tuple[str, ...]
    without_rowid: bool
    generated: frozenset[str]
    virtual_generated: frozenset[str]
    writable: tuple[int, ...] = field(default=())  # indexes of columns undo may write

    def key_of(self, rowid: int, values: tuple | None) -> tuple:
        """The identity of a row: its rowid, or its primary key for WITHOUT ROWID tables."""
        if not self.without_rowid or values is None:
            return (rowid,)
        return tuple(values[self.columns.index(c)] for c in self.pk)


def quote(name: str) -> str:
    """Quote an SQL identifier."""
    return '"' + name.replace('"', '""') + '"'


class SchemaCache:
    """Table layouts of the ``main`` database of one connection."""

    def __init__(self, conn: apsw.Connection) -> None:
        self._conn = conn
        self._version: int | None = None
        self._tables: dict[str, TableInfo] = {}
        self._virtual: list[str] | None = None

    def refresh(self) -> None:
        """Drop cached layouts if the schema changed since they were read."""
        version = self._conn.execute("PRAGMA schema_version").fetchall()[0][0]
        if version != self._version:
            self._version = version
            self._tables.clear()
            self._virtual = None

    def table(self, name: str) -> TableInfo:
        """Layout of ``name`` (cached)."""
        info = self._tables.get(name)
        if info is None:
            info = self._tables[name] = self._read(name)
        return info

    def virtual_generated_tables(self) -> list[str]:
        """Tables with VIRTUAL generated columns (the preupdate hook cannot read their rows)."""
        if self._virtual is None:
            names = [
                r[0]
                for r in self._conn.execute(
                    "SELECT name FROM sqlite_schema WHERE type='table' AND name NOT LIKE 'sqlite_%'"
                )
            ]
            self._virtual = [n for n in names if self.table(n).virtual_generated]
        return self._virtual

    def _read(self, name: str) -> TableInfo:
        rows = self._conn.execute(f"PRAGMA main.table_xinfo({quote(name)})").fetchall()
        if not rows:
            raise KeyError(name)
        columns = tuple(r[1] for r in rows)
        pk = tuple(r[1] for r in sorted((r for r in rows if r[5]), key=lambda r: r[5]))
        generated = frozenset(r[1] for r in rows if r[6] in (_GENERATED_VIRTUAL, _GENERATED_STORED))
        virtual = frozenset(r[1] for r in rows if r[6] == _GENERATED_VIRTUAL)
        sql = self._conn.execute("SELECT sql FROM sqlite_schema WHERE type='table' AND name=?", (name,)).fetchall()
        without_rowid = bool(sql and sql[0][0] and "WITHOUTROWID" in _squash(sql[0][0]))
        writable = tuple(i for i, c in enumerate(columns) if c not in generated)
        return TableInfo(name, columns, pk, without_rowid, generated, virtual, writable)


def _squash(sql: str) -> str:
    return "".join(sql.upper().split())
