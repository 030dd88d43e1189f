"""The one type the schema and store modules share: anything that executes SQL."""

from __future__ import annotations

from typing import Any, Protocol

__all__ = ["Executes"]


class Executes(Protocol):
    """Anything with ``execute(sql, params)`` returning an iterable of row tuples."""

    def execute(self, sql: str, bindings: Any = ..., /) -> Any: ...
