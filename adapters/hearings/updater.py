"""The hearings daily update as a sqlbatch job: raw records in, one unit of work per batch.

``prepare`` turns a :class:`RawRecord` into the rows of one meeting (or rejects it with the
field and rule at fault); ``apply`` writes a batch of meetings through the unit of work and
reports each as added / updated / unchanged. Everything of one meeting — the hearing, its
committee links, witnesses, appearances and documents — is written in the same unit of work.
"""

from __future__ import annotations

import hashlib
import json
import re
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import apsw

from sqlbatch import (
    Connection,
    Issue,
    Outcome,
    Prepared,
    Processor,
    RecordFailed,
    RetryPolicy,
    RunResult,
    Settings,
    UniqueInBatch,
    UnitOfWork,
    foreign_key_check,
)
from sqlbatch.validators import BatchContext

from .committees import CommitteeSeeding
from .mapping import MeetingRows, meeting_rows
from .models import RecordInvalid, parse_meeting
from .rules import DEFAULT_RULES, RuleConfig, check_meeting, may_hold_control_chars
from .schema import ensure_schema
from .schema_types import postgres_session
from .seen import SeenKeys
from .sources.record import RawRecord
from .sqlrows import all_rows
from .store import write_meeting
from .store_batch import BatchReads
from .textrepair import repair_text

JOB = "hearings"

_C1 = re.compile(r"[\x80-\x9f]")  # Windows-1252 read as Latin-1: repaired before the rules
# ``json.dumps(payload, ensure_ascii=False, default=str)``, with the encoder built once; a
# payload decoded from JSON holds no cycles, so they are not looked for
_PAYLOAD_TEXT = json.JSONEncoder(ensure_ascii=False, default=str, check_circular=False)


def _setting(name: str) -> Any:
    """A sqlbatch setting's default: a run through the library defaults as the command does."""
    return Settings.model_fields[name].default


@dataclass
class UpdateOptions:
    """One run's options; each defaults to its setting's default (``BATCH_SIZE``...)."""

    batch_size: int = _setting("batch_size")
    strategy: str = _setting("rollback_strategy")
    on_failure: str = _setting("on_batch_failure")
    all_or_nothing: bool = not _setting("enable_batch_processing")
    dry_run: bool = False
    validation_budget_ms: float = _setting("batch_validation_timeout")
    commit_interval_ms: float = _setting("commit_interval_ms")
    backup_retention: int = _setting("backup_retention")
    undo_retention_days: float = _setting("undo_retention_days")
    rules: RuleConfig = field(default_factory=lambda: DEFAULT_RULES)
    retry: RetryPolicy | None = None
    lock_timeout: float = _setting("run_lock_timeout")  # seconds a second run waits for the run lease


class MeetingPreparer:
    """Parses, checks and maps one raw record; rejects duplicates with conflicting content."""

    def __init__(self, rules: RuleConfig = DEFAULT_RULES) -> None:
        self.rules = rules
        self._seen = SeenKeys()  # key -> content digest, first position (off the heap)

    def __call__(self, raw: RawRecord) -> Prepared:
        key = raw.key
        if raw.error is not None:
            raise RecordFailed(key, raw.rule, raw.error)
        if not isinstance(raw.payload, dict):
            kind = type(raw.payload).__name__ if raw.payload is not None else "null"
            raise RecordFailed(key, "object", f"record #{raw.position} is a JSON {kind}, expected an object")
        text = _PAYLOAD_TEXT.encode(raw.payload)
        digest = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")
        first = self._seen.remember(key, digest, raw.position)
        if first is not None and first[0] != SeenKeys.digest_of(digest):
            raise RecordFailed(
                key,
                "duplicate_key",
                f"eventId {key} appears again at #{raw.position} with different content; the first "
                f"occurrence (#{first[1]}) was kept",
                "eventId",
            )
        suspect = may_hold_control_chars(text)  # C1 characters included: one test for both
        payload, repairs = repair_text(raw.payload) if suspect and _C1.search(text) else (raw.payload, [])
        if repairs:
            suspect = may_hold_control_chars(json.dumps(payload, ensure_ascii=False, default=str))
        try:
            meeting = parse_meeting(payload)
        except RecordInvalid as exc:
            raise RecordFailed(key, exc.rule, exc.reason, exc.field) from None
        found = check_meeting(meeting, self.rules, text_checked=not suspect)
        issues = [Issue("text_repaired", r.message, key, r.field, "warning") for r in repairs]
        issues += [replace(i, record=key) for i in found]
        errors = [i for i in issues if i.severity == "error"]
        if errors:
            raise RecordFailed(key, errors[0].rule, errors[0].message, errors[0].field)
        return Prepared(meeting_rows(meeting), issues)


def apply_meetings(uow: UnitOfWork, batch: Sequence[MeetingRows]) -> list[Outcome]:
    """Write each meeting of the batch through the unit of work; a record-level failure
    names its meeting. The batch's stored state is read in a few queries first."""
    outcomes = []
    conn = BatchReads(uow, batch)
    for rows in batch:
        key = rows.event_id
        try:
            outcomes.append(write_meeting(conn, rows))
        except RecordInvalid as exc:
            raise RecordFailed(key, exc.rule, exc.reason, exc.field) from None
        except _constraint_errors() as exc:
            raise RecordFailed(key, "constraint", str(exc)) from None
    return outcomes


