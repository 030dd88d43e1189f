"""Witness names: the display name, first and last name, and the deduplication key.

Pure functions. A name is cleaned (honorifics removed, whitespace collapsed, broken capitals
fixed) for display; the key a witness is deduplicated by, within a meeting and across
meetings, is the cleaned, casefolded name plus the casefolded organisation.
"""

from __future__ import annotations

import re

__all__ = ["clean_name", "collapse", "dedup_key", "split_name", "witness_key"]

_HONORIFIC = re.compile(
    r"^(?:the\s+honorable|honorable|hon\.?|mr\.?|mrs\.?|ms\.?|miss|mx\.?|dr\.?|"
    r"sen\.?|senator|rep\.?|representative)\s+",
    re.IGNORECASE,
)
_BROKEN_CAPS = re.compile(r"^[A-Z]{2}[a-z]{2,}$")
_RANKS = frozenset(
    {
        "general", "admiral", "rear", "vice", "brigadier", "major", "lieutenant", "lt.",
        "lt", "colonel", "col.", "col", "captain", "capt.", "capt", "commander", "cmdr.",
        "sergeant", "sgt.", "master", "chief", "petty", "officer", "upper", "lower", "half",
        "ambassador", "professor", "prof.", "rev.", "reverend", "governor", "gov.", "mayor",
        "secretary", "judge",
    }
)  # fmt: skip
_SUFFIXES = frozenset({"jr", "jr.", "sr", "sr.", "ii", "iii", "iv", "v"})
_PARTICLES = frozenset({"de", "da", "del", "della", "der", "di", "du", "la", "le", "van", "von"})


def collapse(text: str | None) -> str:
    """Whitespace collapsed to single spaces, ends stripped (``None`` is ``""``)."""
    return " ".join((text or "").split())


def _fix_token(token: str) -> str:
    """``MIchael`` → ``Michael``: two capitals then lower case is a typo, not an acronym."""
    return token.capitalize() if _BROKEN_CAPS.match(token) else token


def clean_name(name: str) -> str:
    """The display name: whitespace collapsed, leading honorifics (Mr., Ms., Mrs., Dr.,
    Hon., The Honorable, Sen., Rep. ...) removed, obviously broken capitals fixed.

    Ranks and titles that are part of how the person is listed ("General", "Vice Admiral")
    are kept, as are suffixes and degrees; other capitalisation is left as given.
    """
    text = collapse(name)
    while True:
        stripped = _HONORIFIC.sub("", text, count=1)
        if stripped == text or not stripped:
            break
        text = stripped
    return " ".join(_fix_token(token) for token in text.split(" ")) if text else text


def split_name(name: str) -> tuple[str | None, str | None]:
    """``(first_name, last_name)`` of a cleaned display name.

    Drops what follows the first comma (suffixes and degrees: ", Jr.", ", Ph.D."), a
    quoted nickname, leading ranks (only while two words remain: "Judge Glock" keeps
    "Judge"), a trailing generational suffix; the first word is the first name, the last
    word the last name, extended leftwards over particles ("de La Bruyère").
    """
    head = name.split(",", 1)[0]
    words = [w for w in head.split() if not (w.startswith('"') and w.endswith('"'))]
    while len(words) > 2 and words[0].casefold() in _RANKS:
        words.pop(0)
    if len(words) > 2 and words[-1].casefold() in _SUFFIXES:
        words.pop()
    if not words:
        return None, None
    if len(words) == 1:
        return None, words[0]
    start = len(words) - 1
    while start > 1 and words[start - 1].casefold() in _PARTICLES:
        start -= 1
    return words[0], " ".join(words[start:])


def witness_key(name: str | None, organization: str | None) -> str:
    """The deduplication key: cleaned, casefolded name and organisation."""
    return dedup_key(clean_name(name or ""), organization)


def dedup_key(cleaned: str, organization: str | None) -> str:
    """The deduplication key of an already cleaned name and an organisation."""
    return f"{cleaned.casefold()}|{collapse(organization).casefold()}"
