"""``SeenKeys``: the eventIds of one run with their content digest and first position, compactly.

The preparer must notice an eventId that comes again with different content, so it remembers
every key of the run. A ``dict[str, int]`` costs ~130 B a key (the key string, the int, the
dict slot): 27 MB on a 200,000-record run, most of the run's memory (bench P4). Here a key is
an open-addressing slot over two flat arrays, 16 B a slot, at most 4/5 full: 16-40 B a key.

Keys are stored as their 64-bit Python ``hash`` (stable within a process, which is all a run
needs); the content digest is kept to 32 bits. Two eventIds of one run sharing a hash would be
taken for one (at 200,000 keys about 1 in 10^9: the later record is quarantined as a
duplicate, not lost); a changed duplicate whose 32-bit digest matches (1 in 4 x 10^9) is taken
as a repeat of the first and applied as its update.
"""

from __future__ import annotations

from array import array

_MASK32 = (1 << 32) - 1
_MASK64 = (1 << 64) - 1


class SeenKeys:
    """``key -> (digest, first position)`` for the keys of one run; ``add`` keeps the first."""

    def __init__(self, capacity: int = 1024) -> None:
        if capacity < 8 or capacity & (capacity - 1):
            raise ValueError(f"SeenKeys(capacity={capacity}): capacity must be a power of two >= 8")
        self._alloc(capacity)
        self._count = 0

    def _alloc(self, capacity: int) -> None:
        self._hashes = array("Q", bytes(8 * capacity))  # 0 = empty slot
        self._values = array("Q", bytes(8 * capacity))  # digest (32 bits) << 32 | position (32 bits)
        self._mask = capacity - 1

    def __len__(self) -> int:
        return self._count

    @staticmethod
    def _hash(key: str) -> int:
        return (hash(key) & _MASK64) or 1

    def _slot(self, h: int) -> int:
        """The slot holding ``h``, or the empty slot where it would go (linear probing)."""
        hashes, mask = self._hashes, self._mask
        i = h & mask
        while True:
            found = hashes[i]
            if found == h or found == 0:
                return i
            i = (i + 1) & mask

    @staticmethod
    def digest_of(digest: int) -> int:
        """The part of a content digest that is kept (compare ``get()[0]`` with this)."""
        return digest & _MASK32

    def get(self, key: str) -> tuple[int, int] | None:
        """``(kept digest, first position)`` of ``key``, or None when the run has not seen it."""
        i = self._slot(self._hash(key))
        if self._hashes[i] == 0:
            return None
        value = self._values[i]
        return value >> 32, value & _MASK32

    def add(self, key: str, digest: int, position: int) -> None:
        """Remember ``key`` unless already seen (the first occurrence is the one kept)."""
        h = self._hash(key)
        i = self._slot(h)
        if self._hashes[i]:
            return
        self._hashes[i] = h
        self._values[i] = (digest & _MASK32) << 32 | min(max(position, 0), _MASK32)
        self._count += 1
        if self._count * 5 > (self._mask + 1) * 4:
            self._grow()

    def _grow(self) -> None:
        hashes, values = self._hashes, self._values
        self._alloc((self._mask + 1) * 2)
        for j, h in enumerate(hashes):  # slot by slot: no list of entries (that would be the peak)
            if h:
                i = self._slot(h)
                self._hashes[i], self._values[i] = h, values[j]
