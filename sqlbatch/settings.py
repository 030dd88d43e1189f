"""Settings from environment variables and ``.env`` (a pydantic model).

The generic variables of a batched job; a job subclasses :class:`Settings` to add its own.
Each field is read from the variable of its name in upper case (any case matches), then from
``.env`` in the working directory, then its default; keyword arguments win over all three.
These are pydantic-settings' rules for this model: the model reads them itself because
importing pydantic-settings cost a run's start-up more than the whole of pydantic.
"""

from __future__ import annotations

import os
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from ._errors import ConfigurationError

__all__ = ["Settings", "load_settings"]

ENV_FILE = ".env"


class Settings(BaseModel):
    """The variables the plan fixed; bad values fail at start-up naming the variable."""

    model_config = ConfigDict(extra="ignore")

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

    @model_validator(mode="before")
    @classmethod
    def _from_environment(cls, given: Any) -> Any:
        """The fields not given as arguments, from the environment, then ``.env``."""
        if not isinstance(given, dict):
            return given
        found = {**_variables(_dotenv(), cls.model_fields), **_variables(os.environ, cls.model_fields)}
        return {**found, **given}


def _variables(source: Any, fields: dict[str, Any]) -> dict[str, str]:
    """The values of ``source`` (name -> text) whose name is a field's, in any case."""
    return {name.lower(): value for name, value in source.items() if name.lower() in fields and value is not None}


def _dotenv() -> dict[str, str | None]:
    if not os.path.isfile(ENV_FILE):
        return {}
    from dotenv import dotenv_values  # only when there is a file to parse

    return dotenv_values(ENV_FILE, encoding="utf-8")


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
