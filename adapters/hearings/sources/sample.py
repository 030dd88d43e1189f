"""The real committee meetings bundled in the package (the default ``--source sample``)."""

from __future__ import annotations

from collections.abc import Iterator
from importlib import resources
from importlib.resources.abc import Traversable

from .errors import SourceError
from .ndjson import iter_ndjson
from .record import RawRecord

__all__ = ["SAMPLE_PACKAGE", "SAMPLE_RESOURCE", "read_sample"]

SAMPLE_PACKAGE = "adapters.hearings"
SAMPLE_RESOURCE = "data/meetings.ndjson"


def read_sample() -> Iterator[RawRecord]:
    """Stream the bundled 119th-Congress meetings, parsed exactly like an NDJSON file."""
    resource = resources.files(SAMPLE_PACKAGE)
    for part in SAMPLE_RESOURCE.split("/"):
        resource = resource.joinpath(part)
    if not resource.is_file():
        raise SourceError(
            f"the bundled sample {SAMPLE_PACKAGE}/{SAMPLE_RESOURCE} is missing; "
            "reinstall the package or pass --source PATH"
        )
    return _stream(resource)


def _stream(resource: Traversable) -> Iterator[RawRecord]:
    with resource.open("rb") as stream:
        yield from iter_ndjson(enumerate(stream, start=1))
