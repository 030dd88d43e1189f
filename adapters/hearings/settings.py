"""The hearings job's settings: sqlbatch's variables (DESIGN §4) plus the job's own limits."""

from __future__ import annotations

from pydantic import Field, SecretStr

from sqlbatch import Settings

from .rules import RuleConfig

#: 2.4x the longest real title (4,233 characters): every real meeting passes, a runaway
#: payload (a 2 MB "title") is quarantined instead of stored.
DEFAULT_TITLE_MAX_LENGTH = 10_000


#: One rolling hour (api.data.gov counts each key's requests over the last hour): a run that
#: used up the key's budget is sure to get requests again within one window.
DEFAULT_API_MAX_WAIT_SECONDS = 3600.0


class HearingsSettings(Settings):
    """The job's own limits on top of sqlbatch's settings.

    ``TITLE_MAX_LENGTH`` (characters, ``0``: no limit); ``API_MAX_WAIT_SECONDS``: how long a
    rate-limited run may wait for the hourly window before it stops (exit 3) to resume
    later; ``API_RATE_WINDOW_SECONDS``: the length of that window (3600 for Congress.gov; a
    mirror or a test server may count over a shorter one).
    """

    title_max_length: int = Field(DEFAULT_TITLE_MAX_LENGTH, ge=0, description="0 = no limit")
    api_max_wait_seconds: float = Field(DEFAULT_API_MAX_WAIT_SECONDS, ge=0)
    api_rate_window_seconds: float = Field(3600.0, gt=0)
    congress_api_key: SecretStr | None = None
    congress_api_base_url: str = "https://api.congress.gov/v3"

    def rules(self) -> RuleConfig:
        return RuleConfig(title_max_length=self.title_max_length or None)
