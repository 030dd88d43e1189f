"""The errors the hearings sources raise: two small trees, kept apart on purpose.

``SourceError`` means the input cannot be read at all (a missing path, an empty directory,
an unreadable file): a usage or configuration error, nothing can have been applied.

``ApiError`` is the root of everything the Congress.gov client raises::

    ApiError
    ├── ApiAuthError       401/403 or no usable key: fix CONGRESS_API_KEY
    ├── ApiUnavailable     gave up after bounded retries (5xx, timeouts, broken connections)
    │   └── ApiRateLimited the key's hourly limit would need a wait beyond API_MAX_WAIT_SECONDS
    └── ApiResponseError   a list response that is not what the API documents (4xx, bad JSON...)

The two roots do not share a base, so ``except SourceError`` can never swallow an
``ApiUnavailable`` (which must abort the run, not be reported as a usage error).
No message in either tree ever contains the API key: messages are built from the request
path (never the URL with its query) and any server text quoted in them is redacted.
"""

from __future__ import annotations

__all__ = [
    "ApiAuthError",
    "ApiError",
    "ApiRateLimited",
    "ApiResponseError",
    "ApiUnavailable",
    "SourceError",
    "wrong_shape",
]


class SourceError(Exception):
    """The source cannot be read at all (missing or unreadable path, empty directory...)."""


class ApiError(Exception):
    """Base of the Congress.gov client errors.

    ``path`` is the request path (no host, no query, so never a key), ``status_code`` the
    last HTTP status seen, when there was one, and ``reason`` the last error in short.
    """

    def __init__(
        self, message: str, *, path: str | None = None, status_code: int | None = None, reason: str | None = None
    ):
        super().__init__(message)
        self.path = path
        self.status_code = status_code
        self.reason = reason


class ApiAuthError(ApiError):
    """The API refused the key (401/403), or no usable key was given."""


class ApiUnavailable(ApiError):
    """The API could not be reached or kept failing: gave up after bounded retries."""


class ApiRateLimited(ApiUnavailable):
    """The key's rate limit is used up and waiting for it would exceed the wait budget."""


class ApiResponseError(ApiError):
    """A list or committee response that cannot be used (4xx, invalid JSON, wrong shape)."""


def wrong_shape(path: str, what: str, *, at: str = "") -> ApiResponseError:
    """A 200 answer whose body is not what the endpoint documents (``at``: e.g. the page)."""
    return ApiResponseError(f"GET {path}{at}: wrong-shaped response: {what}", path=path, status_code=200)