def _constraint_errors() -> tuple[type[BaseException], ...]:
    """The engines' constraint violations; psycopg's only once a PostgreSQL run loaded it
    (a SQLite run never imports it)."""
    psycopg = sys.modules.get("psycopg")
    return (apsw.ConstraintError,) if psycopg is None else (apsw.ConstraintError, psycopg.IntegrityError)


def every_hearing_linked(ctx: BatchContext) -> list[Issue]:
    """No partial meeting: every hearing the batch wrote has at least one committee link."""
    # the key, not ``after``: a session changeset's UPDATE carries only the changed columns
    ids = list({c.key[0]: None for c in ctx.changes if c.table == "hearings" and c.after})
    unlinked: list[tuple[Any, ...]] = []
    for start in range(0, len(ids), 500):  # one query per 500 hearings, far below SQLite's parameter limit
        chunk = ids[start : start + 500]
        unlinked += all_rows(
            ctx.conn,
            f"SELECT hearing_id, event_id FROM hearings WHERE hearing_id IN ({', '.join('?' * len(chunk))}) "
            "AND NOT EXISTS (SELECT 1 FROM hearing_committees c WHERE c.hearing_id = hearings.hearing_id)",
            chunk,
        )
    events = dict(unlinked)
    return [
        Issue("committee_link", "the meeting has no committee link", events[hearing_id], "committees")
        for hearing_id in ids
        if hearing_id in events
    ]


def foreign_keys_clean(conn: Connection) -> list[Issue]:
    """Post-run cross-batch check: the whole database's foreign keys (once per run)."""
    return foreign_key_check(conn)


def hearings_all_linked(conn: Connection) -> list[Issue]:
    """Post-run cross-batch check: no stored hearing without a committee link (no partial meeting)."""
    rows = all_rows(
        conn,
        "SELECT hearing_id, event_id FROM hearings h"
        " WHERE NOT EXISTS (SELECT 1 FROM hearing_committees c WHERE c.hearing_id = h.hearing_id)",
    )
    return [
        Issue(
            "committee_link",
            "the meeting has no committee link",
            event,
            "committees",
            rows=(("hearings", {"hearing_id": hid}),),
        )
        for hid, event in rows
    ]


def prepare_database(conn: Connection) -> bool:
    """Create (new file) or extend (earlier schema) the database: the schema only, no data
    (the committees are written by the run, see :class:`CommitteeSeeding`). Returns True
    when the database was new."""
    pg = postgres_session(conn)
    if pg is not None:
        # CURRENT_TIMESTAMP into a ``timestamp`` column is the session's local time there;
        # SQLite's is UTC, and so are the PostgreSQL schema's defaults
        pg.execute("SET TIME ZONE 'UTC'")
    with conn:
        created = ensure_schema(conn.raw)
    return created == "created"


def build_processor(
    conn: Connection, options: UpdateOptions, progress: Any = None, *, committees: CommitteeSeeding | None = None
) -> Processor:
    """The hearings processor; ``committees`` is the run's committee step (default: the
    bundled list when the table is empty)."""
    return Processor(
        conn,
        apply_meetings,
        setup=committees or CommitteeSeeding(),
        batch_size=options.batch_size,
        strategy=options.strategy,
        on_failure=options.on_failure,
        prepare=MeetingPreparer(options.rules),
        batch_validators=[UniqueInBatch(), every_hearing_linked],
        final_validators=[foreign_keys_clean, hearings_all_linked],
        key=lambda r: r.key,
        payload=_payload_text,
        cursor=lambda r: r.update_date,
        validation_budget_ms=options.validation_budget_ms,
        commit_interval_ms=options.commit_interval_ms,
        all_or_nothing=options.all_or_nothing,
        backup_retention=options.backup_retention,
        undo_retention_days=options.undo_retention_days,
        retry=options.retry,
        job=JOB,
        progress=progress,
        lock_timeout=options.lock_timeout,
    )


def run_update(
    conn: Connection,
    records: Iterable[RawRecord],
    options: UpdateOptions,
    *,
    source: str,
    progress: Any = None,
    resume: bool = True,
    committees: CommitteeSeeding | None = None,
) -> RunResult:
    """Run the update; raises ``ProcessorAborted`` on fatal errors, ``RunLocked`` when another run holds the lease.

    ``resume=False`` for a source whose records are not the same sequence on a rerun (the
    API lists from the moved cursor): the cursor resumes it, not the position.
    ``committees``: the run's committee step; an API run passes ``records.committees``
    (:func:`~adapters.hearings.api_source.api_records`); default: the bundled list when the
    committees table is empty.
    """
    processor = build_processor(conn, options, progress, committees=committees)
    return processor.run(records, source=source, dry_run=options.dry_run, resume=resume)


def _payload_text(record: RawRecord) -> str | None:
    if record.payload is None:
        return None
    try:
        return json.dumps(record.payload, ensure_ascii=False, default=str)
    except (TypeError, ValueError):
        return repr(record.payload)
