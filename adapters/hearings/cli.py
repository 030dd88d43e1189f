"""``hearings-update``: a thin command line over :mod:`adapters.hearings.updater` (DESIGN §5).

Exit codes: 0 completed, every record committed or unchanged; 1 completed with records
quarantined (or an all-or-nothing run rolled back); 2 usage or configuration error, nothing
applied; 3 aborted by a fatal error (committed batches stay; a rerun resumes), or another
live run held the database beyond ``RUN_LOCK_TIMEOUT`` (nothing done).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Iterator, Sequence
from datetime import date
from pathlib import Path
from typing import Any, NoReturn

import apsw

from sqlbatch import (
    ConfigurationError,
    OpenError,
    ProcessorAborted,
    RetryPolicy,
    RevertError,
    RevertRefused,
    RunResult,
    connect,
    load_settings,
    revert,
)
from sqlbatch.audit import summarize
from sqlbatch.file_mode import FileModeOutcome
from sqlbatch.processor import RunLocked

from . import report
from .schema import SchemaMismatch
from .settings import HearingsSettings
from .sources import SourceError, read_path, read_sample
from .sources.errors import ApiAuthError, ApiError
from .sources.record import RawRecord
from .updater import UpdateOptions, prepare_database, run_update

EXIT_OK, EXIT_QUARANTINE, EXIT_USAGE, EXIT_FATAL = 0, 1, 2, 3


class UsageError(Exception):
    """A mistake in how the command was called or configured: exit 2, nothing applied."""


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see '{self.prog} --help')")


def _positive(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1, got {value}")
    return value


def _day(text: str) -> str:
    try:
        return date.fromisoformat(text[:10]).isoformat() if len(text) >= 10 else date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a date like 2025-09-01, got {text!r}") from None


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="hearings-update", description="Daily Congress.gov committee-meeting update into SQLite.")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    run = sub.add_parser("run", help="apply an update (default source: the bundled real sample)")
    run.add_argument("--db", required=True, help="SQLite file (created if new)")
    run.add_argument("--source", default="sample", help="sample | api | PATH (NDJSON, JSON array or directory)")
    run.add_argument("--batch-size", type=_positive)
    run.add_argument("--strategy", choices=["memory", "savepoint", "session"])
    run.add_argument("--on-failure", choices=["isolate", "skip-batch"])
    run.add_argument("--all-or-nothing", action="store_true", help="one transaction for everything (the old way)")
    run.add_argument("--congress", type=_positive, default=119)
    run.add_argument("--since", type=_day, help="API: meetings updated since DATE (default: last run's cursor)")
    run.add_argument("--dry-run", action="store_true", help="everything but the final commit")
    run.add_argument("--json", action="store_true", help="one JSON object on stdout")
    run.add_argument("--quiet", action="store_true", help="no progress bar, no summary")
    status = sub.add_parser("status", help="recent runs and quarantine counts, or what one run changed")
    status.add_argument("--db", required=True)
    status.add_argument("run_id", nargs="?", type=_positive, metavar="RUN_ID", help="show what this run changed")
    status.add_argument("--json", action="store_true")
    quarantine = sub.add_parser("quarantine", help="quarantined records and their reasons")
    quarantine.add_argument("--db", required=True)
    quarantine.add_argument("--json", action="store_true")
    rev = sub.add_parser("revert", help="undo a committed run (or one batch of it), refusing on conflicts")
    rev.add_argument("--db", required=True)
    rev.add_argument("run_id", type=_positive, metavar="RUN_ID")
    rev.add_argument("--batch", type=_positive)
    rev.add_argument("--dry-run", action="store_true", help="check and report, change nothing")
    rev.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    try:
        args = build_parser().parse_args(argv)
        if args.command == "run":
            return _run(args)
        if args.command == "revert":
            return _revert(args)
        return _show(args)
    except UsageError as exc:
        _say(f"hearings-update: error: {exc}")
        return EXIT_USAGE
    except (ConfigurationError, OpenError, SourceError, SchemaMismatch, ApiAuthError, RevertError) as exc:
        _say(f"hearings-update: error: {exc}")
        return EXIT_USAGE
    except ApiError as exc:  # the API could not be used before anything was applied
        _say(f"hearings-update: error: {exc}")
        return EXIT_FATAL
    except apsw.IOError as exc:  # outside a batch (opening, the schema, closing): nothing partial
        _say(
            f"hearings-update: error: a disk I/O error ({exc}): check the disk, then run again (committed batches stay)"
        )
        return EXIT_FATAL
    except KeyboardInterrupt:
        _say("hearings-update: interrupted; committed batches are kept, run again to resume")
        return EXIT_FATAL


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def _options(args: argparse.Namespace) -> UpdateOptions:
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


def _records(args: argparse.Namespace, conn: Any) -> tuple[Iterable[RawRecord], str]:
    source = args.source
    if source == "sample":
        return read_sample(), "sample"
    if source == "api":
        from .api_source import api_records

        return api_records(conn, congress=args.congress, since=args.since), f"api:{args.congress}"
    path = Path(source)
    if not path.exists():
        raise SourceError(f"source {source!r} does not exist: give 'sample', 'api' or an existing file or folder")
    return read_path(path), str(path.resolve())


def _run(args: argparse.Namespace) -> int:
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
        records, source = early or _records(args, conn)
        show_progress = not (args.json or args.quiet) and sys.stderr.isatty()
        with report.progress(show_progress) as tick:
            try:
                # the API lists from the moved cursor on a rerun: the cursor resumes it, not positions
                resume = args.source != "api"
                result = run_update(conn, _checked(records), options, source=source, progress=tick, resume=resume)
            except RunLocked as exc:
                _say(f"hearings-update: not started: {exc}")
                return EXIT_FATAL
            except ProcessorAborted as exc:
                cause = exc.__cause__.__cause__ if exc.__cause__ is not None else None
                if isinstance(cause, ApiAuthError) and not exc.result.metrics.records_total:
                    raise cause from None  # nothing read, nothing applied: a configuration error
                file_mode = _leave_as_found(conn)
                _emit(args, exc.result, file_mode)
                _say(f"hearings-update: aborted: {exc}")
                aborted = True
                return EXIT_FATAL
    finally:
        if conn.active_unit is None:
            if file_mode is None:
                file_mode = _leave_as_found(conn)
            _close(conn, quiet=aborted)
    _emit(args, result, file_mode)
    if file_mode is not None and file_mode.error:  # data committed; the disk failed putting the file back
        _say(f"hearings-update: error: {file_mode.message()}")
        return EXIT_FATAL
    if result.status in ("rolled_back", "completed_with_errors") or result.quarantined:
        return EXIT_QUARANTINE
    return EXIT_OK


def _close(conn: Any, *, quiet: bool) -> None:
    """Close; a failing disk can make even the close fail (its checkpoint): then force it."""
    try:
        conn.close()
    except apsw.Error:
        conn.raw.close(True)
        if not quiet:  # not yet reported: ``main`` says it in one line
            raise


def _leave_as_found(conn: Any, *, warn: bool = False) -> FileModeOutcome | None:
    """Put the file back in the journal mode it came in (a read-only deployment needs it)."""
    if conn.in_transaction:  # only after a failure that already ended the command
        return None
    outcome = conn.restore_journal_mode()
    if warn and outcome.message():
        _say(f"hearings-update: warning: {outcome.message()}")
    return outcome


def _check_api_settings() -> None:
    from .api_source import make_client

    try:
        make_client().close()  # builds the client only: no request is sent
    except ValueError as exc:
        raise UsageError(str(exc)) from None


def _checked(records: Iterable[RawRecord]) -> Iterator[RawRecord]:
    yield from records


def _emit(args: argparse.Namespace, result: RunResult, file_mode: FileModeOutcome | None = None) -> None:
    data = result.to_dict()
    if file_mode is not None:
        data["journal_mode"] = file_mode.to_dict()
    if result.dry_run:
        data["changes"] = {t: s.to_dict() for t, s in summarize(result.changes).items()}
    if args.json:
        print(json.dumps(data, ensure_ascii=False, default=str))
    elif not args.quiet:
        print(report.summary(result))
        if file_mode is not None and file_mode.message():
            print(f"  {file_mode.message()}")
        if result.dry_run:
            print(report.render_changes(data["changes"]))


def _show(args: argparse.Namespace) -> int:
    if not Path(args.db).exists():
        raise OpenError(f"no database at {args.db!r}: run 'hearings-update run --db {args.db}' first")
    conn = connect(args.db, create=False)
    try:
        if args.command == "status" and args.run_id:
            data = report.run_report(conn, args.run_id)
            kind = "run"
        else:
            data = report.status(conn) if args.command == "status" else report.quarantine(conn)
            kind = args.command
    finally:
        _leave_as_found(conn, warn=True)
        conn.close()
    if args.json:
        print(json.dumps(data, ensure_ascii=False, default=str))
    else:
        print(report.render(kind, data))
    return EXIT_OK


def _revert(args: argparse.Namespace) -> int:
    if not Path(args.db).exists():
        raise OpenError(f"no database at {args.db!r}")
    conn = connect(args.db, create=False)
    try:
        result = revert(conn, args.run_id, batch=args.batch, dry_run=args.dry_run)
    except RevertRefused as exc:
        if args.json:
            print(
                json.dumps(
                    {
                        "status": "refused",
                        "reason": str(exc),
                        "later_runs": exc.later_runs,
                        "conflicts": [c.to_dict() for c in exc.conflicts[:100]],
                    },
                    default=str,
                )
            )
        else:
            print(report.render_conflicts(exc))
        return EXIT_QUARANTINE
    except RevertError as exc:
        raise UsageError(str(exc)) from None
    finally:
        file_mode = _leave_as_found(conn)
        conn.close()
    data = result.to_dict()
    if args.json:
        status = "dry_run" if args.dry_run else "reverted"
        mode = file_mode.to_dict() if file_mode else None
        print(json.dumps({"status": status, **data, "journal_mode": mode}, default=str))
    else:
        what = f"batch {args.batch} of run {args.run_id}" if args.batch else f"run {args.run_id}"
        verb = "would restore" if args.dry_run else "restored"
        print(
            f"revert of {what}: {verb} {result.rows_restored} row(s)"
            + (f" as run {result.revert_run} (revert it to undo this)" if result.revert_run else "")
        )
        print(report.render_changes(data["tables"]))
        if file_mode and file_mode.message():
            print(f"  {file_mode.message()}")
    return EXIT_OK


if __name__ == "__main__":
    sys.exit(main())
