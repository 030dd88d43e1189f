"""``hearings-update`` for the tests: in-process through click's ``CliRunner``, or a real process.

In-process is the default (fast: no interpreter start, no imports per call). A real process
is for what only one shows: exit codes seen by a shell, signals, crashes, the lease between
two live runs, the installed console script. Either way the command sees no settings
variable from the caller's environment (only those a test passes) and runs in ``cwd``
(a folder without ``.env``).
"""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from click.testing import CliRunner

from adapters.hearings.cli import cli
from adapters.hearings.settings import HearingsSettings

from .data import REPO

# The command as a child process: the package module (the same ``main`` as the console script).
CLI = (sys.executable, "-m", "adapters.hearings.cli")

# Settings variables that would change a run if the caller's environment set them: every field
# of the job's settings (derived, so a new setting is never missed), and the database URLs.
SETTINGS_VARS = (
    *(name.upper() for name in HearingsSettings.model_fields),
    "DATABASE_URL",  # the database when --db is absent
    "POSTGRES_URL",
)

# The keys ``run --json`` must print (the command-line contract), with their JSON types.
REQUIRED_JSON_KEYS: dict[str, type | tuple[type, ...]] = {
    "run_id": int,
    "status": str,
    "mode": str,
    "strategy": str,
    "batch_size": int,
    "batch_count": int,
    "batches_succeeded": int,
    "batches_failed": int,
    "records_total": int,
    "records_added": int,
    "records_updated": int,
    "records_unchanged": int,
    "records_quarantined": int,
    "duration_s": (int, float),
    "quarantined": list,
}


def cli_env(**extra: str) -> dict[str, str]:
    """The current environment without any settings variable, plus ``extra``; a child
    process can import ``tests.support`` (``PYTHONPATH``)."""
    env = {k: v for k, v in os.environ.items() if k.upper() not in SETTINGS_VARS}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, (str(REPO), os.environ.get("PYTHONPATH"))))
    env.update(extra)
    return env


@dataclass(frozen=True)
class Ran:
    """What an in-process command left: as :class:`subprocess.CompletedProcess` names it."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str


def run_cli(*args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> Ran:
    """``hearings-update ARGS`` in this process. ``env``: the settings variables the command sees
    (a :func:`cli_env` result or just the variables); every other settings variable is unset."""
    argv = tuple(map(str, args))
    given = dict(env or {})
    overlay: dict[str, str | None] = {name: None for name in SETTINGS_VARS}
    overlay.update({k: v for k, v in given.items() if k.upper() in SETTINGS_VARS or os.environ.get(k) != v})
    with contextlib.chdir(cwd) if cwd is not None else contextlib.nullcontext():
        result = CliRunner().invoke(cli, argv, env=overlay, catch_exceptions=False)
    return Ran(argv, result.exit_code, result.stdout, result.stderr)


def run_process(
    *args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``hearings-update ARGS`` in a child process; ``env`` as for :func:`run_cli`."""
    return subprocess.run(
        [*CLI, *map(str, args)],
        cwd=cwd or REPO,
        env=cli_env() | dict(env or {}),
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def one_json(done: Ran | subprocess.CompletedProcess[str]) -> tuple[int, dict[str, Any]]:
    """The exit code and the one JSON object the command printed on stdout."""
    assert "Traceback" not in done.stderr, done.stderr
    lines = [line for line in done.stdout.splitlines() if line.strip()]
    assert len(lines) == 1, f"exit {done.returncode}, stdout {done.stdout!r}, stderr {done.stderr!r}"
    return done.returncode, json.loads(lines[0])


def run_json(*args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> tuple[int, Any]:
    """In-process with ``--json``: the exit code and the one JSON object printed on stdout."""
    return one_json(run_cli(*args, "--json", cwd=cwd, env=env))


def process_json(*args: str | Path, cwd: Path | None = None, env: Mapping[str, str] | None = None) -> tuple[int, Any]:
    """A child process with ``--json``: the exit code and the one JSON object printed on stdout."""
    return one_json(run_process(*args, "--json", cwd=cwd, env=env))
