"""Settings from environment variables and ``.env`` (pydantic-settings).

The generic variables of a batched job; a job subclasses :class:`Settings` to add its own.
"""

from __future__ import annotations

from typing import Literal, TypeVar

from pydantic import Field, ValidationError
from pydantic_settings import BaseSettings, SettingsConfigDict

from ._errors import ConfigurationError

__all__ = ["Settings", "load_settings"]


class Settings(BaseSettings):
    """The variables the plan fixed; bad values fail at start-up naming the variable."""

    model_config = SettingsConfigDict(env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False)

    enable_batch_processing: bool = True
    batch_size: int = Field(50, ge=1, le=100_000)
    batch_validation_timeout: float = Field(200, gt=0, description="milliseconds")
    rollback_strategy: Literal["memory", "savepoint", "session"] = "memory"
    on_batch_failure: Literal["isolate", "skip-batch"] = "isolate"
    commit_interval_ms: float = Field(0, ge=0, description="0 = commit every batch")
    max_retry_seconds: float = Field(30, ge=0)
    backup_retention: int = Field(3, ge=1)
    undo_retention_days: float = Field(30, ge=0, description="0 = keep before-images forever")
    #: 60 s lets a run that is finishing (its last commit, the post-run check) end, so a rerun
    #: started right after it does not fail; a cron job that overlaps a long run stops soon
    #: instead of piling up (the next run catches up from the cursor).
    run_lock_timeout: float = Field(60, ge=0, description="seconds a second run waits for the run lease")


S = TypeVar("S", bound="Settings")

#: a variable whose name holds one of these is never shown, not even in an error message
_SECRET_WORDS = ("KEY", "PASSWORD", "SECRET", "TOKEN")


def load_settings(settings_class: type[S] = Settings, /, **overrides: object) -> S:  # type: ignore[assignment]
    """Read the settings, turning a validation error into one line per bad variable.

    ``settings_class`` is :class:`Settings` or a job's subclass adding its own variables.
    """
    try:
        return settings_class(**overrides)  # type: ignore[arg-type]
    except ValidationError as exc:
        problems = []
        for err in exc.errors():
            name = str(err["loc"][0]).upper() if err["loc"] else "?"
            value = err.get("input")
            shown = "<hidden>" if any(word in name for word in _SECRET_WORDS) else repr(value)
            problems.append(f"{name}={shown}: {err['msg']}")
        raise ConfigurationError("bad setting: " + "; ".join(problems)) from None
