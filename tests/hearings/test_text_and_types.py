"""Properties of the Windows-1252 repair and of the witness_type rule (issue 11)."""

from __future__ import annotations

import re

import ftfy.fixes  # noqa: F401 - textrepair loads it on first use; loaded here, before hypothesis times an example
from hypothesis import given
from hypothesis import strategies as st

from adapters.hearings.models import parse_meeting
from adapters.hearings.rules import check_meeting
from adapters.hearings.textrepair import repair_text
from adapters.hearings.witness_type import WITNESS_TYPES, witness_type

UNDEFINED_IN_1252 = "\x81\x8d\x8f\x90\x9d"
C1 = re.compile(r"[\x80-\x9f]")
text = st.text(st.characters(min_codepoint=0x20, max_codepoint=0x2FF), max_size=40)


@given(st.lists(text, min_size=1, max_size=4))
def test_repair_reads_each_defined_c1_character_as_windows_1252_and_touches_nothing_else(parts: list[str]) -> None:
    value = "".join(parts)
    payload = {"title": value, "witnesses": [{"name": value}]}
    fixed, repairs = repair_text(payload)
    assert all(set(C1.findall(s)) <= set(UNDEFINED_IN_1252) for s in (fixed["title"], fixed["witnesses"][0]["name"]))
    if not C1.search(value):
        assert fixed is payload and repairs == []
    for ch in set(C1.findall(value)) - set(UNDEFINED_IN_1252):
        assert ch.encode("latin-1").decode("cp1252") in fixed["title"]
    repaired = {c for r in repairs for c in r.characters}
    assert repaired == set(C1.findall(value)) - set(UNDEFINED_IN_1252)


def test_a_repaired_payload_passes_the_control_character_rule_an_undefined_one_does_not() -> None:
    base = {"eventId": "1", "title": "x", "date": "2025-01-01", "committees": [{"systemCode": "hsag00"}]}
    fixed, _ = repair_text({**base, "title": "It\x92s"})
    assert [i.rule for i in check_meeting(parse_meeting(fixed))] == []
    fixed, _ = repair_text({**base, "title": "It\x81s"})
    assert [i.rule for i in check_meeting(parse_meeting(fixed))] == ["no_control_chars"]


words = st.sampled_from(["Department of", "University", "Foundation", "Inc.", "Council", "Rancheria", "U.S.", "Farms"])


@given(st.lists(words, max_size=4), st.sampled_from(["", " ", "  "]), st.booleans())
def test_witness_type_is_one_of_the_apps_values_and_ignores_case_and_spacing(
    parts: list[str], gap: str, upper: bool
) -> None:
    organization = " ".join(parts)
    kind = witness_type(organization, None)
    assert kind is None or kind in WITNESS_TYPES
    spaced = (gap + (" " + gap).join(parts) + gap).upper() if upper else gap + (" " + gap).join(parts)
    assert witness_type(spaced, None) == kind
    assert witness_type(None, "Former " + organization) is None  # a former official speaks for themself
