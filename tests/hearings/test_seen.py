"""SeenKeys against a plain dict: same answers for any sequence of keys; nothing per key on the heap."""

from __future__ import annotations

import tracemalloc

from hypothesis import given, settings
from hypothesis import strategies as st

from adapters.hearings.seen import SeenKeys

_KEYS = st.text(min_size=0, max_size=12)
_OPS = st.lists(st.tuples(_KEYS, st.integers(0, 2**64 - 1), st.integers(0, 2**40)), max_size=400)


@settings(max_examples=200, deadline=None)
@given(ops=_OPS)
def test_behaves_like_a_dict_keeping_the_first_occurrence(ops: list[tuple[str, int, int]]) -> None:
    seen, model = SeenKeys(), {}
    for key, digest, position in ops:
        assert seen.remember(key, digest, position) == model.get(key)
        model.setdefault(key, (SeenKeys.digest_of(digest), min(position, 2**32 - 1)))
        assert len(seen) == len(model)
    for key, value in model.items():
        assert seen.remember(key, 0, 0) == value  # a repeat changes nothing


def test_two_hundred_thousand_keys_are_exact_and_kept_off_the_heap() -> None:
    keys = [f"11{i:05d}9{i % 7:04d}" for i in range(200_000)]
    seen = SeenKeys()
    tracemalloc.start()
    for i, key in enumerate(keys):
        assert seen.remember(key, i * 7919, i) is None
    held, _peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    assert len(seen) == 200_000
    assert held < 1_000_000  # Python objects: none per key (a dict would hold ~26 MB)
    for i in range(0, 200_000, 997):
        assert seen.remember(keys[i], 1, 1) == (SeenKeys.digest_of(i * 7919), i)
    assert seen.remember("new", 1, 1) is None
    seen.close()
