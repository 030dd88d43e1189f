"""What each ``hearings-update`` command does with the library, and which exit code a failure means.

:mod:`adapters.hearings.cli` parses the command line and calls these; what is shown is
rendered by :mod:`adapters.hearings.report`.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import apsw

from sqlbatch import (
    ConfigurationError,
    FileModeOutcome,
    OpenError,
    ProcessorAborted,
    RetryPolicy,
    RevertError,
    RevertRefused,
    RunLocked,
    RunResult,
    connect,
    load_settings,
    revert,
)
from sqlbatch.audit import summarize

from . import report
from .cli import EXIT_FATAL, EXIT_OK, EXIT_QUARANTINE, EXIT_USAGE, PG_SCHEMES, PROG, mask
from .committees import CommitteeSeeding
from .schema import SchemaMismatch
from .settings import HearingsSettings
from .sources import SourceError, read_path, read_sample
from .sources.errors import ApiAuthError, ApiError
from .sources.record import RawRecord
from .updater import UpdateOptions, prepare_database, run_update


class UsageError(Exception):
    """The command cannot be used as configured (e.g. no API key): exit 2, nothing applied."""


# Errors before anything was applied: how they end the command (exit code, and what to say).
_USAGE = (UsageError, ConfigurationError, OpenError, SourceError, SchemaMismatch, ApiAuthError, RevertError)


def failure(exc: BaseException) -> tuple[str, int] | None:
    """The one-line message and exit code of a library error, or None when it is not one."""
    if isinstance(exc, _USAGE):
        return str(exc), EXIT_USAGE
    if isinstance(exc, ApiError):  # the API could not be used before anything was applied
        return str(exc), EXIT_FATAL
    if isinstance(exc, apsw.IOError):  # outside a batch (opening, the schema, closing): nothing partial
        return f"a disk I/O error ({exc}): check the disk, then run again (committed batches stay)", EXIT_FATAL
    if type(exc).__module__.startswith("psycopg"):  # outside a batch too: the server or the session
        import psycopg

        if isinstance(exc, psycopg.OperationalError):
            reason = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            return f"the PostgreSQL server failed ({reason}): run again (committed batches stay)", EXIT_FATAL
    return None


def _say(text: str) -> None:
    print(mask(text), file=sys.stderr)


@dataclass(frozen=True)
class RunArgs:
    """The options of ``run``, as parsed (None: the setting decides)."""

    db: str
    as_json: bool
    source: str
    batch_size: int | None
    strategy: str | None
    on_failure: str | None
    all_or_nothing: bool
    congress: int
    since: str | None
    dry_run: bool
    quiet: bool


def _options(args: RunArgs) -> UpdateOptions:
    settings = load_settings(HearingsSettings)
    return UpdateOptions(
        batch_size=args.batch_size or settings.batch_size,
        strategy=args.strategy or settings.rollback_strategy,
        on_failure=args.on_failure or settings.on_batch_failure,
        all_or_nothing=args.all_or_nothing or not settings.enable_batch_processing,
        dry_run=args.dry_run,
        validation_budget_ms=settings.batch_validation_timeout,
        commit_interval_ms=settings.commit_interval_ms,
        backup_retention=settings.backup_retention,
        undo_retention_days=settings.undo_retention_days,
        retry=RetryPolicy(max_seconds=settings.max_retry_seconds),
        rules=settings.rules(),
        lock_timeout=settings.run_lock_timeout,
    )


def _records(args: RunArgs, conn: Any) -> tuple[Iterable[RawRecord], str, CommitteeSeeding | None]:
    """The records, the source's name, and the committee step of an API run (default: the bundled list)."""
    source = args.source
    if source == "sample":
        return read_sample(), "sample", None
    if source == "api":
        from .api_source import api_records  # httpx only when the API is used

        records = api_records(conn, congress=args.congress, since=args.since)
        return records, f"api:{args.congress}", records.committees
    path = Path(source)
    if not path.exists():
        raise SourceError(f"source {source!r} does not exist: give 'sample', 'api' or an existing file or folder")
    return read_path(path), str(path.resolve()), None


