"""Online backups through SQLite's backup API (``sqlite3_backup_*`` via APSW).

Used before an all-or-nothing run. Backups are kept beside the database (or in a chosen
folder) and pruned to the newest ``retention`` copies.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from ._connection import Connection


def backup(conn: Connection, folder: Path | None, retention: int) -> Path | None:
    if conn.path == ":memory:":
        return None
    db = Path(conn.path)
    folder = folder or db.parent / f"{db.name}.backups"
    folder.mkdir(parents=True, exist_ok=True)
    # Names sort in time order (retention prunes the first ones): UTC seconds and the
    # nanoseconds within that same second, both from one clock reading.
    now = time.time_ns()
    stamp = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 1_000_000_000))
    target = folder / f"{db.stem}-{stamp}-{now % 1_000_000_000:09d}.db"
    conn.backup_to(target)
    copies = sorted(folder.glob(f"{db.stem}-*.db"))
    for old in copies[:-retention]:
        old.unlink(missing_ok=True)
    return target
