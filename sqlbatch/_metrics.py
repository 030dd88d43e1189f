"""Run metrics: the plan's UpdateMetrics fields plus record counts and phase timings."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass
class Metrics:
    """Counters of one run. ``to_dict()`` / ``to_json()`` for reports and the journal."""

    batch_count: int = 0
    batches_succeeded: int = 0
    batches_failed: int = 0
    batch_errors: list[str] = field(default_factory=list)
    records_total: int = 0
    records_committed: int = 0
    records_added: int = 0
    records_updated: int = 0
    records_unchanged: int = 0
    records_quarantined: int = 0
    records_resolved: int = 0
    records_resumed: int = 0
    records_compensated: int = 0
    batches_compensated: int = 0
    warnings: int = 0
    bisection_passes: int = 0
    retries: int = 0
    commits: int = 0
    validation_over_budget: int = 0
    checkpoint_ms: float = 0.0
    apply_ms: float = 0.0
    validate_ms: float = 0.0
    commit_ms: float = 0.0
    rollback_ms: float = 0.0
    duration_s: float = 0.0

    def add(self, other: Metrics) -> None:
        """Add another run's (or group's) counters into this one."""
        for name, value in vars(other).items():
            if isinstance(value, list):
                getattr(self, name).extend(value)
            else:
                setattr(self, name, getattr(self, name) + value)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("checkpoint_ms", "apply_ms", "validate_ms", "commit_ms", "rollback_ms"):
            data[key] = round(data[key], 3)
        data["duration_s"] = round(self.duration_s, 3)
        return data

    def to_json(self) -> str:
        return json.dumps(self.to_dict())
