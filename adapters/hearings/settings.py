"""The hearings job's settings: sqlbatch's variables (batch size, strategy, retries, ...,
from the environment and ``.env``) plus the job's own: the Congress.gov key and URL, its
limits."""

from __future__ import annotations

from pydantic import Field, SecretStr

from sqlbatch import Settings

from .rules import DEFAULT_TITLE_MAX_LENGTH, RuleConfig
from .sources.endpoints import DEFAULT_BASE_URL
from .sources.ratelimit import RATE_WINDOW_SECONDS

#: One rolling window (api.data.gov counts each key's requests over the last hour): a run
#: that used up the key's budget is sure to get requests again within it.
DEFAULT_API_MAX_WAIT_SECONDS = RATE_WINDOW_SECONDS


class HearingsSettings(Settings):
    """The job's own settings on top of sqlbatch's.

    ``CONGRESS_API_KEY`` (a ``SecretStr``: never printed) and ``CONGRESS_API_BASE_URL`` for
    ``--source api``; ``TITLE_MAX_LENGTH`` (characters, ``0``: no limit);
    ``API_MAX_WAIT_SECONDS``: how long a rate-limited run may wait for the hourly window
    before it stops (exit 3) to resume later; ``API_RATE_WINDOW_SECONDS``: the length of
    that window (3600 for Congress.gov; a mirror or a test server may count over a shorter one).
    """

    congress_api_key: SecretStr | None = None
    congress_api_base_url: str = DEFAULT_BASE_URL
    title_max_length: int = Field(DEFAULT_TITLE_MAX_LENGTH, ge=0, description="0 = no limit")
    api_max_wait_seconds: float = Field(DEFAULT_API_MAX_WAIT_SECONDS, ge=0)
    api_rate_window_seconds: float = Field(RATE_WINDOW_SECONDS, gt=0)

    def rules(self) -> RuleConfig:
        return RuleConfig(title_max_length=self.title_max_length or None)
