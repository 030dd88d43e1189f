"""``hearings-update``: a thin click command line over :mod:`adapters.hearings.updater`.

Commands: ``run`` (apply an update), ``status`` (recent runs and quarantine counts, or what
one run changed), ``quarantine`` (quarantined records and their reasons) and ``revert``
(undo a committed run or one batch of it).

Exit codes: 0 completed, every record committed or unchanged; 1 completed with records
quarantined (or an all-or-nothing run rolled back, or a revert refused); 2 usage or
configuration error, nothing applied; 3 aborted by a fatal error (committed batches stay; a
rerun resumes), or another live run held the database beyond ``RUN_LOCK_TIMEOUT`` (nothing
done). Every error is one line on stderr, ``hearings-update: error: ...``.

``--db`` is a SQLite file or a ``postgresql://`` URL; without it, ``DATABASE_URL`` then
``POSTGRES_URL`` (a ``postgresql://`` URL only) name the server. A URL's password is never
shown: the library masks it, and every line this module prints masks it again.

This module imports click only: the library (pydantic, httpx, apsw) is imported when a
command runs, so ``--help`` and a usage error answer at once.
"""

from __future__ import annotations

import gc
import logging
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date
from typing import Any, TypeVar
from urllib.parse import parse_qsl, urlsplit

import click

PROG = "hearings-update"
EXIT_OK, EXIT_QUARANTINE, EXIT_USAGE, EXIT_FATAL = 0, 1, 2, 3

F = TypeVar("F", bound=Callable[..., Any])


class _Day(click.ParamType):
    """A calendar day; a timestamp keeps its date part (``2025-09-01T10:00:00Z`` -> ``2025-09-01``)."""

    name = "DATE"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> str:
        text = str(value)
        try:
            return date.fromisoformat(text[:10] if len(text) >= 10 else text).isoformat()
        except ValueError:
            self.fail(f"expected a date like 2025-09-01, got {text!r}", param, ctx)


POSITIVE = click.IntRange(min=1)


# Where the earlier system found its PostgreSQL database when no --db is given, in this order.
DB_URL_VARS = ("DATABASE_URL", "POSTGRES_URL")
PG_SCHEMES = ("postgresql://", "postgres://")


def _database(ctx: click.Context, param: click.Parameter, value: str | None) -> str:
    """``--db``, else the first of :data:`DB_URL_VARS` set (a ``postgresql://`` URL only: such a
    variable may belong to another program, and is never echoed, as it may hold a password)."""
    if value is not None:
        return _masked_later(value)
    for name in DB_URL_VARS:
        url = os.environ.get(name, "").strip()
        if url:
            if not url.startswith(PG_SCHEMES):
                raise click.BadParameter(
                    f"{name} is set but is not a postgresql:// URL: give --db PATH for a SQLite file", ctx, param
                )
            return _masked_later(url)
    raise click.MissingParameter(ctx=ctx, param=param)


# The passwords of this command's database URL: whatever this command prints on stderr has
# them masked (the library already masks them; this is the net under every message).
_SECRETS: set[str] = set()


def _masked_later(db: str) -> str:
    if db.startswith(PG_SCHEMES):
        try:
            parts = urlsplit(db)
            found = [parts.password or "", *(v for k, v in parse_qsl(parts.query) if k.lower() == "password")]
        except ValueError:
            found = []
        _SECRETS.update(secret for secret in found if secret)
    return db


def mask(text: str) -> str:
    """``text`` with the database URL's password, if any, as ``***``."""
    for secret in _SECRETS:
        text = text.replace(secret, "***")
    return text


def _db_and_json(command: F) -> F:
    """``--db`` and ``--json``, which every command takes."""
    command = click.option("--json", "as_json", is_flag=True, help="one JSON object on stdout")(command)
    return click.option(
        "--db",
        callback=_database,
        metavar="PATH|URL",
        help="the SQLite database file, or a postgresql:// URL (default: $DATABASE_URL, then $POSTGRES_URL)",
    )(command)