def run_command(args: RunArgs) -> int:
    options = _options(args)
    # a file source is checked before the database is opened: a usage error creates no file
    early = None if args.source == "api" else _records(args, None)
    if args.source == "api":
        _check_api_settings()  # a missing key or a bad base URL: exit 2 before the database is touched
    conn = connect(args.db)
    file_mode: FileModeOutcome | None = None
    aborted = False
    try:
        prepare_database(conn)
        records, source, committees = early or _records(args, conn)
        show_progress = not (args.as_json or args.quiet) and sys.stderr.isatty()
        with report.progress(show_progress) as tick:
            try:
                # the API lists from the moved cursor on a rerun: the cursor resumes it, not positions
                resume = args.source != "api"
                result = run_update(
                    conn, _checked(records), options, source=source, progress=tick, resume=resume, committees=committees
                )
            except RunLocked as exc:
                _say(f"{PROG}: not started: {exc}")
                return EXIT_FATAL
            except ProcessorAborted as exc:
                cause = exc.__cause__.__cause__ if exc.__cause__ is not None else None
                if isinstance(cause, ApiAuthError) and not exc.result.metrics.records_total:
                    raise cause from None  # nothing read, nothing applied: a configuration error
                file_mode = _leave_as_found(conn)
                _emit(args, exc.result, file_mode)
                _say(f"{PROG}: aborted: {exc}")
                aborted = True
                return EXIT_FATAL
    finally:
        if conn.active_unit is None:
            if file_mode is None:
                file_mode = _leave_as_found(conn)
            _close(conn, quiet=aborted)
    _emit(args, result, file_mode)
    if file_mode is not None and file_mode.error:  # data committed; the disk failed putting the file back
        _say(f"{PROG}: error: {file_mode.message()}")
        return EXIT_FATAL
    if result.status in ("rolled_back", "completed_with_errors") or result.quarantined:
        return EXIT_QUARANTINE
    return EXIT_OK


def _checked(records: Iterable[RawRecord]) -> Iterator[RawRecord]:
    yield from records


def _close(conn: Any, *, quiet: bool) -> None:
    """Close; a failing disk can make even the close fail (its checkpoint): then force it."""
    try:
        conn.close()
    except apsw.Error:
        conn.raw.close(True)
        if not quiet:  # not yet reported: the command line says it in one line
            raise


def _leave_as_found(conn: Any, *, warn: bool = False) -> FileModeOutcome | None:
    """Put the file back in the journal mode it came in (a read-only deployment needs it)."""
    if conn.in_transaction:  # only after a failure that already ended the command
        return None
    outcome = conn.restore_journal_mode()
    if warn and outcome.message():
        _say(f"{PROG}: warning: {outcome.message()}")
    return outcome


def _check_api_settings() -> None:
    from .api_source import make_client

    try:
        make_client().close()  # builds the client only: no request is sent
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _emit(args: RunArgs, result: RunResult, file_mode: FileModeOutcome | None = None) -> None:
    data = result.to_dict()
    if file_mode is not None:
        data["journal_mode"] = file_mode.to_dict()
    if result.dry_run:
        data["changes"] = {t: s.to_dict() for t, s in summarize(result.changes).items()}
    if args.as_json:
        _print_json(data)
    elif not args.quiet:
        print(report.summary(result))
        if file_mode is not None and file_mode.message():
            print(f"  {file_mode.message()}")
        if result.dry_run:
            print(report.render_changes(data["changes"]))


def _print_json(data: dict[str, Any]) -> None:
    print(json.dumps(data, ensure_ascii=False, default=str))


def _existing(db: str, hint: str = "") -> None:
    """A SQLite file must exist to be read; a server URL is checked by connecting."""
    if not db.startswith(PG_SCHEMES) and not Path(db).exists():
        raise OpenError(f"no database at {db!r}{hint}")


def show_command(kind: str, db: str, as_json: bool, run_id: int | None = None) -> int:
    """``status`` (kind ``status``, or ``run`` with a RUN_ID) and ``quarantine``: read, show."""
    _existing(db, f": run '{PROG} run --db {db}' first")
    conn = connect(db, create=False)
    try:
        if kind == "run":
            assert run_id is not None
            data = report.run_report(conn, run_id)
        else:
            data = report.status(conn) if kind == "status" else report.quarantine(conn)
    finally:
        _leave_as_found(conn, warn=True)
        conn.close()
    if as_json:
        _print_json(data)
    else:
        print(report.render(kind, data))
    return EXIT_OK


def revert_command(db: str, run_id: int, *, batch: int | None, dry_run: bool, as_json: bool) -> int:
    _existing(db)
    conn = connect(db, create=False)
    try:
        result = revert(conn, run_id, batch=batch, dry_run=dry_run)
    except RevertRefused as exc:
        if as_json:
            print(json.dumps(report.refusal(exc), default=str))
        else:
            print(report.render_conflicts(exc))
        return EXIT_QUARANTINE
    finally:
        file_mode = _leave_as_found(conn)
        conn.close()
    data = result.to_dict()
    if as_json:
        mode = file_mode.to_dict() if file_mode else None
        print(json.dumps({"status": "dry_run" if dry_run else "reverted", **data, "journal_mode": mode}, default=str))
    else:
        print(report.render_revert(result, run_id, batch=batch, dry_run=dry_run))
        if file_mode and file_mode.message():
            print(f"  {file_mode.message()}")
    return EXIT_OK
