"""The hearings schema's DDL, read from the ``sql/`` resources, and the values it allows.

The ``.sql`` files are the one source: the earlier database's statements must stay
verbatim (``sqlite_master`` keeps their text, comments and line breaks included), so the
allowed values are read out of their ``CHECK (column IN (...))`` constraints rather than
written into them; the rules, the mapping and the committee upsert use these constants.
"""

from __future__ import annotations

import re
from functools import cache
from importlib import resources

__all__ = [
    "BILL_TYPES",
    "CHAMBERS",
    "COMMITTEE_CHAMBERS",
    "COMMITTEE_TYPES",
    "EARLIER_INDEXES",
    "EARLIER_TABLES",
    "MEETING_TYPES",
    "RELATED_TABLES",
    "STATUSES",
    "WITNESS_DOCUMENT_TYPES",
    "allowed_values",
    "statements",
]

_END = re.compile(r";[ \t]*\n")
_CREATE = re.compile(r"CREATE (?:TABLE|INDEX) (?:IF NOT EXISTS )?(\w+)")
_CHECK = re.compile(r"CHECK \((\w+) IN \(([^)]*)\)\)")


@cache
def statements(name: str) -> tuple[str, ...]:
    """The statements of ``sql/<name>``, each as SQLite will keep it (no comment lines before it)."""
    text = resources.files("adapters.hearings").joinpath("sql", name).read_text(encoding="utf-8")
    out = []
    for chunk in _END.split(text):
        lines = chunk.strip("\n").split("\n")
        while lines and (not lines[0].strip() or lines[0].lstrip().startswith("--")):
            lines.pop(0)
        if lines:
            out.append("\n".join(lines))
    return tuple(out)


_EARLIER = statements("earlier_schema.sql")
EARLIER_TABLES = tuple(s for s in _EARLIER if s.startswith("CREATE TABLE"))
EARLIER_INDEXES = tuple(s for s in _EARLIER if s.startswith("CREATE INDEX"))
RELATED_TABLES = statements("related_tables.sql")


def allowed_values(table: str, column: str) -> tuple[str, ...]:
    """The values ``CHECK (column IN (...))`` of ``table`` allows, in the DDL's order."""
    for statement in EARLIER_TABLES:
        found = _CREATE.match(statement)
        if found and found.group(1) == table:
            for name, values in _CHECK.findall(statement):
                if name == column:
                    return tuple(re.findall(r"'([^']*)'", values))
    raise KeyError(f"allowed_values: no CHECK ({column} IN ...) on table {table!r}")


CHAMBERS = frozenset(allowed_values("hearings", "chamber"))
MEETING_TYPES = frozenset(allowed_values("hearings", "hearing_type"))
STATUSES = frozenset(allowed_values("hearings", "status"))
BILL_TYPES = frozenset(allowed_values("bills", "bill_type"))
COMMITTEE_CHAMBERS = frozenset(allowed_values("committees", "chamber"))
COMMITTEE_TYPES = frozenset(allowed_values("committees", "type"))
WITNESS_DOCUMENT_TYPES = allowed_values("witness_documents", "document_type")
