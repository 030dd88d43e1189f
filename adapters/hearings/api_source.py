"""The ``--source api`` wiring: a Congress.gov client from the settings, the ``--since`` cursor.

The key comes from ``CONGRESS_API_KEY`` (a ``SecretStr``: never printed), the base URL from
``CONGRESS_API_BASE_URL``. Without ``--since`` the update starts at the newest ``updateDate``
committed by an earlier hearings run (the cursor the journal keeps with each batch).
"""

from __future__ import annotations

from collections.abc import Iterator

from sqlbatch import Connection, Journal, Settings, load_settings

from .sources import CongressClient, RawRecord
from .sources.errors import ApiAuthError
from .updater import JOB, prepare_database


def make_client(settings: Settings | None = None) -> CongressClient:
    settings = settings or load_settings()
    key = settings.congress_api_key.get_secret_value() if settings.congress_api_key else None
    if not key:
        raise ApiAuthError(
            "no API key: set CONGRESS_API_KEY (free key at https://api.congress.gov/sign-up/), "
            "or use --source sample or a file"
        )
    return CongressClient(key, settings.congress_api_base_url)


def since_cursor(conn: Connection, since: str | None) -> str | None:
    """``--since`` when given, else the newest cursor of the earlier hearings runs."""
    if since:
        return since
    return Journal(conn).last_cursor(JOB) if _has_journal(conn) else None


def api_records(
    conn: Connection, *, congress: int, since: str | None, refresh_committees: bool = True
) -> Iterator[RawRecord]:
    """Refresh the committees, then yield the meeting details updated since the cursor."""
    client = make_client()
    try:
        if refresh_committees:
            prepare_database(conn, list(client.iter_committees(congress, details=True)), congress=congress)
        yield from client.iter_meetings(congress, since=since_cursor(conn, since))
    finally:
        client.close()


def _has_journal(conn: Connection) -> bool:
    return bool(conn.query_value("SELECT 1 FROM sqlite_schema WHERE name='sqlbatch_batches'"))
