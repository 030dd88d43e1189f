"""``multiset_diff``: the writes that make a meeting's stored child rows equal the wanted ones."""

from __future__ import annotations

from collections import Counter

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.hearings.sqlrows import multiset_diff

ROWS = st.lists(st.tuples(st.sampled_from(["a", "b", "c"]), st.sampled_from([None, 1, 2])), max_size=8)


@settings(max_examples=300, deadline=None)
@given(ROWS, ROWS, st.booleans())
def test_diff_is_exact_and_minimal(stored_values: list[tuple], wanted: list[tuple], same: bool) -> None:
    if same:  # a rerun: the wanted rows are the stored ones, in their order
        wanted = list(stored_values)
    stored = list(enumerate(stored_values, start=100))
    delete, insert = multiset_diff(stored, wanted)
    kept = Counter(v for i, v in stored if i not in set(delete))
    assert kept + Counter(insert) == Counter(wanted)  # exact: the stored rows become the wanted ones
    shared = sum((Counter(stored_values) & Counter(wanted)).values())
    assert len(delete) == len(stored) - shared and len(insert) == len(wanted) - shared  # minimal
    assert len(set(delete)) == len(delete)
