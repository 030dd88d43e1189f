"""Keeping a secret (the API key) out of messages and log records."""

from __future__ import annotations

import logging
from urllib.parse import quote

__all__ = ["RedactingFilter", "Redactor"]

MASK = "***"


class Redactor:
    """Replace every occurrence of the given secrets (and their URL-encoded form) by ``***``."""

    __slots__ = ("_secrets",)

    def __init__(self, *secrets: str) -> None:
        forms: set[str] = set()
        for secret in secrets:
            if secret:
                forms.add(secret)
                forms.add(quote(secret, safe=""))
        # Longest first, so that a secret containing another is masked whole.
        self._secrets = tuple(sorted(forms, key=len, reverse=True))

    def __call__(self, text: str) -> str:
        for secret in self._secrets:
            if secret in text:
                text = text.replace(secret, MASK)
        return text

    def __repr__(self) -> str:
        return f"Redactor(<{len(self._secrets)} secret forms>)"


class RedactingFilter(logging.Filter):
    """A logging filter that masks secrets in the message and any formatted traceback.

    The client installs one on its own logger; add one to your handlers (``handler.addFilter``)
    to protect records from every logger that reaches them.
    """

    def __init__(self, redactor: Redactor) -> None:
        super().__init__()
        self._redact = redactor

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        cleaned = self._redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._redact(record.exc_text)
        return True
