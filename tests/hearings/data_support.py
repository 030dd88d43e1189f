"""Helpers for the tests of the data the API sends (issue 11): what the earlier database gains."""

from __future__ import annotations

from typing import Any

from adapters.hearings.witness_type import witness_type


def meetings_whose_witness_type_changes(conn: Any) -> set[str]:
    """The stored meetings with an appearance whose ``witness_type`` the rule sets otherwise.

    The earlier system typed every appearance by its own guess (anything unmatched
    ``Private``); an update sets the rule's type where the rule places the witness and keeps
    the stored one where it does not.
    """
    rows = conn.execute(
        "SELECT h.event_id, w.organization, a.position, a.witness_type FROM witness_appearances a "
        "JOIN witnesses w USING (witness_id) JOIN hearings h USING (hearing_id)"
    )
    changed = set()
    for event_id, organization, position, stored in rows:
        derived = witness_type(organization, position)
        if derived is not None and derived != stored:
            changed.add(event_id)
    return changed
