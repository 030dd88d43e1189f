"""The hearings job's settings: sqlbatch's variables (DESIGN §4) plus the job's own limits."""

from __future__ import annotations

from pydantic import Field

from sqlbatch import Settings

from .rules import RuleConfig

#: 2.4x the longest real title (4,233 characters): every real meeting passes, a runaway
#: payload (a 2 MB "title") is quarantined instead of stored.
DEFAULT_TITLE_MAX_LENGTH = 10_000


class HearingsSettings(Settings):
    """``TITLE_MAX_LENGTH`` (characters, ``0``: no limit) on top of sqlbatch's settings."""

    title_max_length: int = Field(DEFAULT_TITLE_MAX_LENGTH, ge=0, description="0 = no limit")

    def rules(self) -> RuleConfig:
        return RuleConfig(title_max_length=self.title_max_length or None)
