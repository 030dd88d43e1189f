"""Post-run cross-batch check: find the batches behind a failure and compensate them.

Some rules only show once every batch is in (a foreign key to a row a later batch removed, a
value two batches each wrote once). After the last commit the processor runs its final
validators over the whole database. An error :class:`~sqlbatch.Issue` that names its
``rows`` (``(table, {column: value})``) is traced to the committed batches of this run whose
stored before-images (``sqlbatch_undo``) touched those rows. Those batches — and any later
batch of the run that wrote the same rows, so nothing newer is clobbered — are undone from
their before-images in one transaction, exactly as :func:`sqlbatch.revert` would, and their
records are quarantined with the reason. The compensation is kept only when the check then
finds fewer errors; otherwise it is rolled back and the run reports the errors as they are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from ._changes import Change
from ._restore import conflicts, restore_changes
from ._undo import decode
from .validators import Issue, run_all

if TYPE_CHECKING:
    from ._connection import Connection
    from ._journal import Journal

_MISSING = object()


@dataclass
class Compensation:
    """What the post-run check undid: batches, their record keys and the issues that remain."""

    batches: list[int] = field(default_factory=list)
    keys: dict[int, list[str]] = field(default_factory=dict)
    rows_restored: int = 0
    remaining: list[Issue] = field(default_factory=list)
    traced: bool = False  # some error was traced to a batch of this run


def touches(change: Change, table: str, where: dict[str, Any]) -> bool:
    """Whether ``change`` wrote the row of ``table`` described by ``where`` (before or after)."""
    if change.table != table:
        return False
    keyed = dict(zip(change.key_columns, change.key, strict=True))
    for image in (change.before, change.after):
        values = {**(image or {}), **keyed}
        if all(values.get(col, _MISSING) == value for col, value in where.items()):
            return True
    return False


def compensate(
    conn: Connection,
    journal: Journal,
    run_id: int,
    issues: list[Issue],
    check: Callable[[Connection], list[Issue]],
) -> Compensation:
    """Undo the batches of ``run_id`` behind ``issues`` when that leaves fewer errors."""
    errors = [i for i in issues if i.severity == "error"]
    wanted = [row for issue in errors for row in issue.rows]
    stored = _stored_batches(conn, run_id)
    # batch 0 is the run's setup, not records: never compensated (a revert undoes it), but an
    # error on rows it wrote is this run's, reported as such
    setup = stored.pop(0, None)
    chosen = _implicated(stored, wanted, {i.record for i in errors if i.record})
    if not chosen:
        ours = setup is not None and _implicated({0: setup}, wanted, set())
        return Compensation(remaining=issues, traced=bool(ours))
    changes = [c for no in sorted(chosen) for c in stored[no][0]]
    backend = journal.backend
    backend.begin(conn)
    try:
        if conflicts(conn, run_id, changes):  # another writer changed these rows since: leave them
            backend.rollback(conn)
            return Compensation(remaining=issues, traced=True)
        restore_changes(conn, changes)
        after = run_all([check], conn)
        if len([i for i in after if i.severity == "error"]) >= len(errors):
            backend.rollback(conn)
            return Compensation(remaining=issues, traced=True)
        done = Compensation(sorted(chosen), {no: stored[no][1] for no in chosen}, len(changes), after, True)
        _journal(journal, run_id, done, errors)
        backend.commit(conn)
    except BaseException:
        backend.rollback(conn)
        raise
    return done


def _stored_batches(conn: Connection, run_id: int) -> dict[int, tuple[list[Change], list[str]]]:
    rows = conn.execute("SELECT batch_no, data, keys FROM sqlbatch_undo WHERE run_id=?", (run_id,))
    return {no: (decode(data), json.loads(keys) if keys else []) for no, data, keys in rows}


def _implicated(
    stored: dict[int, tuple[list[Change], list[str]]],
    wanted: Iterable[tuple[str, dict[str, Any]]],
    records: set[str],
) -> set[int]:
    """Batches that wrote a wanted row or record, plus every later batch touching their rows."""
    wanted = list(wanted)
    chosen = {
        no
        for no, (changes, keys) in stored.items()
        if records.intersection(keys) or any(touches(c, t, w) for c in changes for t, w in wanted)
    }
    if not chosen:
        return chosen
    grew = True
    while grew:
        rows = {(c.table, c.key) for no in chosen for c in stored[no][0]}
        first = min(chosen)
        later = {
            no
            for no, (changes, _) in stored.items()
            if no > first and no not in chosen and any((c.table, c.key) in rows for c in changes)
        }
        chosen |= later
        grew = bool(later)
    return chosen


def _journal(journal: Journal, run_id: int, done: Compensation, errors: list[Issue]) -> None:
    """Mark the batches compensated, drop their before-images, quarantine their records."""
    conn = journal.conn
    cause = errors[0]
    named = {i.record: i for i in errors if i.record}
    for no in done.batches:
        conn.execute(
            "UPDATE sqlbatch_batches SET status='compensated', error=? WHERE run_id=? AND batch_no=?",
            (f"compensated after the post-run check: {cause}", run_id, no),
        )
        conn.execute("DELETE FROM sqlbatch_undo WHERE run_id=? AND batch_no=?", (run_id, no))
        for key in done.keys[no]:
            issue = named.get(key) or Issue(
                "post_run_check",
                f"batch {no} was undone because the post-run check failed ({cause}); "
                "the record itself passed its checks and is applied again when it next arrives",
                key,
            )
            journal.quarantine(run_id, no, key, None, issue)
    journal.add_issues(run_id, None, errors)
