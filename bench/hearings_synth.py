"""Synthetic hearings inputs for the benchmarks: the real meetings again and again, each copy
with a new ``eventId`` (and its own ``updateDate``), so any size is a set of new meetings."""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator

from adapters.hearings.sources.record import RawRecord
from adapters.hearings.sources.sample import read_sample

_REAL: list[RawRecord] = []


def real_meetings() -> list[RawRecord]:
    if not _REAL:
        _REAL.extend(r for r in read_sample() if isinstance(r.payload, dict))
    return _REAL


def synthetic(count: int) -> Iterator[RawRecord]:
    """``count`` meetings built from the real ones; copy k > 0 gets eventId ``<id>9<k>``."""
    real = real_meetings()
    for n in range(count):
        k, i = divmod(n, len(real))
        payload = real[i].payload
        if k:
            payload = copy.copy(payload)
            payload["eventId"] = f"{payload.get('eventId')}9{k:04d}"
        yield RawRecord(n + 1, payload)


def synthetic_list(count: int) -> list[RawRecord]:
    return list(itertools.islice(synthetic(count), count))
