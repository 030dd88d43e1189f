"""Write a meeting's witnesses, their appearances and their documents, by difference.

Witnesses are shared between meetings: one is found by its deduplication key
(:func:`~adapters.hearings.mapping.witness_key`: name without honorifics, casefolded, plus
organisation), else inserted; see :mod:`.store` for the rules. A batch passes a
:class:`WitnessIndex` (its witnesses read at once), told of every insert and delete here.
"""

from __future__ import annotations

from typing import Any, Protocol

from .mapping import WitnessRow, witness_key
from .schema_types import Executes, postgres_session
from .sqlrows import ChildTable, per_hearing
from .sqlrows import all_rows as _all

__all__ = ["WITNESSES_NAMED", "WitnessIndex", "write_appearances", "write_witness_documents"]

_WITNESS_DOCS = per_hearing(
    "d.document_id, d.appearance_id, d.document_type, d.title, d.document_url, d.format_type",
    "witness_documents d JOIN witness_appearances a ON a.appearance_id = d.appearance_id",
    "a.hearing_id",
    "d.document_id",
)

# a stored meeting's appearances and their documents (a batch reads them at once)
_APPEARANCES = per_hearing("appearance_id, witness_id, position, appearance_order, witness_type", "witness_appearances")
WITNESSES_NAMED = "SELECT witness_id, full_name, organization FROM witnesses WHERE full_name COLLATE NOCASE IN (?, ?)"
# PostgreSQL has no NOCASE; its schema indexes lower(full_name). lower() folds more than
# NOCASE's ASCII letters, so it finds a superset: the key comparison below decides.
WITNESSES_NAMED_PG = (
    "SELECT witness_id, full_name, organization FROM witnesses WHERE lower(full_name) IN (lower(?), lower(?))"
)


class WitnessIndex(Protocol):
    """The stored witnesses by name, kept current by the store's own writes (:mod:`.store_batch`)."""

    def named(self, full_name: str, raw_name: str) -> list[tuple[int, str, str | None]]: ...

    def added(self, witness_id: int, full_name: str, organization: str | None) -> None: ...

    def removed(self, witness_id: int) -> None: ...


def _witness_id(conn: Executes, witness: WitnessRow) -> int:
    """The stored witness with this key (lowest id), else a new row."""
    raw = " ".join(witness.raw_name.split())
    known: WitnessIndex | None = getattr(conn, "witnesses", None)
    if known is not None:
        candidates = known.named(witness.full_name, raw)
    else:
        named = WITNESSES_NAMED_PG if postgres_session(conn) is not None else WITNESSES_NAMED
        candidates = _all(conn, named, (witness.full_name, raw))
    for witness_id, full_name, organization in sorted(candidates):
        if witness_key(full_name, organization) == witness.key:
            return witness_id
    inserted = _all(
        conn,
        "INSERT INTO witnesses (first_name, last_name, full_name, title, organization) "
        "VALUES (?, ?, ?, ?, ?) RETURNING witness_id",
        (witness.first_name, witness.last_name, witness.full_name, witness.position, witness.organization),
    )[0][0]
    if known is not None:
        known.added(inserted, witness.full_name, witness.organization)
    return inserted


def _orders(
    stored: dict[int, tuple[int, Any, Any, Any]], ids: list[int], witnesses: tuple[WitnessRow, ...]
) -> list[int]:
    """The appearance orders to store: the stored ones while they still sort the payload.

    ``appearance_order`` orders the witnesses; its numbers carry no meaning of their own
    (the earlier database numbered by the upstream list and left gaps: 1, 3, 4, 5). The
    stored numbers are kept when no witness is added and they are strictly increasing in
    the payload's order; otherwise the witnesses are numbered 1..n.
    """
    current = [stored[i][2] if i in stored else None for i in ids]
    if all(isinstance(order, int) for order in current) and all(
        a < b for a, b in zip(current, current[1:], strict=False)
    ):
        return current  # type: ignore[return-value]
    return [witness.order for witness in witnesses]


