"""Where Congress.gov is: constants without the HTTP client, so settings and the mapping
can name the API without importing httpx."""

from __future__ import annotations

__all__ = ["DEFAULT_BASE_URL", "SIGN_UP_URL"]

DEFAULT_BASE_URL = "https://api.congress.gov/v3"
SIGN_UP_URL = "https://api.congress.gov/sign-up/"
