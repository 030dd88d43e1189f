"""The processor's settings, checked once at construction: a bad one names the call."""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ._errors import ConfigurationError
from ._lease import Lease
from ._retry import RetryPolicy
from .strategies import Strategy, resolve_strategy, strategy_name

__all__ = ["ProcessorConfig"]


def _default_key(record: Any) -> str:
    key = getattr(record, "key", None)
    return str(key) if key is not None else str(record)


def _default_payload(record: Any) -> str | None:
    value = getattr(record, "payload", record)
    try:
        return json.dumps(value, default=str, ensure_ascii=False)
    except (TypeError, ValueError):
        return repr(value)


@dataclass(frozen=True)
class ProcessorConfig:
    """Everything :class:`~sqlbatch.Processor` takes besides the connection (same names)."""

    apply: Callable[[Any, list[Any]], Sequence[str] | None]
    batch_size: int = 50
    strategy: Any = "memory"
    on_failure: str = "isolate"
    prepare: Callable[[Any], Any] | None = None
    record_validators: Sequence[Callable[[Any], Any]] = ()
    batch_validators: Sequence[Callable[[Any], Any]] = ()
    final_validators: Sequence[Callable[[Any], Any]] = ()
    key: Callable[[Any], str] = _default_key
    payload: Callable[[Any], str | None] = _default_payload
    cursor: Callable[[Any], str | None] | None = None
    validation_budget_ms: float = 200.0
    commit_interval_ms: float = 0.0
    all_or_nothing: bool = False
    backup_dir: str | Path | None = None
    backup_retention: int = 3
    retry: RetryPolicy | None = None
    job: str = "default"
    keep_undo: bool = True
    undo_retention_days: float = 30.0
    progress: Callable[[int], None] | None = None
    clock: Callable[[], float] = time.perf_counter
    lease: Lease | None = None
    lock_timeout: float = 60.0
    setup: Callable[[Any], None] | None = None
    #: resolved from ``strategy`` (a name or a callable) at construction
    tracker: Strategy = field(init=False, repr=False)

    def __post_init__(self) -> None:
        _callable("apply", self.apply)
        _integer("batch_size", self.batch_size, 1)
        if self.on_failure not in ("isolate", "skip-batch"):
            raise _bad("on_failure", self.on_failure, "use 'isolate' or 'skip-batch'")
        for name in ("prepare", "cursor", "progress", "setup"):
            if getattr(self, name) is not None:
                _callable(name, getattr(self, name))
        for name in ("key", "payload", "clock"):
            _callable(name, getattr(self, name))
        for name in ("record_validators", "batch_validators", "final_validators"):
            validators = getattr(self, name)
            if isinstance(validators, str | bytes) or not isinstance(validators, Iterable):
                raise _bad(name, validators, "must be a list of validators")
            validators = tuple(validators)
            if not all(callable(v) for v in validators):
                raise _bad(name, validators, "every validator must be callable")
            object.__setattr__(self, name, validators)
        _number("validation_budget_ms", self.validation_budget_ms, above_zero=True)
        _number("commit_interval_ms", self.commit_interval_ms)
        _number("undo_retention_days", self.undo_retention_days)
        _number("lock_timeout", self.lock_timeout)
        _integer("backup_retention", self.backup_retention, 1)
        for name in ("all_or_nothing", "keep_undo"):
            if not isinstance(getattr(self, name), bool):
                raise _bad(name, getattr(self, name), "must be True or False")
        if self.backup_dir is not None and not isinstance(self.backup_dir, str | Path):
            raise _bad("backup_dir", self.backup_dir, "must be a folder path or None")
        if self.retry is not None and not isinstance(self.retry, RetryPolicy):
            raise _bad("retry", self.retry, "must be a sqlbatch.RetryPolicy or None")
        if not isinstance(self.job, str) or not self.job:
            raise _bad("job", self.job, "must be a non-empty string")
        if self.lease is not None and not all(callable(getattr(self.lease, m, None)) for m in ("acquire", "release")):
            raise _bad("lease", self.lease, "must have acquire(timeout) and release()")
        object.__setattr__(self, "tracker", resolve_strategy(self.strategy))
        if self.retry is None:
            object.__setattr__(self, "retry", RetryPolicy())

    @property
    def strategy_name(self) -> str:
        return strategy_name(self.tracker)

    @property
    def mode(self) -> str:
        return "all-or-nothing" if self.all_or_nothing else "batched"


def _bad(name: str, value: Any, why: str) -> ConfigurationError:
    return ConfigurationError(f"Processor({name}={value!r}): {why}")


def _callable(name: str, value: Any) -> None:
    if not callable(value):
        raise _bad(name, value, f"{name} must be callable")


def _integer(name: str, value: Any, least: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad(name, value, "must be an integer")
    if value < least:
        raise _bad(name, value, f"must be >= {least}")


def _number(name: str, value: Any, *, above_zero: bool = False) -> None:
    if isinstance(value, bool) or not isinstance(value, int | float) or math.isnan(value):
        raise _bad(name, value, "must be a number")
    if above_zero and value <= 0:
        raise _bad(name, value, "must be > 0")
    if value < 0:
        raise _bad(name, value, "must be >= 0")
