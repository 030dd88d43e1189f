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
    target = folder / f"{db.stem}-{time.strftime('%Y%m%dT%H%M%S')}-{time.time_ns() % 1_000_000:06d}.db"
    conn.backup_to(target)
    copies = sorted(folder.glob(f"{db.stem}-*.db"))
    for old in copies[:-retention]:
        old.unlink(missing_ok=True)
    return target
