"""The ``--source api`` wiring: a Congress.gov client from the settings, the ``--since`` cursor.

The key comes from ``CONGRESS_API_KEY`` (a ``SecretStr``: never printed), the base URL from
``CONGRESS_API_BASE_URL``, the rate-limit wait budget and window from
``API_MAX_WAIT_SECONDS`` / ``API_RATE_WINDOW_SECONDS``. Without ``--since`` the update starts
at the newest ``updateDate`` committed by an earlier hearings run (the cursor the journal
keeps with each batch). Meetings earlier runs could not fetch (quarantined with rule
``fetch``) are asked for again by id on every run, although the cursor moved past them.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

from sqlbatch import Connection, Journal, load_settings

from .committees import CommitteeSeeding
from .settings import HearingsSettings
from .sources import CongressClient, RawRecord
from .sources.details import FETCH_RULE
from .sources.errors import ApiAuthError
from .sources.transport import SIGN_UP_URL
from .updater import JOB


def make_client(settings: HearingsSettings | None = None) -> CongressClient:
    settings = settings or load_settings(HearingsSettings)
    key = settings.congress_api_key.get_secret_value() if settings.congress_api_key else None
    if not key:
        raise ApiAuthError(
            f"no API key: set CONGRESS_API_KEY (free key at {SIGN_UP_URL}), or use --source sample or a file"
        )
    return CongressClient(
        key,
        settings.congress_api_base_url,
        rate_window=settings.api_rate_window_seconds,
        max_rate_wait=settings.api_max_wait_seconds,
    )


def since_cursor(conn: Connection, since: str | None) -> str | None:
    """``--since`` when given, else the newest cursor of the earlier hearings runs."""
    if since:
        return since
    return Journal(conn).last_cursor(JOB) if _has_journal(conn) else None


def unfetched_meetings(conn: Connection) -> list[dict[str, Any]]:
    """List items (``eventId``, ``chamber``, ``congress``) of the meetings still quarantined as unfetched."""
    items = []
    for key, payload in Journal(conn).quarantined_records(FETCH_RULE):
        try:
            item = json.loads(payload) if payload else None
        except ValueError:
            item = None
        if isinstance(item, dict) and item.get("chamber"):
            items.append({**item, "eventId": key})
    return items


def stored_committees(conn: Connection, congress: int) -> set[str]:
    """System codes of the committees the database already holds for ``congress``."""
    if not conn.backend.table_exists(conn, "committees"):
        return set()
    return {row[0] for row in conn.execute("SELECT system_code FROM committees WHERE congress = ?", (congress,))}


class ApiRecords:
    """The meetings of one API run (iterable once) and its committee step.

    Everything read from the database is read here, before the run starts: the cursor,
    the meetings to ask for again, the committees stored for ``congress``. Iterating only
    reads the API: the committee list first (so an API that cannot be used stops the run
    before any meeting is read, as a source failure), then the meetings. :attr:`committees`
    writes that list in the run's first unit of work, journaled with the run; it reads the
    list itself when it runs before the iteration.
    """

    def __init__(
        self,
        client: CongressClient,
        congress: int,
        since: str | None,
        refetch: list[dict[str, Any]],
        known: set[str],
        *,
        refresh_committees: bool = True,
    ) -> None:
        self.client, self.congress, self.since, self.refetch, self.known = client, congress, since, refetch, known
        self.refresh_committees = refresh_committees
        self._committee_list: list[dict[str, Any]] | None = None
        fetch = self.committee_list if refresh_committees else None
        self.committees = CommitteeSeeding(fetch, congress=congress) if fetch else CommitteeSeeding()

    def __iter__(self) -> Iterator[RawRecord]:
        try:
            if self.refresh_committees:
                self.committee_list()
            yield from self.client.iter_meetings(self.congress, since=self.since, refetch=self.refetch)
        finally:
            self.client.close()

    def committee_list(self) -> list[dict[str, Any]]:
        """The committees of ``congress`` from the API (read once); committees stored for it
        already are not asked for their detail."""
        if self._committee_list is None:
            self._committee_list = list(self.client.iter_committees(self.congress, details=True, known=self.known))
        return self._committee_list


def api_records(conn: Connection, *, congress: int, since: str | None, refresh_committees: bool = True) -> ApiRecords:
    """The meeting details updated since the cursor and the meetings of ``congress`` earlier
    runs could not fetch; ``.committees`` is the run's committee step (pass it to
    :func:`~adapters.hearings.updater.run_update`)."""
    client = make_client()
    again = [item for item in unfetched_meetings(conn) if str(item.get("congress", congress)) == str(congress)]
    known = stored_committees(conn, congress) if refresh_committees else set()
    records = ApiRecords(
        client, congress, since_cursor(conn, since), again, known, refresh_committees=refresh_committees
    )
    return records


def _has_journal(conn: Connection) -> bool:
    return conn.backend.table_exists(conn, "sqlbatch_batches")
