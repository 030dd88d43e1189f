"""Write a meeting's supporting documents and transcripts, by difference.

A supporting document's source (meeting document, video, loose witness document) is told by
its ``document_type`` (:func:`~adapters.hearings.mapping.supporting_source`), so each source's
rows are replaced on their own: identical rows stay, the others are deleted or inserted.
"""

from __future__ import annotations

from .mapping import DocumentRow, TranscriptRow, supporting_source
from .schema_types import Executes
from .sqlrows import ChildTable

__all__ = ["write_supporting", "write_transcripts"]

_SUPPORTING = ChildTable(
    "supporting_documents",
    "document_id",
    ("document_type", "title", "description", "document_url", "format_type"),
)
_TRANSCRIPTS = ChildTable("hearing_transcripts", "transcript_id", ("jacket_number", "document_url"))


def write_supporting(conn: Executes, hearing_id: int, sources: dict[str, tuple[DocumentRow, ...]], new: bool) -> bool:
    """Make the meeting's supporting documents of these sources exactly the rows given."""
    if not sources:
        return False
    stored = [] if new else _SUPPORTING.stored(conn, hearing_id)
    stored = [(row_id, values) for row_id, values in stored if supporting_source(values[0]) in sources]
    wanted = [
        (d.document_type, d.title, d.description, d.document_url, d.format_type)
        for docs in sources.values()
        for d in docs
    ]
    return _SUPPORTING.replace(conn, hearing_id, stored, wanted)


def write_transcripts(conn: Executes, hearing_id: int, transcripts: tuple[TranscriptRow, ...], new: bool) -> bool:
    """Make the meeting's ``hearing_transcripts`` rows exactly ``transcripts``."""
    stored = [] if new else _TRANSCRIPTS.stored(conn, hearing_id)
    return _TRANSCRIPTS.replace(conn, hearing_id, stored, [(t.jacket_number, t.document_url) for t in transcripts])
