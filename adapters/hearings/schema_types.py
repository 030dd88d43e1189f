"""The one type the schema and store modules share: anything that executes SQL."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["Executes"]


class Executes(Protocol):
    """Anything with ``execute(sql, params)`` returning an iterable of row tuples, and
    ``executemany(sql, rows)``."""

    def execute(self, sql: str, bindings: Any = ..., /) -> Any: ...

    def executemany(self, sql: str, sequenceofbindings: Any, /) -> Any: ...
