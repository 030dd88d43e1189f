"""WAL checkpoints of a long batched run off the writer's path: a thread with its own connection.

Why: in WAL mode every commit appends the pages it changed to the WAL, and SQLite's automatic
checkpoint (after the commit that takes the WAL past ``wal_autocheckpoint`` pages, 1,000 by
default) copies them into the database file and syncs it, in the committing thread. A batch of
hearings inserts into several indexes with keys in no particular order (eventIds, dates,
witness and committee ids), so once those indexes outgrow a batch each insert dirties a page
of its own: ~105 pages a commit at the start of a run, ~280 at 200,000 meetings. Syncing
those scattered pages is what grew (bench/README.md, "Records/s falls at scale"): the
checkpoints took 1.3 ms a batch at 20,000 meetings and 5.5 ms at 200,000; without the sync,
0.9 ms. Here the writer only appends to the WAL and wakes a thread that checkpoints
(``PASSIVE``: it never blocks the writer, which goes on committing meanwhile; the sync waits
for the disk, not the CPU, and APSW releases the GIL while SQLite works).

Durability is SQLite's own: a checkpoint from another connection follows the same protocol
(WAL synced before the database is written, the database synced before the WAL is reused),
with the writer's ``synchronous`` setting. Bounds: the WAL is reused from its start only when
a writer begins on a wholly checkpointed log, which a busy writer may outrun; at ``_HARD``
times the thread's window the writer checkpoints itself (little is left by then).

It starts only once a run has written ``ENGAGE_AFTER_BATCHES`` batches: a daily run of a few
hundred meetings (and the power-loss tests' runs) checkpoints in the writer exactly as
before. It stops, and the writer's own automatic checkpoints are back, when the run ends.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

import apsw

if TYPE_CHECKING:
    from ._connection import Connection

ENGAGE_AFTER_BATCHES = 100  # 5,000 records at the default batch size
# Once engaged, the thread checkpoints every ``_WINDOW`` x ``wal_autocheckpoint`` WAL pages (16,000
# by default: a 64 MB log): a page written again within the window is copied and synced once
# (at 200,000 meetings 99 page writes a batch instead of 241 with 1,000; 10,000 more meetings
# ran at 3,270-3,400/s against 2,810-3,290 with the thread at 1,000 pages and 2,710-2,770
# checkpointing in the writer). At ``_HARD`` times the window the writer checkpoints itself.
_WINDOW = 16
_HARD = 2
_ROUNDS = 3  # checkpoints in a row when the writer appended during the last


class Checkpointer:
    """Counts a run's batches; past the threshold, moves the WAL checkpoints to a thread."""

    def __init__(self, conn: Connection | None, engage_after: int | None = None) -> None:
        self._conn = conn
        self._after = ENGAGE_AFTER_BATCHES if engage_after is None else engage_after
        self._batches = 0
        self._limit = 0  # the writer's wal_autocheckpoint, restored at the end
        self._window = 0  # WAL pages not yet checkpointed that wake the thread
        self._done = 0  # WAL frames the last checkpoint had copied into the database file
        self._thread: threading.Thread | None = None
        self._other: apsw.Connection | None = None
        self._writer: apsw.Connection | None = None
        self._wake = threading.Event()
        self._idle = threading.Lock()  # held while the thread checkpoints
        self._stopping = False
        self.error: BaseException | None = None  # what stopped the thread, if anything did
        self.started = False  # the thread was started in this run
        self.background = 0  # checkpoints the thread ran
        self.in_writer = 0  # checkpoints the writer ran at the hard bound

    @property
    def engaged(self) -> bool:
        return self._thread is not None

    def batch_done(self) -> None:
        """Call between transactions, after each batch; engages once, at the threshold."""
        self._batches += 1
        conn = self._conn
        if conn is not None and self._batches >= self._after and not conn.in_transaction:
            self._conn = None  # engaged or not, decided once
            self._engage(conn)

    def _engage(self, conn: Connection) -> None:
        raw = conn.raw
        if not isinstance(raw, apsw.Connection):
            return
        path = raw.db_filename("main")
        limit = int(raw.execute("PRAGMA wal_autocheckpoint").fetchall()[0][0])
        mode = str(raw.execute("PRAGMA journal_mode").fetchall()[0][0]).lower()
        if not path or limit <= 0 or mode != "wal":  # memory, temporary, not WAL, or checkpoints off
            return
        synchronous = int(raw.execute("PRAGMA synchronous").fetchall()[0][0])
        other = apsw.Connection(path, flags=apsw.SQLITE_OPEN_READWRITE | apsw.SQLITE_OPEN_URI)
        other.execute(f"PRAGMA synchronous={synchronous}").fetchall()  # the checkpoint's syncs
        self._other, self._limit, self._writer = other, limit, raw
        self._window = limit * _WINDOW
        self._thread = threading.Thread(target=self._loop, name="sqlbatch-checkpoints", daemon=True)
        self._thread.start()
        self.started = True
        raw.set_wal_hook(self._after_commit)  # replaces the automatic checkpoint

    def _after_commit(self, writer: apsw.Connection, name: str, pages: int) -> int:
        """The writer's WAL hook: after every commit, with the pages now in the WAL."""
        if pages < self._done:  # the writer began the log again from its start
            self._done = 0
        if self.error is not None:  # the thread is gone: SQLite's own automatic checkpoint's work
            if pages - self._done >= self._limit:
                self._checkpoint_in_writer(writer, name)
            return apsw.SQLITE_OK
        behind = pages - self._done >= self._window
        if pages >= self._window * _HARD:
            with self._idle:  # the thread's checkpoint first (if it is in one), then what it left
                self._checkpoint_in_writer(writer, name)
        elif behind:
            self._wake.set()
        return apsw.SQLITE_OK

    def _checkpoint_in_writer(self, writer: apsw.Connection, name: str) -> None:
        try:
            self._done = writer.wal_checkpoint(name)[1]
            self.in_writer += 1
        except apsw.BusyError:  # a reader holds the log: as SQLite's own, try after the next commit
            pass

    def _loop(self) -> None:
        other = self._other
        assert other is not None
        while True:
            self._wake.wait()
            self._wake.clear()
            if self._stopping:
                return
            with self._idle:
                try:
                    # again while the writer appended meanwhile: the log begins again from its
                    # start only when a writer finds it wholly copied
                    for _ in range(_ROUNDS):
                        log, self._done = other.wal_checkpoint()
                        self.background += 1
                        if self._done >= log or self._stopping:
                            break
                except apsw.BusyError:
                    pass
                except apsw.Error as exc:  # e.g. disk I/O: the writer takes over
                    self.error = exc
                    return

    def close(self) -> None:
        """Stop the thread (after its checkpoint) and give the writer its automatic checkpoints back."""
        thread, self._thread = self._thread, None
        if thread is None:
            return
        self._stopping = True
        self._wake.set()
        thread.join()
        assert self._writer is not None and self._other is not None
        self._writer.wal_autocheckpoint(self._limit)  # SQLite's own hook again
        self._other.close()
        self._writer = self._other = None
