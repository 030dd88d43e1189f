"""SeenKeys against a plain dict: same answers for any sequence of keys, across growth."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.hearings.seen import SeenKeys

_KEYS = st.text(min_size=0, max_size=12)
_OPS = st.lists(st.tuples(_KEYS, st.integers(0, 2**64 - 1), st.integers(0, 2**40)), max_size=400)


@settings(max_examples=200, deadline=None)
@given(ops=_OPS)
def test_behaves_like_a_dict_keeping_the_first_occurrence(ops: list[tuple[str, int, int]]) -> None:
    seen, model = SeenKeys(capacity=8), {}  # the smallest table: growth happens many times
    for key, digest, position in ops:
        expected = model.get(key)
        assert seen.get(key) == expected
        seen.add(key, digest, position)
        model.setdefault(key, (SeenKeys.digest_of(digest), min(position, 2**32 - 1)))
        assert len(seen) == len(model)
    for key, value in model.items():
        assert seen.get(key) == value


def test_two_hundred_thousand_keys_stay_small_and_exact() -> None:
    seen = SeenKeys()
    keys = [f"11{i:05d}9{i % 7:04d}" for i in range(200_000)]
    for i, key in enumerate(keys):
        seen.add(key, i * 7919, i)
    assert len(seen) == 200_000
    for i in range(0, 200_000, 997):
        assert seen.get(keys[i]) == (SeenKeys.digest_of(i * 7919), i)
    slots = seen._mask + 1
    assert slots == 2**18  # 4/5 load: 200,000 keys fit 262,144 slots of 16 B (4 MiB, not 27 MB)
    assert seen.get("never added") is None


@pytest.mark.parametrize("capacity", [0, 7, 12, -8])
def test_bad_capacity_fails_at_construction_naming_the_call(capacity: int) -> None:
    with pytest.raises(ValueError, match=rf"SeenKeys\(capacity={capacity}\): capacity must be a power of two"):
        SeenKeys(capacity)
