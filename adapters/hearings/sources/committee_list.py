"""The committees of a Congress from its paginated list, shaped like ``committees.json``."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any

from .listing import GetJson, pages
from .payloads import committee_row, subcommittee_rows

__all__ = ["committee_rows"]

logger = logging.getLogger("adapters.hearings.api")


def committee_rows(get_json: GetJson, page_size: int, path: str) -> Iterator[dict[str, Any]]:
    seen: set[str] = set()
    mentioned: dict[str, dict[str, Any]] = {}
    for offset, page in pages(get_json, page_size, path, {}, "committees"):
        for item in page:
            committee = committee_row(item)
            if committee is None:
                logger.warning("GET %s offset %d: skipped a committee without systemCode", path, offset)
                continue
            for sub in subcommittee_rows(item, committee):
                mentioned.setdefault(sub["systemCode"], sub)
            if committee["systemCode"] in seen:
                continue
            seen.add(committee["systemCode"])
            yield committee
    for code, sub in mentioned.items():
        if code not in seen:
            seen.add(code)
            yield sub
