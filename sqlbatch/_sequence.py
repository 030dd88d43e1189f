"""``sqlite_sequence`` snapshots: AUTOINCREMENT counters are not reported by the capture.

Neither the preupdate hook nor the session extension reports writes to ``sqlite_sequence``,
so a compensating DELETE would leave the counter advanced. The table is tiny (one row per
AUTOINCREMENT table): it is read when a unit of work starts and written back on undo.
"""

from __future__ import annotations

import apsw


class SequenceSnapshot:
    def __init__(self, raw: apsw.Connection) -> None:
        self._raw = raw
        try:
            self.rows: dict[str, int] | None = dict(
                raw.execute("SELECT name, seq FROM main.sqlite_sequence").fetchall()
            )
        except apsw.SQLError:  # no AUTOINCREMENT table yet
            self.rows = None

    def restore(self) -> None:
        try:
            now = dict(self._raw.execute("SELECT name, seq FROM main.sqlite_sequence").fetchall())
        except apsw.SQLError:
            return
        before = self.rows or {}
        if now == before:
            return
        for name in now.keys() - before.keys():
            self._raw.execute("DELETE FROM main.sqlite_sequence WHERE name=?", (name,))
        for name, seq in before.items():
            if name not in now:
                self._raw.execute("INSERT INTO main.sqlite_sequence(name, seq) VALUES (?, ?)", (name, seq))
            elif now[name] != seq:
                self._raw.execute("UPDATE main.sqlite_sequence SET seq=? WHERE name=?", (seq, name))