_INSERT_APPEARANCE = (
    "INSERT INTO witness_appearances (witness_id, hearing_id, position, appearance_order, witness_type) "
    "VALUES (?, ?, ?, ?, ?)"
)


def _insert_appearances(conn: Executes, pending: list[tuple[Any, ...]]) -> None:
    """Insert the waiting appearances in one statement (and forget them)."""
    if pending:
        conn.executemany(_INSERT_APPEARANCE, pending)
        pending.clear()


def write_appearances(
    conn: Executes, hearing_id: int, witnesses: tuple[WitnessRow, ...], new: bool
) -> tuple[bool, dict[int, WitnessRow]]:
    """Replace the meeting's appearances; returns (changed, appearance_id → witness row)."""
    stored = (
        {}
        if new
        else {
            witness_id: (appearance_id, position, order, kind)
            for appearance_id, witness_id, position, order, kind in _all(conn, _APPEARANCES.one, (hearing_id,))
        }
    )
    ids = [_witness_id(conn, witness) for witness in witnesses]
    orders = _orders(stored, ids, witnesses)
    changed = False
    by_appearance: dict[int, WitnessRow] = {}
    pending: list[tuple[Any, ...]] = []  # new appearances without documents
    for witness_id, witness, order in zip(ids, witnesses, orders, strict=True):
        if witness_id in stored:
            appearance_id, position, stored_order, kind = stored[witness_id]
            # the rule's type wins; where it cannot place the witness, a stored type stays
            wanted_kind = witness.witness_type if witness.witness_type is not None else kind
            if (position, stored_order, kind) != (witness.position, order, wanted_kind):
                _insert_appearances(conn, pending)
                conn.execute(
                    "UPDATE witness_appearances SET position = ?, appearance_order = ?, witness_type = ? "
                    "WHERE appearance_id = ?",
                    (witness.position, order, wanted_kind, appearance_id),
                )
                changed = True
        else:
            values = (witness_id, hearing_id, witness.position, order, witness.witness_type)
            changed = True
            if not witness.documents:  # its id is not needed: inserted with the next ones, in order
                pending.append(values)
                continue
            _insert_appearances(conn, pending)
            appearance_id = _all(conn, _INSERT_APPEARANCE + " RETURNING appearance_id", values)[0][0]
        by_appearance[appearance_id] = witness
    _insert_appearances(conn, pending)
    wanted_ids = set(ids)
    for witness_id, (appearance_id, *_) in stored.items():
        if witness_id not in wanted_ids:
            conn.execute("DELETE FROM witness_documents WHERE appearance_id = ?", (appearance_id,))
            conn.execute("DELETE FROM witness_appearances WHERE appearance_id = ?", (appearance_id,))
            gone = _all(
                conn,
                "DELETE FROM witnesses WHERE witness_id = ? AND NOT EXISTS "
                "(SELECT 1 FROM witness_appearances WHERE witness_id = ?) RETURNING witness_id",
                (witness_id, witness_id),
            )
            known: WitnessIndex | None = getattr(conn, "witnesses", None)
            if gone and known is not None:
                known.removed(witness_id)
            changed = True
    return changed, by_appearance


_WITNESS_DOCUMENTS = ChildTable(
    "witness_documents",
    "document_id",
    ("appearance_id", "document_type", "title", "document_url", "format_type"),
    parent=None,  # linked through the appearance, in the columns
)


def write_witness_documents(conn: Executes, hearing_id: int, by_appearance: dict[int, WitnessRow], new: bool) -> bool:
    stored = (
        []
        if new
        else [
            (document_id, (appearance_id, document_type, title, url, fmt))
            for document_id, appearance_id, document_type, title, url, fmt in _all(
                conn, _WITNESS_DOCS.one, (hearing_id,)
            )
        ]
    )
    wanted = [
        (appearance_id, d.document_type, d.title, d.document_url, d.format_type)
        for appearance_id, witness in by_appearance.items()
        for d in witness.documents
    ]
    return _WITNESS_DOCUMENTS.replace(conn, hearing_id, stored, wanted)
