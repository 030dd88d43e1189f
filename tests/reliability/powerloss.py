"""An APSW VFS that models a power cut, and a disk that answers ``SQLITE_IOERR``, for tests.

A SIGKILL leaves the operating system's cache to finish every write; a power cut loses what
was not synced. This VFS inherits the real default VFS (by name: inheriting ``""`` once this
one is the default would make it inherit itself) and, per file, keeps an undo record of every
``xWrite``/``xTruncate`` since that file's last ``xSync``. At the chosen event it "cuts the
power": for each file it keeps a random in-order prefix of those writes and undoes the rest
(newest first), removes the ``-shm`` (shared memory does not survive a reboot), writes a
report and ends the process with :data:`CUT_EXIT` (``os._exit``: nothing else is flushed).

What the model leaves out: a write is kept or lost whole (no torn sectors), and a file
deletion or creation is durable at once (the directory is never rolled back).

Driven by environment variables so that a real command line runs over it in a subprocess:
``POWERLOSS_CUT_AT`` (event number, 1-based: each write, truncate or sync of a named file is
one event), ``POWERLOSS_IOERR_AT`` and ``POWERLOSS_IOERR_STICKY`` (answer ``SQLITE_IOERR`` at
that event, and at every later one when sticky), ``POWERLOSS_SEED`` (the kept prefixes),
``POWERLOSS_REPORT`` (a JSON file written at the cut, or at exit without one: the events seen)
and ``POWERLOSS_SYNCHRONOUS`` (``PRAGMA synchronous`` for the command's connections).
"""

from __future__ import annotations

import atexit
import json
import os
import random
import struct
import sys
from dataclasses import dataclass, field
from typing import Any

import apsw

CUT_EXIT = 86
WAL_FRAME_HEADER = 24


def _kind(path: str, flags: int) -> str:
    if path.endswith("-wal"):
        return "wal"
    if path.endswith("-journal"):
        return "journal"
    return "db" if flags & apsw.SQLITE_OPEN_MAIN_DB else "other"


@dataclass
class _Undo:
    """How to take back one write or truncate: put ``old`` at ``offset`` and cut to ``size``."""

    offset: int
    old: bytes
    size: int
    commit_frame: bool = False  # a WAL frame header that ends a transaction


@dataclass
class Plan:
    cut_at: int = 0
    ioerr_at: int = 0
    ioerr_sticky: bool = False
    seed: int = 0
    report: str | None = None
    events: list[tuple[str, str]] = field(default_factory=list)  # (file kind, op), in order
    pending: dict[str, list[_Undo]] = field(default_factory=dict)  # path -> writes since its last sync
    kinds: dict[str, str] = field(default_factory=dict)
    main_files: set[str] = field(default_factory=set)

    @classmethod
    def from_env(cls) -> Plan:
        env = os.environ
        return cls(
            cut_at=int(env.get("POWERLOSS_CUT_AT", "0")),
            ioerr_at=int(env.get("POWERLOSS_IOERR_AT", "0")),
            ioerr_sticky=env.get("POWERLOSS_IOERR_STICKY") == "1",
            seed=int(env.get("POWERLOSS_SEED", "0")),
            report=env.get("POWERLOSS_REPORT"),
        )

    def event(self, path: str, op: str) -> None:
        """Count one event; cut the power or fail it when the plan says so."""
        self.events.append((self.kinds.get(path, "other"), op))
        n = len(self.events)
        if n == self.cut_at:
            self.power_cut(path, op)
        if self.ioerr_at and (n == self.ioerr_at or (self.ioerr_sticky and n > self.ioerr_at)):
            code = apsw.SQLITE_IOERR_FSYNC if op == "sync" else apsw.SQLITE_IOERR_WRITE
            error = apsw.exception_for(code)
            error.args = (f"disk I/O error (injected at {op} {n})",)
            raise error

    def power_cut(self, path: str, op: str) -> None:
        rng = random.Random(self.seed)
        lost: dict[str, int] = {}
        kept: dict[str, int] = {}
        commits_lost = commits_unsynced = 0
        for name, undos in sorted(self.pending.items()):
            keep = rng.randint(0, len(undos))
            kind = self.kinds.get(name, "other")
            kept[kind] = kept.get(kind, 0) + keep
            lost[kind] = lost.get(kind, 0) + len(undos) - keep
            # a commit frame survives only with the page write that follows its header
            commits_unsynced += sum(u.commit_frame for u in undos)
            commits_lost += sum(u.commit_frame for u in undos[max(keep - 1, 0) :])
            if os.path.exists(name):
                with open(name, "r+b") as f:
                    for undo in reversed(undos[keep:]):
                        f.seek(undo.offset)
                        f.write(undo.old)
                        f.truncate(undo.size)
        for main in self.main_files:
            if os.path.exists(main + "-shm"):
                os.remove(main + "-shm")
        self.write_report(
            {
                "cut_at": len(self.events),
                "cut_op": op,
                "cut_file": self.kinds.get(path, "other"),
                "writes_kept": kept,
                "writes_lost": lost,
                "commits_unsynced": commits_unsynced,
                "commits_lost": commits_lost,
            }
        )
        sys.stdout.flush()
        os._exit(CUT_EXIT)

    def write_report(self, data: dict[str, Any]) -> None:
        if self.report:
            with open(self.report, "w", encoding="utf-8") as out:
                json.dump({**data, "events": self.events}, out)


