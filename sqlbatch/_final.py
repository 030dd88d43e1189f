"""The post-run check (batched mode): final validators over the whole database, then compensation.

An error the check traces to batches of this run has those batches undone from their stored
before-images (:mod:`._compensate`); findings about rows no batch of this run wrote are older
damage, reported as warnings for a person to fix.
"""

from __future__ import annotations

from functools import partial
from typing import TYPE_CHECKING

from ._compensate import compensate
from ._tally import count_compensated
from .validators import Issue, run_all

if TYPE_CHECKING:
    from ._state import RunState


def run_final_checks(state: RunState) -> None:
    config, result, journal = state.config, state.result, state.journal
    if not config.final_validators:
        return
    issues = run_all(config.final_validators, state.conn)
    if not any(i.severity == "error" for i in issues):
        if issues:
            result.warnings.extend(issues)
            state.write(lambda: journal.add_issues(result.run_id, None, issues))  # type: ignore[arg-type]
        return
    assert result.run_id is not None
    done = compensate(state.conn, journal, result.run_id, issues, partial(run_all, config.final_validators))
    if done.batches:
        count_compensated(result, done, issues)
    elif not done.traced and all(i.rows or i.record for i in issues):
        # every finding names rows no batch of this run wrote: older damage, reported, not ours
        done.remaining = [_preexisting(i) for i in issues]
        state.write(lambda: journal.add_issues(result.run_id, None, done.remaining))  # type: ignore[arg-type]
    else:
        state.write(lambda: journal.add_issues(result.run_id, None, issues))  # type: ignore[arg-type]
    result.warnings.extend(done.remaining)
    if any(i.severity == "error" for i in done.remaining):
        result.status = "completed_with_errors"


def _preexisting(issue: Issue) -> Issue:
    if issue.severity != "error":
        return issue
    message = f"{issue.message} (rows this run did not write: fix them by hand)"
    return Issue(issue.rule, message, issue.record, issue.field, "warning", issue.rows)
