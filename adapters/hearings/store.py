"""Write one meeting's rows into the hearings schema, touching only what differs.

:func:`write_meeting` writes the hearing by ``event_id``: a new one with ``INSERT ... ON
CONFLICT(event_id) DO UPDATE ... WHERE`` a column differs, a stored one with ``UPDATE ...
WHERE`` a column differs (never the REPLACE conflict resolution, which deletes and orphans
the children), and replaces the meeting's link sets (committees, witness appearances,
witness documents, supporting documents, transcripts, bills, treaties, nominations,
continuations) by difference: rows that are no longer in the payload are deleted (children
before parents: the earlier schema has no ``ON DELETE CASCADE``), new ones inserted, changed
ones updated, identical ones left alone. A detail payload is the whole record, so an empty
set removes the stored rows. ``"unchanged"`` means no write at all; ``hearings.updated_at``
moves only on a real change of the meeting or its links.

Never blanked silently: an update whose payload has no title (or no date) for a meeting
stored with one is refused (:class:`~adapters.hearings.models.RecordInvalid`, rules
``title_kept`` and ``date_kept``), before any write.

Witnesses are shared between meetings: one is found by its deduplication key
(:func:`~adapters.hearings.mapping.witness_key`: name without honorifics, casefolded, plus
organisation), else inserted; a found witness row is never rewritten (its ``title`` is the
position of its first appearance, as in the earlier database; the per-meeting position and
``witness_type`` are ``witness_appearances``'; a stored type the rule cannot replace, because
it places the witness nowhere, is kept). When the earlier database holds the same
person twice, the lowest ``witness_id`` is used. A witness whose last appearance a write
removes is deleted with it (no witness row without an appearance, as in the earlier
database).

Where ``hearings`` has the earlier system's video columns, the preferred video fills them
and is not written again as a ``Video`` supporting document; elsewhere every video is one.

The connection is anything with ``execute(sql, params)`` returning an iterable of tuples
and ``executemany`` (an ``apsw.Connection``, a unit of work, or the updater's
:class:`~adapters.hearings.store_batch.BatchReads`, which answers the per-meeting reads of a
stored state it read for the whole batch); every statement is a constant text with
parameters, so SQLite's prepared-statement cache serves them. Transactions are the caller's
(the unit of work).
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

from sqlbatch import Outcome

from .mapping import DocumentRow, MeetingRows
from .models import RecordInvalid
from .schema_related import has_video_columns
from .schema_types import Executes
from .sqlrows import KeyedRead, per_hearing
from .sqlrows import all_rows as _all
from .store_documents import write_supporting, write_transcripts
from .store_read import read_meeting_state, read_related_state
from .store_related import write_bills, write_continuations, write_nominations, write_treaties
from .store_witnesses import WITNESSES_NAMED, WitnessIndex, write_appearances, write_witness_documents

__all__ = [
    "COMMITTEE_BY_CODE",
    "HEARING_BY_EVENT",
    "WITNESSES_NAMED",
    "UnknownCommittee",
    "WitnessIndex",
    "read_meeting_state",
    "read_related_state",
    "write_meeting",
]

#: The reads of a meeting's stored state that are keyed by the payload, not by a stored id.
HEARING_BY_EVENT = KeyedRead("hearing_id, title, hearing_date", "hearings", "event_id")
COMMITTEE_BY_CODE = KeyedRead("committee_id", "committees", "system_code")
_COMMITTEE_LINKS = per_hearing("committee_id, is_primary", "hearing_committees")


class UnknownCommittee(RecordInvalid):
    """The meeting names a committee the database does not know."""

    def __init__(self, system_code: str, index: int = 0, *, key: str | None = None) -> None:
        self.system_code = system_code
        super().__init__(
            f"committees[{index}].systemCode",
            "committee_exists",
            f"committee {system_code!r} is not in the committees table",
            key=key,
        )


# Columns a new hearing cannot do without, with the payload field that feeds each.
_REQUIRED_ON_INSERT = {
    "congress": "congress",
    "chamber": "chamber",
    "title": "title",
    "hearing_type": "type",
    "status": "meetingStatus",
}


@lru_cache(maxsize=64)
def _insert_sql(columns: tuple[str, ...]) -> str:
    """The new-hearing UPSERT for this set of present columns (first is ``event_id``)."""
    names = ", ".join(columns)
    marks = ", ".join("?" for _ in columns)
    rest = columns[1:]
    sets = ", ".join(f"{c} = excluded.{c}" for c in rest)
    changed = " OR ".join(f"hearings.{c} IS DISTINCT FROM excluded.{c}" for c in rest)
    return (
        f"INSERT INTO hearings ({names}) VALUES ({marks}) ON CONFLICT(event_id) DO UPDATE SET "
        f"{sets}, updated_at = CURRENT_TIMESTAMP WHERE {changed} RETURNING hearing_id"
    )


@lru_cache(maxsize=64)
def _update_sql(columns: tuple[str, ...]) -> str:
    """The stored-hearing UPDATE of these columns, only where one of them differs.

    ``column IS DISTINCT FROM ?`` (SQLite's ``IS NOT``) compares with the column's affinity applied to the parameter, as
    the stored value was, so "differs" means what SQLite would store differs. A plain
    UPDATE rather than the UPSERT: an UPSERT that updates nothing still advances the
    AUTOINCREMENT counter in ``sqlite_sequence`` (a write), and checks NOT NULL before
    the conflict, so a partial payload could not use it. Its marks are plain ``?`` (the
    values, the id, the values again): PostgreSQL's driver has no numbered ones.
    """
    sets = ", ".join(f"{c} = ?" for c in columns)
    changed = " OR ".join(f"{c} IS DISTINCT FROM ?" for c in columns)
    return (
        f"UPDATE hearings SET {sets}, updated_at = CURRENT_TIMESTAMP "
        f"WHERE hearing_id = ? AND ({changed}) RETURNING hearing_id"
    )


# -- committees ----------------------------------------------------------------------------


def _committee_ids(conn: Executes, rows: MeetingRows) -> list[tuple[int, int]]:
    """``(committee_id, is_primary)`` per link; raises :class:`UnknownCommittee` first."""
    out = []
    for link in rows.committees:
        found = _all(conn, COMMITTEE_BY_CODE.one, (link.system_code,))
        if not found:
            raise UnknownCommittee(link.system_code, link.index, key=rows.event_id)
        out.append((found[0][0], bool(link.is_primary)))  # SQLite stores 1/0
    return out


def _write_committees(conn: Executes, hearing_id: int, wanted: list[tuple[int, int]], new: bool) -> bool:
    stored = {} if new else dict(_all(conn, _COMMITTEE_LINKS.one, (hearing_id,)))
    want = dict(wanted)
    changed = False
    if not stored:
        conn.executemany(
            "INSERT INTO hearing_committees (hearing_id, committee_id, is_primary) VALUES (?, ?, ?)",
            [(hearing_id, committee_id, primary) for committee_id, primary in wanted],
        )
        return bool(wanted)
    for committee_id in stored.keys() - want.keys():
        conn.execute(
            "DELETE FROM hearing_committees WHERE hearing_id = ? AND committee_id = ?",
            (hearing_id, committee_id),
        )
        changed = True
    for committee_id, primary in wanted:
        if committee_id not in stored:
            conn.execute(
                "INSERT INTO hearing_committees (hearing_id, committee_id, is_primary) VALUES (?, ?, ?)",
                (hearing_id, committee_id, primary),
            )
            changed = True
        elif stored[committee_id] != primary:
            conn.execute(
                "UPDATE hearing_committees SET is_primary = ? WHERE hearing_id = ? AND committee_id = ?",
                (primary, hearing_id, committee_id),
            )
            changed = True
    return changed


# -- the meeting ---------------------------------------------------------------------------


def _refuse_blanking(rows: MeetingRows, title: str | None, day: str | None) -> None:
    """An update may not replace a stored title or date with nothing."""
    if (title or "").strip() and not (rows.hearing.get("title") or "").strip():
        raise RecordInvalid(
            "title", "title_kept", "the payload has no title; the stored title is kept, the update refused",
            key=rows.event_id,
        )  # fmt: skip
    if day and not rows.hearing.get("hearing_date"):
        raise RecordInvalid(
            "date", "date_kept", f"the payload has no date; the stored date {day} is kept, the update refused",
            key=rows.event_id,
        )  # fmt: skip


def _with_video(conn: Executes, rows: MeetingRows) -> tuple[dict[str, Any], dict[str, tuple[DocumentRow, ...]]]:
    """The hearing columns and supporting documents, with the video columns where they exist."""
    known: bool | None = getattr(conn, "video_columns", None)  # a batch's reader knows it
    if not (has_video_columns(conn) if known is None else known):
        return rows.hearing, rows.supporting
    hearing = {**rows.hearing, **rows.video.as_columns()}
    videos = list(rows.supporting.get("video", ()))
    chosen = next((i for i, d in enumerate(videos) if d.document_url == rows.video.video_url), None)
    if chosen is not None:
        del videos[chosen]
    return hearing, {**rows.supporting, "video": tuple(videos)}


def write_meeting(conn: Executes, rows: MeetingRows) -> Outcome:
    """Write everything of one meeting; which :class:`~sqlbatch.Outcome` it had.

    Raises :class:`UnknownCommittee` (before any write) for a committee the database does
    not know, :class:`RecordInvalid` (rule ``required``) for a new meeting whose payload
    lacks a NOT NULL column or its committees, and (rules ``title_kept``, ``date_kept``)
    for an update that would blank a stored title or date.
    """
    found = _all(conn, HEARING_BY_EVENT.one, (rows.event_id,))
    new = not found
    if new:
        for column, api_field in _REQUIRED_ON_INSERT.items():
            if rows.hearing.get(column) is None:
                raise RecordInvalid(api_field, "required", "a new meeting needs it", key=rows.event_id)
    else:
        _refuse_blanking(rows, found[0][1], found[0][2])
    if not rows.committees:
        raise RecordInvalid("committees", "required", "a meeting needs a committee", key=rows.event_id)
    committees = _committee_ids(conn, rows)
    hearing, supporting = _with_video(conn, rows)

    if new:
        columns = tuple(hearing)
        values = tuple(hearing[c] for c in columns)
        hearing_id = _all(conn, _insert_sql(columns), values)[0][0]
        hearing_changed = True
    else:
        hearing_id = found[0][0]
        columns = tuple(c for c in hearing if c != "event_id")
        values = tuple(hearing[c] for c in columns)
        hearing_changed = bool(columns) and bool(_all(conn, _update_sql(columns), (*values, hearing_id, *values)))

    children_changed = _write_committees(conn, hearing_id, committees, new)
    changed, by_appearance = write_appearances(conn, hearing_id, rows.witnesses, new)
    children_changed |= changed
    children_changed |= write_witness_documents(conn, hearing_id, by_appearance, new)
    children_changed |= write_supporting(conn, hearing_id, supporting, new)
    children_changed |= write_transcripts(conn, hearing_id, rows.transcripts, new)
    children_changed |= write_bills(conn, hearing_id, rows.bills, new)
    children_changed |= write_treaties(conn, hearing_id, rows.treaties, new)
    children_changed |= write_nominations(conn, hearing_id, rows.nominations, new)
    children_changed |= write_continuations(conn, hearing_id, rows.continuations, new)

    if new:
        return Outcome.ADDED
    if children_changed and not hearing_changed:
        conn.execute("UPDATE hearings SET updated_at = CURRENT_TIMESTAMP WHERE hearing_id = ?", (hearing_id,))
    return Outcome.UPDATED if hearing_changed or children_changed else Outcome.UNCHANGED
