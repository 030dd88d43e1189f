"""What a run returns: outcomes, quarantined records, the result, and the processor's errors."""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from typing import Any

from ._errors import SqlbatchError
from ._metrics import Metrics
from .validators import Issue

__all__ = ["Outcome", "Prepared", "ProcessorAborted", "QuarantinedRecord", "RunResult", "SourceFailed"]


class Outcome(enum.StrEnum):
    """What ``apply`` did with one record (plain strings with these values are accepted too)."""

    ADDED = "added"
    UPDATED = "updated"
    UNCHANGED = "unchanged"


@dataclass(frozen=True, slots=True)
class Prepared:
    """What ``prepare`` may return to pass warnings (or errors) along with the value."""

    value: Any
    issues: Sequence[Issue] = ()


@dataclass(frozen=True)
class QuarantinedRecord:
    record_key: str
    batch: int | None
    rule: str
    reason: str
    field: str | None = None

    @classmethod
    def of(cls, key: str, batch: int | None, issue: Issue) -> QuarantinedRecord:
        """The record ``key`` of ``batch``, quarantined for ``issue``."""
        return cls(key, batch, issue.rule, issue.message, issue.field)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass
class RunResult:
    run_id: int | None
    status: str
    mode: str
    strategy: str
    batch_size: int
    on_failure: str
    metrics: Metrics
    quarantined: list[QuarantinedRecord] = field(default_factory=list)
    warnings: list[Issue] = field(default_factory=list)
    error: str | None = None
    dry_run: bool = False
    backup_path: str | None = None
    changes: list[Any] = field(default_factory=list, repr=False)  # dry run only: what would change

    def to_dict(self) -> dict[str, Any]:
        return {
            "run_id": self.run_id,
            "status": self.status,
            "mode": self.mode,
            "strategy": self.strategy,
            "on_failure": self.on_failure,
            "batch_size": self.batch_size,
            "dry_run": self.dry_run,
            **self.metrics.to_dict(),
            "quarantined": [q.to_dict() for q in self.quarantined],
            "warning_examples": [
                {"record_key": w.record, "rule": w.rule, "field": w.field, "message": w.message}
                for w in self.warnings[:20]
            ],
            "error": self.error,
            "backup": self.backup_path,
        }


class SourceFailed(SqlbatchError):
    """Reading the records failed (the source, not a record): the run stops, batches stay."""


class ProcessorAborted(SqlbatchError):
    """A fatal error stopped the run; committed batches stay and a rerun resumes."""

    def __init__(self, message: str, result: RunResult) -> None:
        super().__init__(message)
        self.result = result
