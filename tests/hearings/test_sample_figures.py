"""The real sample with the related bills its titles cite: bills linked, witnesses typed (issue 11).

The snapshot lost ``relatedItems`` (its README says so), so a sample is built the way the API
fills it: each meeting's ``relatedItems.bills`` lists the bills its title cites ("H.R. 1246",
"S. 12", "H.J.Res. 7"...), in the documented shape ``{congress, type, number, url}``.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path
from typing import Any

import pytest

from adapters.hearings.witness_type import WITNESS_TYPES, witness_type
from tests.support.data import records_of
from tests.support.db import query
from tests.support.hearings import update

_CITATION = re.compile(
    r"\b(H\.\s?Con\.\s?Res\.|S\.\s?Con\.\s?Res\.|H\.\s?J\.\s?Res\.|S\.\s?J\.\s?Res\.|H\.\s?Res\.|S\.\s?Res\.|H\.\s?R\.|S\.)"
    r"\s?(\d{1,5})\b"
)


def cited_bills(title: str, congress: int) -> list[dict[str, Any]]:
    """The bills a title cites, as ``relatedItems.bills`` items."""
    bills = []
    for prefix, number in _CITATION.findall(title or ""):
        kind = re.sub(r"[\s.]", "", prefix).upper()
        url = f"https://api.congress.gov/v3/bill/{congress}/{kind.lower()}/{number}?format=json"
        bills.append({"congress": congress, "type": kind, "number": number, "url": url})
    return bills


@pytest.fixture(scope="module")
def sample_with_bills(real_payloads: list[dict[str, Any]]) -> list[dict[str, Any]]:
    built = copy.deepcopy(real_payloads)
    for payload in built:
        bills = cited_bills(payload["title"], payload["congress"])
        if bills:
            payload["relatedItems"] = {"bills": bills}
    return built


@pytest.mark.slow
def test_the_sample_links_its_cited_bills_and_types_its_witnesses(
    tmp_path: Path, sample_with_bills: list[dict[str, Any]]
) -> None:
    db = tmp_path / "sample.db"
    result = update(db, records_of(sample_with_bills))
    assert result.quarantined == [] and result.metrics.records_added == 1168

    per_meeting = {
        p["eventId"]: {(b["congress"], b["type"], int(b["number"])) for b in p.get("relatedItems", {}).get("bills", [])}
        for p in sample_with_bills
    }
    linked = sum(len(bills) for bills in per_meeting.values())
    distinct = set().union(*per_meeting.values())
    assert linked > 100  # the markup notices list many bills
    assert query(db, "SELECT count(*) FROM hearing_bills") == [(linked,)]
    assert query(db, "SELECT count(*) FROM bills") == [(len(distinct),)]
    assert set(query(db, "SELECT congress, bill_type, bill_number FROM bills")) == distinct
    assert query(db, "SELECT DISTINCT relationship_type FROM hearing_bills") == [("related",)]  # all are Hearings

    rows = query(db, "SELECT w.organization, a.position, a.witness_type FROM witness_appearances a JOIN witnesses w "
                     "USING (witness_id)")  # fmt: skip
    assert len(rows) == 1608
    assert all(stored == witness_type(org, pos) for org, pos, stored in rows)
    typed = [stored for _, _, stored in rows if stored is not None]
    assert set(typed) == set(WITNESS_TYPES)
    assert len(typed) >= 0.8 * len(rows)

    assert update(db, records_of(sample_with_bills)).metrics.records_unchanged == 1168


@pytest.mark.parametrize(
    ("organization", "position", "expected"),
    [  # the examples of the rule's table (adapters/hearings/witness_type.py), all from the sample
        ("National Institutes of Health", None, "Government"),
        ("U.S. Chamber of Commerce", "President", "Nonprofit"),
        ("The Heritage Foundation", None, "Nonprofit"),
        ("Foundation for Government Accountability", None, "Nonprofit"),
        ("The American Legion", None, "Nonprofit"),
        ("Stanford University", None, "Academic"),
        ("Georgetown University", None, "Academic"),
        ("U.S. Government Accountability Office", None, "Government"),
        ("Department of the Navy", None, "Government"),
        ("Federal Aviation Administration", None, "Government"),
        ("House of Representatives", "Member of Congress", "Government"),
        ("District of Columbia", "Council Chairman", "Government"),
        ("State of Louisiana", None, "Government"),
        ("American Enterprise Institute", None, "Nonprofit"),
        ("Bipartisan Policy Center", None, "Nonprofit"),
        ("Pipeline Safety Trust", None, "Nonprofit"),
        ("Liquid Energy Pipeline Association", None, "Nonprofit"),
        ("Jetta Corporation", "CEO", "Private"),
        ("Pinsly Railroad Company", "General Counsel", "Private"),
        (None, "Member of Congress", "Government"),
        ("", "Idaho Secretary of State", "Government"),
        (None, "Commissioner of Social Security", "Government"),
        (None, "United States Trade Representative", "Government"),
        (None, "Koch Distinguished Professor in Law", "Academic"),
        (None, "Former United States Ambassador to Japan", None),  # a former official speaks for themself
        ("Better Markets", "Director of Banking Policy", None),  # the rule cannot place it: NULL
        (None, None, None),
    ],
)
def test_witness_type_rule_examples(organization: str | None, position: str | None, expected: str | None) -> None:
    assert witness_type(organization, position) == expected
