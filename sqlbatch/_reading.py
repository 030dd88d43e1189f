"""Reading records into batches: positions, resume skip, record validators, then ``prepare``."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from ._isolate import Item, RecordFailed, Settled
from ._results import Prepared, SourceFailed
from .validators import Issue, run_all

if TYPE_CHECKING:
    from ._state import RunState


@dataclass
class Batch:
    no: int
    items: list[Item]
    rejected: list[tuple[Item, Issue]]
    settled: Settled | None = None
    #: records that made SQLite end the transaction: never replayed, quarantined on every settle
    doomed: list[tuple[Item, Issue]] = field(default_factory=list)
    #: warnings of record validators and ``prepare``: journaled with the batch, never lost
    warnings: list[Issue] = field(default_factory=list)

    @property
    def size(self) -> int:
        return len(self.items) + len(self.rejected)


def read_batches(state: RunState, records: Iterable[Any], skip_to: int) -> Iterator[Batch]:
    """Batches of the records past ``skip_to``; a record that fails its checks is ``rejected``."""
    config, metrics = state.config, state.result.metrics
    it = iter(records)
    position = 0
    batch_no = 0
    while True:
        try:
            chunk = list(islice(it, config.batch_size))
        except Exception as exc:  # noqa: BLE001 - the source failed: fatal, not the records' fault
            raise SourceFailed(f"the source failed: {exc}") from exc
        if not chunk:
            return
        batch = Batch(batch_no + 1, [], [])
        for record in chunk:
            position += 1
            metrics.records_total += 1
            pos = getattr(record, "position", position)
            if pos <= skip_to:
                metrics.records_resumed += 1
                continue
            cursor = config.cursor(record) if config.cursor else None
            _read_one(state, batch, Item(config.key(record), record, record, pos, cursor))
        if batch.items or batch.rejected:
            batch_no += 1
            yield batch


def _read_one(state: RunState, batch: Batch, item: Item) -> None:
    config, fatal = state.config, state.backend.fatal_errors
    record = item.record
    try:
        issues = run_all(config.record_validators, record)
    except fatal:
        raise
    except Exception as exc:  # noqa: BLE001 - a validator crashing on a record rejects it
        issues = [Issue(type(exc).__name__, f"a record validator raised {exc!r}")]
    errors = [i for i in issues if i.severity == "error"]
    if not errors and config.prepare is not None:
        try:
            prepared = config.prepare(record)
        except RecordFailed as exc:
            errors = [exc.issue]
        except fatal:
            raise
        except Exception as exc:  # noqa: BLE001 - like apply's errors: the record's failure
            errors = [Issue(type(exc).__name__, str(exc) or repr(exc))]
        else:
            if isinstance(prepared, Prepared):
                issues = [*issues, *prepared.issues]
                errors = [i for i in prepared.issues if i.severity == "error"]
                prepared = prepared.value
            item.prepared = prepared
    if errors:
        batch.rejected.append((item, _with_key(errors[0], item.key)))
    else:
        batch.items.append(item)
        batch.warnings.extend(_with_key(i, item.key) for i in issues)


def _with_key(issue: Issue, key: str) -> Issue:
    if issue.record == key:
        return issue
    return Issue(issue.rule, issue.message, key, issue.field, issue.severity)