class PowerLossVFS(apsw.VFS):
    def __init__(self, plan: Plan, name: str = "powerloss") -> None:
        self.plan = plan
        self.base = apsw.vfs_names()[0]  # the real default, by name (see the module docstring)
        super().__init__(name, base=self.base, makedefault=True)

    def xOpen(self, name: Any, flags: list[int]) -> apsw.VFSFile:  # noqa: N802 - APSW's name
        path = name.filename() if isinstance(name, apsw.URIFilename) else name
        if path is not None:
            self.plan.kinds[path] = _kind(path, flags[0])
            if flags[0] & apsw.SQLITE_OPEN_MAIN_DB:
                self.plan.main_files.add(path)
        return PowerLossFile(self.plan, self.base, name, flags, path)

    def xDelete(self, filename: str, syncdir: bool) -> None:  # noqa: N802
        self.plan.pending.pop(filename, None)  # deletions are durable in this model
        super().xDelete(filename, syncdir)


class PowerLossFile(apsw.VFSFile):
    def __init__(self, plan: Plan, base: str, name: Any, flags: list[int], path: str | None) -> None:
        super().__init__(base, name, flags)
        self.plan, self.path = plan, path

    def _old(self, offset: int, amount: int) -> tuple[bytes, int]:
        size = self.xFileSize()
        if offset >= size or amount <= 0:
            return b"", size
        return bytes(self.xRead(min(amount, size - offset), offset))[: size - offset], size

    def xWrite(self, data: Any, offset: int) -> None:  # noqa: N802
        if self.path is None:  # a temporary file: gone after a reboot anyway
            return super().xWrite(data, offset)
        data = bytes(data)
        self.plan.event(self.path, "write")
        old, size = self._old(offset, len(data))
        commit = (
            self.plan.kinds.get(self.path) == "wal"
            and len(data) == WAL_FRAME_HEADER
            and struct.unpack(">I", data[4:8])[0] != 0
        )
        self.plan.pending.setdefault(self.path, []).append(_Undo(offset, old, size, commit))
        super().xWrite(data, offset)

    def xTruncate(self, newsize: int) -> None:  # noqa: N802
        if self.path is None:
            return super().xTruncate(newsize)
        self.plan.event(self.path, "truncate")
        old, size = self._old(newsize, self.xFileSize() - newsize)
        self.plan.pending.setdefault(self.path, []).append(_Undo(newsize, old, size))
        super().xTruncate(newsize)

    def xSync(self, flags: int) -> None:  # noqa: N802
        if self.path is None:
            return super().xSync(flags)
        self.plan.event(self.path, "sync")
        super().xSync(flags)
        self.plan.pending.pop(self.path, None)  # all of this file's writes are on disk now


def install_from_env() -> Plan:
    """Make the power-loss VFS the default for this process, as the environment plans it."""
    plan = Plan.from_env()
    vfs = PowerLossVFS(plan)
    atexit.register(lambda: plan.write_report({"cut_at": None, "vfs": vfs.base}))
    return plan


def main(argv: list[str]) -> int:
    """``hearings-update ARGV`` with this VFS as the default (and ``POWERLOSS_SYNCHRONOUS``)."""
    install_from_env()
    import adapters.hearings.cli as cli
    import adapters.hearings.cli_actions as actions

    synchronous = os.environ.get("POWERLOSS_SYNCHRONOUS")
    opened = actions.connect

    def connect(*args: Any, **kwargs: Any) -> Any:
        if synchronous:
            kwargs["synchronous"] = synchronous
        return opened(*args, **kwargs)

    actions.connect = connect  # type: ignore[assignment]
    return cli.main(argv)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
