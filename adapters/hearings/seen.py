"""``SeenKeys``: the eventIds of one run with their content digest and first position, off the heap.

The preparer must notice an eventId that comes again with different content, so it remembers
every key of the run. In Python objects that costs memory for every record: a ``dict`` ~130 B
a key (27 MB at 200,000 records), even flat arrays 16-40 B a key (72 MB peak at 1,000,000).
Here the keys live in a private temporary SQLite database (``apsw.Connection("")``: SQLite
deletes it on close) with a small page cache, so memory stays flat at any run length; pages
beyond the cache go to a temporary file. About 3 µs a record.

Keys are stored as their 64-bit Python ``hash`` (stable within a process, which is all a run
needs); the content digest is kept to 32 bits. Two eventIds of one run sharing a hash would be
taken for one (at 1,000,000 keys about 1 in 4 x 10^7: the later record is quarantined as a
duplicate, never lost); a changed duplicate whose 32-bit digest matches (1 in 4 x 10^9) is
taken as a repeat of the first and applied as its update.
"""

from __future__ import annotations

import apsw

_MASK32 = (1 << 32) - 1
_CACHE_KIB = 1024


class SeenKeys:
    """``key -> (digest, first position)`` for the keys of one run; the first occurrence is kept."""

    def __init__(self) -> None:
        self._db = apsw.Connection("")  # private, temporary, on disk once it outgrows the cache
        for sql in (
            "PRAGMA journal_mode=OFF",  # nothing to roll back or recover: it dies with the run
            "PRAGMA synchronous=OFF",
            f"PRAGMA cache_size=-{_CACHE_KIB}",
            "CREATE TABLE seen(h INTEGER PRIMARY KEY, digest INTEGER NOT NULL, position INTEGER NOT NULL)",
        ):
            self._db.execute(sql).fetchall()  # APSW runs a statement as its rows are read
        self._cursor = self._db.cursor()  # one cursor for every record: a new one per call costs more

    def __len__(self) -> int:
        return self._db.execute("SELECT count(*) FROM seen").fetchall()[0][0]

    @staticmethod
    def digest_of(digest: int) -> int:
        """The part of a content digest that is kept (compare ``remember()[0]`` with this)."""
        return digest & _MASK32

    def remember(self, key: str, digest: int, position: int) -> tuple[int, int] | None:
        """None for a new key (now remembered); for a key seen before, its first ``(kept digest,
        position)``, unchanged. One statement for a new key, two for a repeat."""
        h = hash(key)  # a signed 64-bit int: the table's rowid as it is
        cursor = self._cursor
        cursor.execute(
            "INSERT INTO seen VALUES (?, ?, ?) ON CONFLICT(h) DO NOTHING",
            (h, digest & _MASK32, min(max(position, 0), _MASK32)),
        )
        if self._db.changes():
            return None
        row = cursor.execute("SELECT digest, position FROM seen WHERE h=?", (h,)).fetchall()[0]
        return row[0], row[1]

    def close(self) -> None:
        self._db.close()
