"""Repair text that was mis-decoded from Windows-1252 before the rules judge it.

Congress.gov text sometimes carries C1 control characters (U+0080-U+009F) where the source
meant a Windows-1252 character: U+0092 for a right single quotation mark, U+0096 for an en
dash. Each is read as the character it encodes (``ftfy.fixes.fix_c1_controls``) and reported
as a warning (rule ``text_repaired``), so the meeting is stored instead of quarantined. The
five C1 code points Windows-1252 leaves undefined (U+0081, U+008D, U+008F, U+0090, U+009D)
stay as they are, and the control-character rule still rejects them, as it rejects every
other control character.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Repair", "repair_text"]

_C1 = re.compile(r"[\x80-\x9f]")


@dataclass(frozen=True, slots=True)
class Repair:
    """One repaired text field: its path and the characters read as Windows-1252."""

    field: str
    characters: tuple[str, ...]

    @property
    def message(self) -> str:
        codes = ", ".join(f"U+{ord(c):04X}" for c in self.characters)
        return f"{codes} read as Windows-1252 ({_fix_c1(''.join(self.characters))})"


def _fix_c1(text: str) -> str:
    # ftfy on first use: it costs ~60 ms to import, and most records need no repair
    from ftfy.fixes import fix_c1_controls

    return fix_c1_controls(text)


def _walk(value: Any, path: str, found: list[Repair]) -> Any:
    if isinstance(value, str):
        if not _C1.search(value):
            return value
        fixed = _fix_c1(value)
        repaired = tuple(dict.fromkeys(c for c in _C1.findall(value) if c not in fixed))
        if repaired:
            found.append(Repair(path or "(record)", repaired))
        return fixed
    if isinstance(value, dict):
        return {key: _walk(item, f"{path}.{key}" if path else str(key), found) for key, item in value.items()}
    if isinstance(value, list):
        return [_walk(item, f"{path}[{index}]", found) for index, item in enumerate(value)]
    return value


def repair_text(payload: Any) -> tuple[Any, list[Repair]]:
    """The payload with its Windows-1252 C1 characters repaired, and what was repaired.

    The payload is returned unchanged (the same object) when nothing needed repair.
    """
    found: list[Repair] = []
    fixed = _walk(payload, "", found)
    return (fixed, found) if found else (payload, found)
