"""Records from the file system: an NDJSON file, a JSON array file or a directory of ``.json``.

The format of a file is decided by its content, not its name: when the first non-blank
character is ``[`` the file is a JSON array, otherwise it is NDJSON (one record a line,
streamed, never held in memory as a whole).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterator
from itertools import chain
from pathlib import Path
from typing import BinaryIO

from .errors import SourceError
from .jsontext import JsonTextError, decode_json
from .ndjson import iter_ndjson
from .record import RawRecord, unwrap

__all__ = ["read_path"]

_WHAT_TO_PASS = (
    "pass an NDJSON file (one record a line), a JSON array file or a directory of .json files, or use --source sample"
)
# A file whose first line is not JSON on its own may be one pretty-printed response:
# it is parsed whole only up to this size.
_SINGLE_DOCUMENT_LIMIT = 64 * 1024 * 1024


def read_path(path: str | os.PathLike[str]) -> Iterator[RawRecord]:
    """Records from ``path`` (NDJSON file, JSON array file or directory of ``.json`` files).

    Checks the path at once and raises :class:`SourceError` (naming the path, the problem
    and what to do) when it is missing, unreadable, a directory without ``.json`` files, or a
    JSON array file that is not valid JSON (an array is parsed whole, at once); NDJSON lines
    and directory files are read lazily, in order. Records that cannot be read (invalid
    JSON, invalid UTF-8, unreadable file in a directory) come through as ``RawRecord``
    with ``error`` set, so they are counted and quarantined, not lost.
    """
    source = Path(path)
    try:
        info = source.stat()
    except FileNotFoundError:
        raise SourceError(f"{source}: no such file or directory; {_WHAT_TO_PASS}") from None
    except OSError as exc:
        raise SourceError(f"{source}: cannot be read ({exc.strerror}); {_WHAT_TO_PASS}") from None
    if stat.S_ISDIR(info.st_mode):
        return _read_directory(source, _json_files(source))
    if stat.S_ISREG(info.st_mode) and _starts_with_bracket(source):
        # A JSON array is parsed as a whole anyway: do it now, so a broken one is refused
        # before any record is applied.
        return iter(list(_array_records(source, _read_all(source))))
    return _read_file(source, regular=stat.S_ISREG(info.st_mode), size=info.st_size)


def _read_all(source: Path) -> bytes:
    try:
        return source.read_bytes()
    except OSError as exc:
        raise SourceError(f"{source}: cannot be opened ({exc.strerror}); check its permissions") from None


def _starts_with_bracket(source: Path, chunk_size: int = 4096) -> bool:
    """Whether the first non-blank character of the file is ``[`` (reads only its head)."""
    try:
        with source.open("rb") as stream:
            head = stream.read(chunk_size).removeprefix(b"\xef\xbb\xbf")
            while head:
                stripped = head.lstrip()
                if stripped:
                    return stripped.startswith(b"[")
                head = stream.read(chunk_size)
    except OSError as exc:
        raise SourceError(f"{source}: cannot be opened ({exc.strerror}); check its permissions") from None
    return False


def _json_files(directory: Path) -> list[Path]:
    try:
        entries = list(directory.iterdir())
    except OSError as exc:
        raise SourceError(f"{directory}: directory cannot be listed ({exc.strerror}); check its permissions") from None
    files = sorted(
        (
            entry
            for entry in entries
            if entry.suffix.lower() == ".json" and not entry.name.startswith(".") and entry.is_file()
        ),
        key=lambda entry: entry.name,
    )
    if not files:
        raise SourceError(
            f"{directory}: directory holds no .json files; put one API response per .json "
            "file there, or pass an NDJSON or JSON array file"
        )
    return files


def _read_directory(directory: Path, files: list[Path]) -> Iterator[RawRecord]:
    """One record per file, ``position`` = 1-based index in name order."""
    for position, file in enumerate(files, start=1):
        try:
            data = file.read_bytes()
        except OSError as exc:
            error = f"file {file.name}: cannot be read ({exc.strerror})"
            yield RawRecord(position, None, error=error)
            continue
        try:
            value = decode_json(data, strip_bom=True)
        except JsonTextError as exc:
            yield RawRecord(position, None, error=f"file {file.name}: {exc}")
            continue
        yield RawRecord(position, unwrap(value))


def _read_file(source: Path, *, regular: bool, size: int) -> Iterator[RawRecord]:
    try:
        stream = source.open("rb")
    except OSError as exc:
        raise SourceError(f"{source}: cannot be opened ({exc.strerror})") from None
    with stream:
        lines = enumerate(stream, start=1)
        for number, raw in lines:
            first = raw.removeprefix(b"\xef\xbb\xbf").strip() if number == 1 else raw.strip()
            if first:
                break
        else:
            return  # nothing but blank lines: no records
        if first.startswith(b"["):
            yield from _array_records(source, raw + stream.read())
            return
        if first.startswith(b"{") and regular and size <= _SINGLE_DOCUMENT_LIMIT:
            single = _single_document(stream, first)
            if single is not None:
                yield RawRecord(1, unwrap(single))
                return
        yield from iter_ndjson(chain([(number, raw)], lines))


def _array_records(source: Path, data: bytes) -> Iterator[RawRecord]:
    """A JSON array file: ``position`` = 1-based index of the element."""
    try:
        values = decode_json(data, strip_bom=True)
    except JsonTextError as exc:
        raise SourceError(
            f"{source}: starts with '[' so it was read as a JSON array, but it is not valid "
            f"JSON ({exc}); fix the file, or write one record a line (NDJSON) so that a bad "
            "record only affects itself"
        ) from None
    for position, value in enumerate(values, start=1):
        yield RawRecord(position, unwrap(value))


def _single_document(stream: BinaryIO, first_line: bytes) -> object | None:
    """When the first line is not JSON on its own but the whole file is one JSON value (a
    pretty-printed API response), return that value; otherwise ``None`` (read as NDJSON)."""
    try:
        decode_json(first_line)
        return None  # a normal NDJSON line
    except JsonTextError:
        pass
    position = stream.tell()
    try:
        stream.seek(0)
        return decode_json(stream.read(), strip_bom=True)
    except JsonTextError:
        return None
    finally:
        stream.seek(position)
