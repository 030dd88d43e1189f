"""Read back what the database holds for one meeting, by column name (tests, tools, the CLI).

Read-only: nothing here writes.
"""

from __future__ import annotations

from typing import Any

from .schema_types import Executes
from .sqlrows import all_rows as _all

__all__ = ["read_meeting_state", "read_related_state"]


def read_meeting_state(conn: Executes, event_id: str) -> dict[str, Any] | None:
    """What the database holds for one meeting, by column name (``None``: not stored).

    Keys: ``hearing`` (every column), ``committees`` ([(system_code, is_primary)] by
    committee), ``witnesses`` ([{full_name, organization, position, appearance_order,
    documents}] by appearance order), ``supporting_documents`` and ``transcripts``.
    """
    cursor = conn.execute("SELECT * FROM hearings WHERE event_id = ?", (event_id,))
    names = (
        [d[0] for d in cursor.getdescription()]
        if hasattr(cursor, "getdescription")
        else [d[0] for d in cursor.description]
    )
    found = [tuple(row) for row in cursor]
    if not found:
        return None
    hearing = dict(zip(names, found[0], strict=True))
    hearing_id = hearing["hearing_id"]
    committees = _all(
        conn,
        "SELECT c.system_code, hc.is_primary FROM hearing_committees hc "
        "JOIN committees c ON c.committee_id = hc.committee_id WHERE hc.hearing_id = ? "
        "ORDER BY c.system_code",
        (hearing_id,),
    )
    witnesses = []
    for appearance_id, full_name, organization, position, order, kind in _all(
        conn,
        "SELECT a.appearance_id, w.full_name, w.organization, a.position, a.appearance_order, a.witness_type "
        "FROM witness_appearances a JOIN witnesses w ON w.witness_id = a.witness_id "
        "WHERE a.hearing_id = ? ORDER BY a.appearance_order, a.appearance_id",
        (hearing_id,),
    ):
        documents = _all(
            conn,
            "SELECT document_type, title, document_url, format_type FROM witness_documents "
            "WHERE appearance_id = ? ORDER BY document_id",
            (appearance_id,),
        )
        witnesses.append(
            {
                "full_name": full_name,
                "organization": organization,
                "position": position,
                "appearance_order": order,
                "witness_type": kind,
                "documents": documents,
            }
        )
    supporting = _all(
        conn,
        "SELECT document_type, title, description, document_url, format_type "
        "FROM supporting_documents WHERE hearing_id = ? ORDER BY document_id",
        (hearing_id,),
    )
    transcripts = _all(
        conn,
        "SELECT jacket_number, document_url FROM hearing_transcripts WHERE hearing_id = ? ORDER BY transcript_id",
        (hearing_id,),
    )
    return {
        "hearing": hearing,
        "committees": committees,
        "witnesses": witnesses,
        "supporting_documents": supporting,
        "transcripts": transcripts,
        **read_related_state(conn, hearing_id),
    }


def read_related_state(conn: Executes, hearing_id: int) -> dict[str, list[tuple[Any, ...]]]:
    """``bills`` ([(congress, bill_type, bill_number, url, relationship_type)]), ``treaties``
    and ``nominations`` ([(congress, number, part, url)]) and ``continuations``
    ([(date, time)]) of one stored meeting."""
    return {
        "bills": _all(
            conn,
            "SELECT b.congress, b.bill_type, b.bill_number, b.url, hb.relationship_type FROM hearing_bills hb "
            "JOIN bills b ON b.bill_id = hb.bill_id WHERE hb.hearing_id = ? ORDER BY hb.hearing_bill_id",
            (hearing_id,),
        ),
        "treaties": _all(
            conn,
            "SELECT congress, treaty_number, part, url FROM hearing_treaties WHERE hearing_id = ? "
            "ORDER BY hearing_treaty_id",
            (hearing_id,),
        ),
        "nominations": _all(
            conn,
            "SELECT congress, nomination_number, part, url FROM hearing_nominations WHERE hearing_id = ? "
            "ORDER BY hearing_nomination_id",
            (hearing_id,),
        ),
        "continuations": _all(
            conn,
            "SELECT continuation_date, continuation_time FROM hearing_continuations WHERE hearing_id = ? "
            "ORDER BY continuation_id",
            (hearing_id,),
        ),
    }
