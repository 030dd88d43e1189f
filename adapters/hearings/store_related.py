"""Write a meeting's related bills, treaties, nominations and continuation days.

Same rules as the rest of the store: only what differs is written, never the REPLACE
conflict resolution. A bill is a shared row (one per congress, type and number, like a
committee): it is found, else inserted with an UPSERT on that key; its ``url`` is filled or
corrected from the payload but never blanked; it stays when no meeting links it any more (it
is a fact about Congress, not about the meeting). ``hearing_bills`` links and the rows of
the additive tables are the meeting's own and are replaced by difference.
"""

from __future__ import annotations

from .related import BillLink, ContinuationRow, NumberedLink
from .schema_types import Executes
from .sqlrows import ChildTable, all_rows, per_hearing

__all__ = ["write_bills", "write_continuations", "write_nominations", "write_treaties"]

_INSERT_BILL = (
    "INSERT INTO bills (congress, bill_type, bill_number, url) VALUES (?, ?, ?, ?) "
    "ON CONFLICT(congress, bill_type, bill_number) DO UPDATE SET url = coalesce(?, bills.url), "
    "updated_at = CURRENT_TIMESTAMP RETURNING bill_id"
)


def _bill_id(conn: Executes, link: BillLink) -> tuple[int, bool]:
    """The bill's id (found or inserted), and whether its row was written."""
    found = all_rows(
        conn,
        "SELECT bill_id, url FROM bills WHERE congress = ? AND bill_type = ? AND bill_number = ?",
        (link.congress, link.bill_type, link.number),
    )
    if not found:
        return all_rows(conn, _INSERT_BILL, (link.congress, link.bill_type, link.number, link.url, link.url))[0][
            0
        ], True
    bill_id, url = found[0]
    if link.url and url != link.url:
        conn.execute("UPDATE bills SET url = ?, updated_at = CURRENT_TIMESTAMP WHERE bill_id = ?", (link.url, bill_id))
        return bill_id, True
    return bill_id, False


_BILL_LINKS = per_hearing("hearing_bill_id, bill_id, relationship_type", "hearing_bills")


def write_bills(conn: Executes, hearing_id: int, bills: tuple[BillLink, ...], new: bool) -> bool:
    """Make the meeting's ``hearing_bills`` links exactly ``bills``; True when anything was written."""
    stored = (
        {}
        if new
        else {
            bill_id: (link_id, relationship)
            for link_id, bill_id, relationship in all_rows(conn, _BILL_LINKS.one, (hearing_id,))
        }
    )
    changed = False
    wanted: set[int] = set()
    for link in bills:
        bill_id, written = _bill_id(conn, link)
        changed |= written
        wanted.add(bill_id)
        if bill_id not in stored:
            conn.execute(
                "INSERT INTO hearing_bills (hearing_id, bill_id, relationship_type) VALUES (?, ?, ?)",
                (hearing_id, bill_id, link.relationship),
            )
            changed = True
        elif stored[bill_id][1] != link.relationship:
            conn.execute(
                "UPDATE hearing_bills SET relationship_type = ? WHERE hearing_bill_id = ?",
                (link.relationship, stored[bill_id][0]),
            )
            changed = True
    for bill_id, (link_id, _) in stored.items():
        if bill_id not in wanted:
            conn.execute("DELETE FROM hearing_bills WHERE hearing_bill_id = ?", (link_id,))
            changed = True
    return changed


_TREATIES = ChildTable("hearing_treaties", "hearing_treaty_id", ("congress", "treaty_number", "part", "url"))
_NOMINATIONS = ChildTable(
    "hearing_nominations", "hearing_nomination_id", ("congress", "nomination_number", "part", "url")
)
_CONTINUATIONS = ChildTable("hearing_continuations", "continuation_id", ("continuation_date", "continuation_time"))


def _write_numbered(
    table: ChildTable, conn: Executes, hearing_id: int, items: tuple[NumberedLink, ...], new: bool
) -> bool:
    stored = [] if new else table.stored(conn, hearing_id)
    return table.replace(conn, hearing_id, stored, [(i.congress, i.number, i.part, i.url) for i in items])


def write_treaties(conn: Executes, hearing_id: int, items: tuple[NumberedLink, ...], new: bool) -> bool:
    """Make the meeting's ``hearing_treaties`` rows exactly ``items``."""
    return _write_numbered(_TREATIES, conn, hearing_id, items, new)


def write_nominations(conn: Executes, hearing_id: int, items: tuple[NumberedLink, ...], new: bool) -> bool:
    """Make the meeting's ``hearing_nominations`` rows exactly ``items``."""
    return _write_numbered(_NOMINATIONS, conn, hearing_id, items, new)


def write_continuations(conn: Executes, hearing_id: int, rows: tuple[ContinuationRow, ...], new: bool) -> bool:
    """Make the meeting's ``hearing_continuations`` rows exactly ``rows``."""
    stored = [] if new else _CONTINUATIONS.stored(conn, hearing_id)
    wanted = [(r.continuation_date, r.continuation_time) for r in rows]
    return _CONTINUATIONS.replace(conn, hearing_id, stored, wanted)
