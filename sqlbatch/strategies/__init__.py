"""Rollback strategies: ``memory`` (undo log), ``savepoint``, ``session``.

Select one by name or pass any callable ``conn -> Tracker`` (see :mod:`._base`).
"""

from __future__ import annotations

from typing import Any

from .._errors import ConfigurationError
from ._base import Strategy, Tracker
from .memory import MemoryStrategy
from .savepoint import SavepointStrategy
from .session import SessionStrategy

__all__ = [
    "STRATEGIES",
    "MemoryStrategy",
    "SavepointStrategy",
    "SessionStrategy",
    "Strategy",
    "Tracker",
    "resolve_strategy",
]

STRATEGIES: dict[str, Strategy] = {
    "memory": MemoryStrategy(),
    "savepoint": SavepointStrategy(),
    "session": SessionStrategy(),
}


def resolve_strategy(strategy: Any) -> Strategy:
    """A strategy from its name, or the object itself if callable."""
    if isinstance(strategy, str):
        try:
            return STRATEGIES[strategy]
        except KeyError:
            raise ConfigurationError(
                f"unit_of_work(strategy={strategy!r}): unknown strategy; choose one of {', '.join(STRATEGIES)}"
            ) from None
    if callable(strategy):
        return strategy
    raise ConfigurationError(f"unit_of_work(strategy={strategy!r}): expected a name or a callable conn -> Tracker")


def strategy_name(strategy: Any) -> str:
    return getattr(strategy, "name", None) or getattr(strategy, "__name__", None) or repr(strategy)
