"""Where hearings records come from: files, the bundled sample, the Congress.gov API.

Every source yields :class:`RawRecord` (position, payload, error) in input order::

    read_path("meetings.ndjson")     # NDJSON / JSON array file, or a directory of .json
    read_sample()                    # the real 119th-Congress meetings bundled in the package
    CongressClient(key).iter_meetings(119, since="2025-09-01")

Errors: :class:`SourceError` (the input cannot be read at all: a usage error) and the
:class:`ApiError` tree (:class:`ApiAuthError`, :class:`ApiUnavailable`,
:class:`ApiResponseError`).
"""

from typing import Any

from .endpoints import DEFAULT_BASE_URL
from .errors import ApiAuthError, ApiError, ApiRateLimited, ApiResponseError, ApiUnavailable, SourceError
from .files import read_path
from .ratelimit import RateLimiter
from .record import RawRecord, unwrap
from .redact import RedactingFilter, Redactor
from .retry import HttpRetry
from .sample import read_sample

__all__ = [
    "DEFAULT_BASE_URL",
    "MAX_PAGE_SIZE",
    "ApiAuthError",
    "ApiError",
    "ApiRateLimited",
    "ApiResponseError",
    "ApiUnavailable",
    "HttpRetry",
    "CongressClient",
    "RateLimiter",
    "RawRecord",
    "RedactingFilter",
    "Redactor",
    "SourceError",
    "read_path",
    "read_sample",
    "unwrap",
]


def __getattr__(name: str) -> Any:
    # the API client on first use: it imports httpx, which a run from a file never needs
    if name in ("CongressClient", "MAX_PAGE_SIZE"):
        from . import api

        return getattr(api, name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
