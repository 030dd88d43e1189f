"""``sqlbatch.connect("postgresql://...")``: the core's connection surface over psycopg 3.

The same surface as :class:`sqlbatch.Connection` on SQLite, so the processor, journal,
revert and units of work run unchanged:

* **No implicit transactions**, as on SQLite: the psycopg session is in autocommit and
  sqlbatch sends ``BEGIN`` itself (``with conn:``, a unit of work, a run's transactions);
  a statement outside them commits on its own.
* **Placeholders**: the core (and code written for SQLite) binds with ``?``; such SQL is
  translated to psycopg's ``%s`` (outside quotes and comments; ``%`` doubled). SQL that
  already uses ``%s`` or ``%(name)s`` is passed as it is.
* **Rows** are :class:`sqlbatch.Row` (tuples readable by column name), as on SQLite.
* A statement error aborts the whole PostgreSQL transaction (unlike SQLite's statement
  rollback): every unit of work holds a savepoint, so a failed batch is rolled back to it
  and the transaction goes on.
* The password of the URL is kept only to open sessions (the lease's); ``path``, ``repr``
  and every error sqlbatch raises show the URL with it masked.
"""

from __future__ import annotations

import contextlib
import functools
from collections.abc import Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit

import psycopg
from psycopg import sql as pgsql

from .._connection import Row
from .._errors import OpenError, UnitOfWorkError
from .._units import UnitHost
from ..file_mode import FileModeOutcome
from .capture import LOG
from .lease import AdvisoryLease
from .strategies import CaptureManager

__all__ = ["PgConnection", "connect_postgres", "redact"]

_IDLE = psycopg.pq.TransactionStatus.IDLE
_UNKNOWN = psycopg.pq.TransactionStatus.UNKNOWN
_INERROR = psycopg.pq.TransactionStatus.INERROR

# The capture's log for the whole session, not ON COMMIT DELETE ROWS: that empties it by
# truncating its files at every commit, ~5 ms each (measured here: 6.1 ms per small
# transaction against 0.3 ms), which made a commit per batch cost 1.2x one transaction. Units
# read only the rows after their mark; rolled-back rows vanish with their transaction; the
# capture manager truncates what committed transactions left once it grows (strategies.py).
_LOG_DDL = (
    f"CREATE TEMP TABLE IF NOT EXISTS {LOG} (seq bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,"
    " tbl text NOT NULL, op text NOT NULL, depth int NOT NULL, old jsonb, new jsonb)"
)


def redact(url: str) -> str:
    """``url`` with any password masked (``user:***@host``, ``password=***``)."""
    try:
        parts = urlsplit(url)
    except ValueError:
        return "postgresql://***"
    netloc = parts.netloc
    if "@" in netloc:
        who, _, where = netloc.rpartition("@")
        if ":" in who:
            who = who.split(":", 1)[0] + ":***"
        netloc = f"{who}@{where}"
    query = parts.query
    if query:
        pairs = [(k, "***" if k.lower() == "password" else v) for k, v in parse_qsl(query, keep_blank_values=True)]
        query = urlencode(pairs, safe="/*")
    if (netloc, query) == (parts.netloc, parts.query):
        return url  # nothing to mask (urlunsplit would also drop the empty host of ``postgresql:///db``)
    rebuilt = f"{parts.scheme}://{netloc}{parts.path}"
    return rebuilt + (f"?{query}" if query else "") + (f"#{parts.fragment}" if parts.fragment else "")


def _secrets(url: str) -> list[str]:
    try:
        parts = urlsplit(url)
        found = [parts.password or ""]
        found += [v for k, v in parse_qsl(parts.query) if k.lower() == "password"]
    except ValueError:
        return []
    return [s for s in found if s]


@functools.lru_cache(maxsize=1024)
def to_pyformat(sql: str) -> str:
    """SQLite's ``?`` placeholders as psycopg's ``%s``; quotes, comments and ``%s`` SQL left alone."""
    if "%s" in sql or "%(" in sql:
        return sql
    out: list[str] = []
    i, n = 0, len(sql)
    while i < n:
        ch = sql[i]
        if ch in "'\"":
            j = i + 1
            while j < n and not (sql[j] == ch and not sql.startswith(ch * 2, j)):
                j += 2 if sql.startswith(ch * 2, j) else 1
            out.append(sql[i : j + 1].replace("%", "%%"))
            i = j + 1
        elif sql.startswith("--", i):
            j = sql.find("\n", i)
            j = n if j < 0 else j
            out.append(sql[i:j].replace("%", "%%"))
            i = j
        else:
            out.append("%s" if ch == "?" else "%%" if ch == "%" else ch)
            i += 1
    return "".join(out)


