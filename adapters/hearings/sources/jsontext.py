"""Strict JSON decoding shared by every source, with short, position-bearing error texts."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["JsonTextError", "decode_json"]


class JsonTextError(ValueError):
    """Raised by :func:`decode_json`; ``str()`` is a short reason such as ``invalid JSON: ...``."""


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def decode_json(data: bytes | str, *, strip_bom: bool = False) -> Any:
    """Decode UTF-8 JSON text strictly: invalid UTF-8, ``NaN``/``Infinity`` and nesting too deep
    for the parser are errors, reported as :class:`JsonTextError` with a one-line reason."""
    if isinstance(data, bytes):
        try:
            text = data.decode("utf-8-sig" if strip_bom else "utf-8")
        except UnicodeDecodeError as exc:
            raise JsonTextError(f"invalid UTF-8: byte 0x{data[exc.start]:02x} at offset {exc.start}") from None
    else:
        text = data.removeprefix("\ufeff") if strip_bom else data
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except json.JSONDecodeError as exc:
        raise JsonTextError(f"invalid JSON: {exc.msg} (line {exc.lineno}, column {exc.colno})") from None
    except ValueError as exc:  # NaN / Infinity
        raise JsonTextError(f"invalid JSON: {exc}") from None
    except RecursionError:
        raise JsonTextError("invalid JSON: nested too deeply") from None
