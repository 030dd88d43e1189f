"""Synthetic hearings inputs for the benchmarks: the real meetings again and again, each copy
with a new ``eventId`` and its own ``updateDate``, so any size is a set of new meetings.

Each copy is a later stretch of time, as a daily sync sees it: its eventIds sort after every
earlier one (the API's grow), its update dates follow the earlier copy's, and its witnesses
are other people (a middle initial names the copy: in the earlier database 1,286 of 1,344
witnesses appear once). Copies that reused the real dates, ids and witnesses wrote every
batch all over the ``event_id``, ``update_date`` and appearance indexes, which a growing real
database does not, and added no witness after the first copy, which it does (pages written
per commit, and where: ``bench/README.md``, "The synthetic input").
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Iterator
from datetime import datetime, timedelta

from adapters.hearings.sources.record import RawRecord
from adapters.hearings.sources.sample import read_sample

_REAL: list[RawRecord] = []


def real_meetings() -> list[RawRecord]:
    if not _REAL:
        _REAL.extend(r for r in read_sample() if isinstance(r.payload, dict))
    return _REAL


def _later(text: object, days: int) -> object:
    """An API date-time ``days`` later, in the API's spelling; anything else as it is."""
    if not isinstance(text, str) or not text.endswith("Z"):
        return text
    try:
        when = datetime.fromisoformat(text[:-1])
    except ValueError:
        return text
    return (when + timedelta(days=days)).isoformat() + "Z"


def _copy_mark(k: int) -> str:
    """``A.``, ``B.`` ... ``Z.``, ``AA.`` ...: a middle initial that names copy ``k``."""
    letters = ""
    while k:
        k, r = divmod(k - 1, 26)
        letters = chr(65 + r) + letters
    return letters + "."


def _other_person(witness: object, k: int) -> object:
    """Another person: the name gets the copy's middle initial. First and last name stay, so
    the witness's documents (``...-LastnameF-...``) are still found as theirs."""
    if not isinstance(witness, dict) or not isinstance(witness.get("name"), str):
        return witness
    words = witness["name"].split()
    if len(words) < 2:
        return witness
    return {**witness, "name": " ".join([*words[:-1], _copy_mark(k), words[-1]])}


def synthetic(count: int) -> Iterator[RawRecord]:
    """``count`` meetings built from the real ones; copy k > 0 gets eventId ``9<k:05d><id>``,
    its update date moved ``k`` times the span of the real ones later, and witnesses of its own."""
    real = real_meetings()
    dates = sorted(str(r.payload["updateDate"]) for r in real if r.payload.get("updateDate"))
    span = (datetime.fromisoformat(dates[-1][:-1]) - datetime.fromisoformat(dates[0][:-1])).days + 1
    for n in range(count):
        k, i = divmod(n, len(real))
        payload = real[i].payload
        if k:
            payload = copy.copy(payload)
            payload["eventId"] = f"9{k:05d}{payload.get('eventId')}"
            payload["updateDate"] = _later(payload.get("updateDate"), k * span)
            payload["witnesses"] = [_other_person(w, k) for w in payload.get("witnesses") or []]
        yield RawRecord(n + 1, payload)


def synthetic_list(count: int) -> list[RawRecord]:
    return list(itertools.islice(synthetic(count), count))