class _Group(click.Group):
    """Turns every failure into its exit code and one stderr line, in and out of standalone mode."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> int:
        _SECRETS.clear()  # one command's URL (a test runs many in one process)
        try:
            with _warnings_on_stderr():
                code = super().main(args, prog_name or PROG, complete_var, standalone_mode=False, **extra)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else PROG
            code = _fail(f"{exc.format_message()} (see '{where} --help')", EXIT_USAGE)
        except click.ClickException as exc:
            code = _fail(exc.format_message(), EXIT_USAGE)
        except _Interrupted:
            code = _fail("interrupted; committed batches are kept, run again to resume", EXIT_FATAL, prefix="")
        except Exception as exc:
            from .cli_actions import failure  # the library's errors, known only once a command ran

            known = failure(exc)
            if known is None:
                raise
            code = _fail(*known)
        if standalone_mode:
            sys.exit(code)
        return code

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except KeyboardInterrupt:  # said here in one line (click's own Abort would print a blank line first)
            raise _Interrupted from None


class _Interrupted(Exception):
    """Ctrl-C during a command."""


@contextmanager
def _warnings_on_stderr() -> Iterator[None]:
    """The library's warnings (an API retry, a rate-limit wait), one line each on the stderr of
    this call (click's runner swaps it in tests), as logging's last resort prints them."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setLevel(logging.WARNING)
    handler.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield
    finally:
        root.removeHandler(handler)


def _fail(message: str, code: int, prefix: str = "error: ") -> int:
    click.echo(mask(f"{PROG}: {prefix}{message}"), err=True)
    return code


@click.group(
    cls=_Group, no_args_is_help=False, help="Daily Congress.gov committee-meeting update into SQLite or PostgreSQL."
)
def cli() -> None:
    pass


@cli.command(help="Apply an update (default source: the bundled real sample).")
@_db_and_json
@click.option(
    "--source", default="sample", show_default=True, help="sample | api | PATH (NDJSON, JSON array or folder)"
)
@click.option("--batch-size", type=POSITIVE, help="records per batch (default: BATCH_SIZE)")
@click.option("--strategy", type=click.Choice(["memory", "savepoint", "session"]), help="how a batch is undone")
@click.option("--on-failure", type=click.Choice(["isolate", "skip-batch"]), help="what a failing batch does")
@click.option("--all-or-nothing", is_flag=True, help="one transaction for everything (the old way)")
@click.option("--congress", type=POSITIVE, default=119, show_default=True, help="API: the Congress to read")
@click.option("--since", type=_Day(), help="API: meetings updated since DATE (default: last run's cursor)")
@click.option("--dry-run", is_flag=True, help="everything but the final commit")
@click.option("--quiet", is_flag=True, help="no progress bar, no summary")
def run(**options: Any) -> int:
    from .cli_actions import RunArgs, run_command

    # what the imports built lives as long as the process: frozen, the collector's passes
    # during the run do not traverse it again and again
    gc.freeze()
    try:
        return run_command(RunArgs(**options))
    finally:
        gc.unfreeze()


@cli.command(help="Recent runs and quarantine counts, or what one run (RUN_ID) changed.")
@_db_and_json
@click.argument("run_id", type=POSITIVE, required=False)
def status(db: str, as_json: bool, run_id: int | None) -> int:
    from .cli_actions import show_command

    return show_command("run" if run_id else "status", db, as_json, run_id)


@cli.command(help="Quarantined records and their reasons.")
@_db_and_json
def quarantine(db: str, as_json: bool) -> int:
    from .cli_actions import show_command

    return show_command("quarantine", db, as_json)


@cli.command(help="Undo a committed run (or one batch of it), refusing on conflicts.")
@_db_and_json
@click.argument("run_id", type=POSITIVE)
@click.option("--batch", type=POSITIVE, help="only this batch of the run")
@click.option("--dry-run", is_flag=True, help="check and report, change nothing")
def revert(db: str, as_json: bool, run_id: int, batch: int | None, dry_run: bool) -> int:
    from .cli_actions import revert_command

    return revert_command(db, run_id, batch=batch, dry_run=dry_run, as_json=as_json)


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``hearings-update ARGV`` (default: the process's arguments); returns the exit code."""
    return cli.main(args=list(argv) if argv is not None else None, standalone_mode=False)


if __name__ == "__main__":
    sys.exit(main())
