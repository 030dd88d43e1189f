"""A table as the PostgreSQL capture needs it: columns, primary key, and compensating writes.

Images travel as JSON text (``to_jsonb(OLD)``/``to_jsonb(NEW)``, by column name) and go
back into the table through ``jsonb_populate_record(NULL::table, image)``: the server turns
each value back with its own input function, so every type (timestamps, numeric scale,
bytea, arrays, NaN) is restored exactly, whatever Python would have made of it.
"""

from __future__ import annotations

from dataclasses import dataclass

import psycopg
from psycopg import sql

from .._errors import UnsupportedSchemaError

__all__ = ["NoPrimaryKey", "TableShape", "compensate", "table_shape"]


class NoPrimaryKey(UnsupportedSchemaError):
    """A table without a primary key cannot be captured: its rows cannot be found again."""


@dataclass(frozen=True, slots=True)
class TableShape:
    schema: str
    name: str
    columns: tuple[str, ...]  # every column, in table order
    pk: tuple[str, ...]
    settable: tuple[str, ...]  # what a restore may write: no generated, no identity ALWAYS
    insertable: tuple[str, ...]  # what a re-insert writes: no generated columns

    @property
    def ident(self) -> sql.Composable:
        return sql.Identifier(self.schema, self.name)


_COLUMNS = """
SELECT a.attname, a.attgenerated <> '', a.attidentity = 'a',
       coalesce(array_position(i.indkey::int2[], a.attnum) + 1, 0)  -- int2vector counts from 0
FROM pg_attribute a
LEFT JOIN pg_index i ON i.indrelid = a.attrelid AND i.indisprimary
WHERE a.attrelid = %s AND a.attnum > 0 AND NOT a.attisdropped
ORDER BY a.attnum
"""


def table_shape(conn: psycopg.Connection, schema: str, table: str) -> TableShape:
    """Read one table's shape; a missing table or one without a primary key is refused by name."""
    oid = conn.execute("SELECT to_regclass(format('%%I.%%I', %s::text, %s::text))::oid", (schema, table)).fetchone()
    if oid is None or oid[0] is None:
        raise UnsupportedSchemaError(f"cannot capture {schema}.{table}: no such table")
    rows = conn.execute(_COLUMNS, (oid[0],)).fetchall()
    pk = tuple(name for name, _, _, pos in sorted(rows, key=lambda r: r[3]) if pos > 0)
    if not pk:
        raise NoPrimaryKey(
            f"cannot capture {schema}.{table}: it has no primary key (undo and revert find rows by it); add one"
        )
    return TableShape(
        schema=schema,
        name=table,
        columns=tuple(r[0] for r in rows),
        pk=pk,
        settable=tuple(r[0] for r in rows if not r[1] and not r[2]),
        insertable=tuple(r[0] for r in rows if not r[1]),
    )


def _names(cols: tuple[str, ...]) -> sql.Composable:
    return sql.SQL(", ").join(map(sql.Identifier, cols))


def _from_image(shape: TableShape, cols: tuple[str, ...], param: str) -> sql.Composable:
    return sql.SQL("SELECT {cols} FROM jsonb_populate_record(NULL::{t}, {p}::jsonb)").format(
        cols=_names(cols), t=shape.ident, p=sql.Placeholder(param)
    )


def compensate(cur: psycopg.Cursor, shape: TableShape, op: str, before: str | None, after: str | None) -> int:
    """Undo one recorded change from its JSON images; returns the rows written (1 unless it was gone)."""
    key = sql.SQL("({pk}) = ({sel})").format(pk=_names(shape.pk), sel=_from_image(shape, shape.pk, "after"))
    if op == "INSERT":
        query = sql.SQL("DELETE FROM {t} WHERE {key}").format(t=shape.ident, key=key)
    elif op == "DELETE":
        query = sql.SQL("INSERT INTO {t} ({cols}) OVERRIDING SYSTEM VALUE {sel}").format(
            t=shape.ident, cols=_names(shape.insertable), sel=_from_image(shape, shape.insertable, "before")
        )
    elif op == "UPDATE":
        if not shape.settable:
            return 0  # nothing a restore may write (only generated or identity ALWAYS columns)
        query = sql.SQL("UPDATE {t} SET ({cols}) = ({sel}) WHERE {key}").format(
            t=shape.ident, cols=_names(shape.settable), sel=_from_image(shape, shape.settable, "before"), key=key
        )
    else:
        raise ValueError(f"cannot compensate op {op!r}: expected INSERT, UPDATE or DELETE")
    cur.execute(query, {"before": before, "after": after})
    return cur.rowcount
