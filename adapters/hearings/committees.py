"""The committees table's data: the bundled list, the upsert, and the run's seeding step.

A new database gets the bundled list (the 118th Congress's, as the earlier database holds
it); an API run also stores the list the API gives for ``--congress``. Both are written by
:class:`CommitteeSeeding` inside the run's first unit of work, so they are journaled and
reverted with the run; the source itself never writes.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from importlib import resources
from typing import Any

from .ddl import COMMITTEE_CHAMBERS, COMMITTEE_TYPES
from .schema_types import Executes
from .sqlrows import all_rows as _rows

__all__ = ["COMMITTEE_CONGRESS", "CommitteeSeeding", "load_bundled_committees", "seed_committees"]

COMMITTEE_CONGRESS = 118
"""The ``congress`` the earlier database records for every committee (its list is the
118th Congress's)."""


def load_bundled_committees() -> list[dict[str, Any]]:
    """The committee list bundled with the package (``adapters/hearings/data``)."""
    source = resources.files("adapters.hearings").joinpath("data", "committees.json")
    return json.loads(source.read_text(encoding="utf-8"))


class CommitteeSeeding:
    """The run's committee step, called with the unit of work: the bundled list when the
    table is empty, then (an API run) the list ``fetch`` returns for ``congress``.

    ``fetch`` is called at most once, on the first call (inside the run, after its lease),
    and its answer kept: a replay of the first batch stores the same list without asking
    the API again. The upsert writes only what differs, so a second call changes nothing.
    """

    def __init__(self, fetch: Callable[[], list[dict[str, Any]]] | None = None, *, congress: int | None = None):
        if fetch is not None and congress is None:
            raise ValueError("CommitteeSeeding(fetch=...): give the congress the list is of")
        self.fetch = fetch
        self.congress = congress
        self._fetched: list[dict[str, Any]] | None = None

    def __call__(self, uow: Executes) -> None:
        if not list(uow.execute("SELECT 1 FROM committees LIMIT 1", ())):
            seed_committees(uow, load_bundled_committees())
        if self.fetch is not None:
            if self._fetched is None:
                self._fetched = list(self.fetch())
            seed_committees(uow, self._fetched, congress=self.congress or COMMITTEE_CONGRESS)

    def __repr__(self) -> str:
        return f"CommitteeSeeding(congress={self.congress!r}, from_api={self.fetch is not None})"


def _parents_first(committees: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Order the list so that a committee's parent (when listed) comes before it."""
    by_code = {c["systemCode"]: c for c in committees}
    ordered: list[dict[str, Any]] = []
    placed: set[str] = set()

    def place(code: str, trail: tuple[str, ...]) -> None:
        if code in placed:
            return
        if code in trail:
            raise ValueError(f"committee parent cycle: {' -> '.join((*trail, code))}")
        parent = by_code[code].get("parent")
        if parent in by_code:
            place(parent, (*trail, code))
        placed.add(code)
        ordered.append(by_code[code])

    for committee in committees:
        place(committee["systemCode"], ())
    return ordered


# Plain ``?`` marks (PostgreSQL's driver has no numbered ones): each value is bound where it is
# used, in the order of the _ORDER tuples (indices into seed's values).
_INSERT_COMMITTEE = """
INSERT INTO committees (system_code, name, chamber, type, parent_committee_id, url, congress, is_current)
VALUES (?, ?, ?, ?, ?, ?, ?, coalesce(?, TRUE))
ON CONFLICT(system_code) DO UPDATE SET
    name = ?, chamber = ?, type = ?, parent_committee_id = ?, url = ?, congress = ?,
    is_current = coalesce(?, committees.is_current), updated_at = CURRENT_TIMESTAMP
"""
_INSERT_ORDER = (0, 1, 2, 3, 4, 5, 6, 7, 1, 2, 3, 4, 5, 6, 7)

# A plain UPDATE for a stored committee: an UPSERT that changes nothing still advances
# the AUTOINCREMENT counter in sqlite_sequence, which would be a write. An unknown
# ``isCurrent`` (None) keeps the stored flag (the CAST: PostgreSQL cannot type a bare NULL mark).
_UPDATE_COMMITTEE = """
UPDATE committees SET name = ?, chamber = ?, type = ?, parent_committee_id = ?, url = ?,
    congress = ?, is_current = coalesce(?, is_current), updated_at = CURRENT_TIMESTAMP
WHERE system_code = ? AND (name IS DISTINCT FROM ? OR chamber IS DISTINCT FROM ?
    OR type IS DISTINCT FROM ? OR parent_committee_id IS DISTINCT FROM ? OR url IS DISTINCT FROM ?
    OR congress IS DISTINCT FROM ? OR (CAST(? AS BOOLEAN) IS NOT NULL AND is_current IS DISTINCT FROM ?))
RETURNING committee_id
"""
_UPDATE_ORDER = (1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7, 7)


def seed_committees(
    conn: Executes, committees: list[dict[str, Any]], *, congress: int = COMMITTEE_CONGRESS
) -> dict[str, int]:
    """Upsert a committee list (``committees.json`` shape) by ``system_code``.

    ``congress`` is stored on every row: the Congress the list is of (the bundled list is
    the 118th's; a list read from the API is that of ``--congress``). ``isCurrent`` (when
    the row has it, true or false) becomes ``is_current``; without it a new committee is
    current and a stored one keeps its flag. ``parent`` (a system code) becomes
    ``parent_committee_id``; a parent that is neither in
    the list nor in the database raises ``ValueError``. An unknown ``committeeTypeCode``
    is stored as ``Other``. A committee that is already stored identically is not written.
    Atomic (a savepoint): on an error nothing of the list is applied.
    Returns ``{"added": n, "updated": n, "unchanged": n}``.
    """
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    conn.execute("SAVEPOINT hearings_seed_committees", ())
    try:
        for item in _parents_first(committees):
            _seed_one(conn, item, congress, counts)
    except BaseException:
        conn.execute("ROLLBACK TO hearings_seed_committees", ())
        conn.execute("RELEASE hearings_seed_committees", ())
        raise
    conn.execute("RELEASE hearings_seed_committees", ())
    return counts


def _seed_one(conn: Executes, item: dict[str, Any], congress: int, counts: dict[str, int]) -> None:
    """Insert or update one committee, counting the verdict."""
    code = item["systemCode"]
    chamber = item.get("chamber") or "NoChamber"
    if chamber not in COMMITTEE_CHAMBERS:
        raise ValueError(f"committee {code}: chamber {chamber!r} is not allowed")
    kind = item.get("committeeTypeCode") or "Other"
    kind = kind if kind in COMMITTEE_TYPES else "Other"
    parent_id = None
    if item.get("parent"):
        found = _rows(conn, "SELECT committee_id FROM committees WHERE system_code = ?", (item["parent"],))
        if not found:
            raise ValueError(f"committee {code}: parent {item['parent']!r} is unknown")
        parent_id = found[0][0]
    current = item.get("isCurrent")
    values = (
        code,
        item["name"],
        chamber,
        kind,
        parent_id,
        item.get("url"),
        congress,
        None if current is None else bool(current),  # SQLite stores 1/0
    )
    if not _rows(conn, "SELECT 1 FROM committees WHERE system_code = ?", (code,)):
        conn.execute(_INSERT_COMMITTEE, [values[i] for i in _INSERT_ORDER])
        counts["added"] += 1
    elif _rows(conn, _UPDATE_COMMITTEE, [values[i] for i in _UPDATE_ORDER]):
        counts["updated"] += 1
    else:
        counts["unchanged"] += 1
