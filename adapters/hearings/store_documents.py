"""Write a meeting's supporting documents and transcripts, by difference.

A supporting document's source (meeting document, video, loose witness document) is told by
its ``document_type`` (:func:`~adapters.hearings.mapping.supporting_source`), so each source's
rows are replaced on their own: identical rows stay, the others are deleted or inserted.
"""

from __future__ import annotations

from .mapping import DocumentRow, TranscriptRow, supporting_source
from .schema import Executes
from .sqlrows import all_rows as _all
from .sqlrows import multiset_diff as _multiset_diff

__all__ = ["write_supporting", "write_transcripts"]


def write_supporting(conn: Executes, hearing_id: int, sources: dict[str, tuple[DocumentRow, ...]], new: bool) -> bool:
    """Make the meeting's supporting documents of these sources exactly the rows given."""
    if not sources:
        return False
    stored = (
        []
        if new
        else [
            (document_id, (document_type, title, description, url, fmt))
            for document_id, document_type, title, description, url, fmt in _all(
                conn,
                "SELECT document_id, document_type, title, description, document_url, format_type "
                "FROM supporting_documents WHERE hearing_id = ? ORDER BY document_id",
                (hearing_id,),
            )
            if supporting_source(document_type) in sources
        ]
    )
    wanted = [
        (d.document_type, d.title, d.description, d.document_url, d.format_type)
        for docs in sources.values()
        for d in docs
    ]
    delete, insert = _multiset_diff(stored, wanted)
    for document_id in delete:
        conn.execute("DELETE FROM supporting_documents WHERE document_id = ?", (document_id,))
    for values in insert:
        conn.execute(
            "INSERT INTO supporting_documents (hearing_id, document_type, title, description, "
            "document_url, format_type) VALUES (?, ?, ?, ?, ?, ?)",
            (hearing_id, *values),
        )
    return bool(delete or insert)


def write_transcripts(conn: Executes, hearing_id: int, transcripts: tuple[TranscriptRow, ...], new: bool) -> bool:
    """Make the meeting's ``hearing_transcripts`` rows exactly ``transcripts``."""
    stored = (
        []
        if new
        else [
            (transcript_id, (jacket, url))
            for transcript_id, jacket, url in _all(
                conn,
                "SELECT transcript_id, jacket_number, document_url FROM hearing_transcripts "
                "WHERE hearing_id = ? ORDER BY transcript_id",
                (hearing_id,),
            )
        ]
    )
    wanted = [(t.jacket_number, t.document_url) for t in transcripts]
    delete, insert = _multiset_diff(stored, wanted)
    for transcript_id in delete:
        conn.execute("DELETE FROM hearing_transcripts WHERE transcript_id = ?", (transcript_id,))
    for values in insert:
        conn.execute(
            "INSERT INTO hearing_transcripts (hearing_id, jacket_number, document_url) VALUES (?, ?, ?)",
            (hearing_id, *values),
        )
    return bool(delete or insert)