def _rows(cursor: psycopg.Cursor[Any]) -> Any:
    names = tuple(d.name for d in cursor.description or ())
    return lambda values: Row(values, names)


class PgConnection(UnitHost):
    """A thin wrapper over a :class:`psycopg.Connection`; ``raw`` is the psycopg object."""

    def __init__(self, raw: psycopg.Connection[Any], conninfo: str, path: str) -> None:
        from .backend import POSTGRES

        self.raw = raw
        self.path = path
        self.backend = POSTGRES
        self.capture = CaptureManager(self)
        self.found_journal_mode: str | None = None
        self._conninfo = conninfo
        self.init_units()
        self._rowcount = -1

    # -- the familiar surface ----------------------------------------------------------------
    def cursor(self) -> psycopg.Cursor[Any]:
        return self.raw.cursor(row_factory=_rows)

    def execute(self, sql: str, params: Sequence[Any] | dict[str, Any] | None = None) -> psycopg.Cursor[Any]:
        cur = self.raw.cursor(row_factory=_rows)
        if params is None:
            cur.execute(sql)
        else:
            cur.execute(to_pyformat(sql), params)
        self._rowcount = cur.rowcount
        return cur

    def executemany(self, sql: str, seq: Iterable[Sequence[Any] | dict[str, Any]]) -> psycopg.Cursor[Any]:
        cur = self.raw.cursor(row_factory=_rows)
        cur.executemany(to_pyformat(sql), seq)
        self._rowcount = cur.rowcount
        return cur

    def executescript(self, sql: str) -> None:
        self.raw.execute(sql)

    def query_value(self, sql: str, params: Sequence[Any] | None = None) -> Any:
        row = self.execute(sql, params).fetchone()
        return row[0] if row else None

    def changes(self) -> int:
        """Rows the last statement wrote (psycopg's ``rowcount``)."""
        return self._rowcount

    def dump_rows(self) -> Iterator[str]:
        """Every table's rows of the current schema as sorted ``"table: (values...)"`` lines."""
        for table in self.backend.tables(self):
            query = pgsql.SQL("SELECT * FROM {}").format(pgsql.Identifier(table))
            for row in sorted(repr(tuple(r)) for r in self.raw.execute(query)):
                yield f"{table}: {row}"

    @property
    def in_transaction(self) -> bool:
        """True inside a transaction, a failed one (``INERROR``) included."""
        return self.raw.info.transaction_status not in (_IDLE, _UNKNOWN)

    @property
    def transaction_failed(self) -> bool:
        """A statement failed: the server refuses everything until a rollback (to a savepoint)."""
        return self.raw.info.transaction_status == _INERROR

    def close(self) -> None:
        if self.active_unit is not None:
            raise UnitOfWorkError("close(): a unit of work is still open on this connection")
        self.raw.close()

    def restore_journal_mode(self, wait_s: float = 2.0) -> FileModeOutcome:
        """Nothing to put back: a server has no file journal mode (kept for the same surface)."""
        return FileModeOutcome("postgresql", "postgresql")

    def side_session(self) -> psycopg.Connection[Any]:
        """A short autocommit session of its own on the same database (DDL committed at once);
        it waits at most 5 s for a lock."""
        side = psycopg.connect(self._conninfo, autocommit=True, connect_timeout=10, application_name="sqlbatch ddl")
        side.execute("SET lock_timeout = '5s'")
        return side

    def advisory_lease(self, job: str) -> AdvisoryLease:
        """The run lease of ``job`` on this database: a session advisory lock of its own."""
        return AdvisoryLease(self._conninfo, job)

    def abort(self) -> None:
        """Roll back whatever is open and end the open unit of work; safe when nothing is."""
        if self.in_transaction:
            with contextlib.suppress(psycopg.Error):
                self.raw.execute("ROLLBACK")
        self.drop_unit()

    def __repr__(self) -> str:
        return f"<sqlbatch.Connection {self.path!r}>"


def connect_postgres(url: str, *, connect_timeout: int = 10) -> PgConnection:
    """Open a session on ``url``; :class:`sqlbatch.OpenError` (password masked) when it fails."""
    shown = redact(url)
    try:
        raw = psycopg.connect(url, autocommit=True, connect_timeout=connect_timeout, application_name="sqlbatch")
    except psycopg.Error as exc:
        reason = str(exc).strip().splitlines()[-1] if str(exc).strip() else type(exc).__name__
        for secret in _secrets(url):  # libpq may quote a malformed part of the string back
            reason = reason.replace(secret, "***")
        raise OpenError(f"cannot connect to {shown}: {reason}") from None
    try:
        raw.execute(_LOG_DDL)  # the capture's log: once per session, outside any transaction
    except psycopg.Error:
        raw.close()
        raise
    return PgConnection(raw, url, shown)
