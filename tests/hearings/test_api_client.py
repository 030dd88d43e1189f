"""The Congress.gov client against the fake API serving recorded-shape responses.

Shapes and statuses are answered in process (``httpx.MockTransport``, no socket); a timeout,
a truncated body, a redirect to another server and a refused connection go over a real
local socket (the ``served`` fixtures).
"""

from __future__ import annotations

import json
import logging
import socket
from datetime import UTC, date, datetime, timedelta
from email.utils import format_datetime
from importlib import resources
from typing import Any

import pytest

from adapters.hearings.sources import (
    ApiAuthError,
    ApiError,
    ApiResponseError,
    ApiUnavailable,
    CongressClient,
    HttpRetry,
    RateLimiter,
    RedactingFilter,
    Redactor,
    read_sample,
)
from tests.support.http_api import IN_PROCESS_URL, FakeCongressApi, Reply, html, raw, slow, status, truncated

KEY = "sk-live-Zq81mPz0rT9yVbX4"
LIST = "/committee-meeting/119"


class FakeTime:
    """An injectable clock and sleep: sleeping moves the clock, nothing really waits."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.sleeps: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


@pytest.fixture(scope="module")
def meetings() -> list[dict[str, Any]]:
    """16 real meetings (8 House, 8 Senate) from the bundled sample."""
    every = [record.payload for record in read_sample()]
    house = [m for m in every if m["chamber"] == "House"][:8]
    senate = [m for m in every if m["chamber"] == "Senate"][:8]
    return [m for pair in zip(house, senate, strict=True) for m in pair]


@pytest.fixture(scope="module")
def committees() -> list[dict[str, Any]]:
    data = resources.files("adapters.hearings").joinpath("data").joinpath("committees.json")
    return json.loads(data.read_text(encoding="utf-8"))


@pytest.fixture
def fake_time() -> FakeTime:
    return FakeTime()


@pytest.fixture
def api(meetings, committees) -> FakeCongressApi:
    """The fake answering in process: clients pass ``transport=api.transport()``."""
    return FakeCongressApi(meetings, committees, key=KEY)


@pytest.fixture
def served(meetings, committees):
    """The fake behind a real local HTTP server (``served.base_url``)."""
    with FakeCongressApi(meetings, committees, key=KEY) as server:
        yield server


def quick_policy(**overrides: Any) -> HttpRetry:
    settings = {
        "max_attempts": 4,
        "max_total_wait": 60.0,
        "backoff_initial": 0.01,
        "backoff_max": 1.0,
        "jitter": 0.0,
        "retry_after_cap": 30.0,
    }
    settings.update(overrides)
    return HttpRetry(**settings)


def in_process(api: FakeCongressApi, fake_time: FakeTime, key: str = KEY, **options: Any) -> CongressClient:
    """A client on the fake clock whose requests ``api`` answers in process."""
    clock = {"sleep": fake_time.sleep, "clock": fake_time.clock}
    return CongressClient(key, IN_PROCESS_URL, transport=api.transport(), **clock, **options)


@pytest.fixture
def client(api, fake_time):
    with in_process(api, fake_time, timeout=2.0, retry=quick_policy(), page_size=5) as made:
        yield made


@pytest.fixture
def served_client(served, fake_time):
    clock = {"sleep": fake_time.sleep, "clock": fake_time.clock}
    with CongressClient(KEY, served.base_url, timeout=2.0, **clock, retry=quick_policy(), page_size=5) as made:
        yield made


def ordered(meetings: list[dict[str, Any]]) -> list[dict[str, Any]]:
    def key(meeting: dict[str, Any]) -> tuple[datetime, int, str]:
        stamp = datetime.fromisoformat(meeting["updateDate"])
        return stamp, len(meeting["eventId"]), meeting["eventId"]

    return sorted(meetings, key=key)


# -- the normal path ----------------------------------------------------------------------


def test_pages_then_details_in_update_order(api, client, meetings):
    records = list(client.iter_meetings(119))

    assert [r.payload for r in records] == ordered(meetings)
    assert [r.position for r in records] == list(range(1, 17))
    assert all(r.error is None for r in records)
    lists = api.requests_to(LIST)
    assert [seen.query["offset"] for seen in lists] == ["0", "5", "10", "15"]
    assert {seen.query["limit"] for seen in lists} == {"5"}
    assert {seen.query["format"] for seen in lists} == {"json"}
    details = [seen for seen in api.requests if seen.path.count("/") == 4]
    assert len(details) == 16
    assert {seen.path.split("/")[3] for seen in details} == {"house", "senate"}


def test_since_and_until_are_sent_in_api_format(api, client, meetings):
    since, until = "2025-01-29", datetime(2025, 9, 30, 12, 0, tzinfo=UTC)
    records = list(client.iter_meetings(119, since=since, until=until))

    first = api.requests_to(LIST)[0]
    assert first.query["fromDateTime"] == "2025-01-29T00:00:00Z"
    assert first.query["toDateTime"] == "2025-09-30T12:00:00Z"
    low, high = datetime(2025, 1, 29, tzinfo=UTC), until
    expected = [m for m in meetings if low <= datetime.fromisoformat(m["updateDate"]) <= high]
    assert 0 < len(expected) < len(meetings)
    assert [r.payload for r in records] == ordered(expected)


def test_date_objects_and_chamber(api, client, meetings):
    records = list(client.iter_meetings(119, since=date(2025, 1, 1), chamber="Senate"))

    assert api.requests_to(LIST + "/senate")[0].query["fromDateTime"] == "2025-01-01T00:00:00Z"
    assert {r.payload["chamber"] for r in records} == {"Senate"}
    assert len(records) == 8


def test_bad_arguments_fail_before_any_request(api, client):
    with pytest.raises(ValueError, match="since"):
        client.iter_meetings(119, since="last tuesday")
    with pytest.raises(ValueError, match="chamber"):
        client.iter_meetings(119, chamber="lords")
    with pytest.raises(ValueError, match="congress"):
        client.iter_meetings("one-nineteen")
    assert api.requests == []


def test_next_link_host_is_never_followed(api, client):
    """``pagination.next`` names api.congress.gov; every request still reaches base_url."""
    list(client.iter_meetings(119))
    assert len(api.requests) == 4 + 16


def test_committees_shaped_like_committees_json(api, client, committees):
    rows = list(client.iter_committees(119))

    assert rows == committees
    assert len(api.requests_to("/committee/119")) == len(range(0, len(committees), 5))


def test_subcommittees_named_only_by_their_parent_are_listed(api, client):
    api.committees = []
    parent = {
        "chamber": "House",
        "committeeTypeCode": "Standing",
        "name": "Judiciary Committee",
        "systemCode": "hsju00",
        "url": "https://api.congress.gov/v3/committee/house/hsju00",
        "subcommittees": [
            {
                "name": "Courts Subcommittee",
                "systemCode": "hsju03",
                "url": "https://api.congress.gov/v3/committee/house/hsju03",
            }
        ],
    }
    api.fail("/committee/119", status(200, {"committees": [parent], "pagination": {"count": 1}}))

    rows = list(client.iter_committees(119))

    assert [row["systemCode"] for row in rows] == ["hsju00", "hsju03"]
    assert rows[1] == {
        "systemCode": "hsju03",
        "name": "Courts Subcommittee",
        "chamber": "House",
        "committeeTypeCode": "Subcommittee",
        "parent": "hsju00",
        "url": "https://api.congress.gov/v3/committee/house/hsju03",
    }


# -- the key ------------------------------------------------------------------------------


def test_key_only_in_header_and_never_logged(api, meetings, fake_time, caplog):
    caplog.set_level(logging.DEBUG)
    victim = ordered(meetings)[2]
    api.fail(LIST, status(503), offset=5)
    api.fail(
        f"/committee-meeting/119/{victim['chamber'].lower()}/{victim['eventId']}",
        status(404, {"error": "Unknown resource"}),
    )
    api.fail("/committee/119", status(502), forever=True)
    with in_process(api, fake_time, retry=quick_policy(), page_size=5) as client:
        records = list(client.iter_meetings(119))
        with pytest.raises(ApiUnavailable) as down:
            list(client.iter_committees(119))
        shown = repr(client)

    assert all(seen.headers["x-api-key"] == KEY for seen in api.requests)
    assert all(KEY not in seen.raw_target and "api_key" not in seen.query for seen in api.requests)
    errors = [r.error for r in records if r.error]
    assert len(errors) == 1
    texts = [caplog.text, str(down.value), shown, *errors, *(record.getMessage() for record in caplog.records)]
    assert caplog.records, "the client logs its work"
    assert all(KEY not in text for text in texts)
    assert "api_key=<redacted>" in shown


def test_redacting_filter_masks_the_key_even_if_someone_logs_it(caplog):
    caplog.set_level(logging.INFO, logger="adapters.hearings.api")
    with CongressClient(KEY, "http://127.0.0.1:9/v3"):
        logging.getLogger("adapters.hearings.api").info("oops %s", f"key={KEY}")
    assert KEY not in caplog.text
    assert "key=***" in caplog.text

    handler_filter = RedactingFilter(Redactor(KEY))
    record = logging.LogRecord("x", logging.ERROR, __file__, 1, "url ?api_key=%s", (KEY,), None)
    handler_filter.filter(record)
    assert KEY not in record.getMessage()


def test_missing_or_malformed_key_fails_before_any_request():
    for key in (None, "", "   "):
        with pytest.raises(ApiAuthError, match="CONGRESS_API_KEY"):
            CongressClient(key)
    with pytest.raises(ApiAuthError, match="CONGRESS_API_KEY") as bad:
        CongressClient("clé secrète")
    assert "clé" not in str(bad.value)


@pytest.mark.parametrize("code", [401, 403])
def test_refused_key_is_an_auth_error_and_not_retried(api, client, code):
    api.fail(LIST, status(code, {"error": {"code": "API_KEY_INVALID", "message": "An invalid api_key was supplied."}}))
    with pytest.raises(ApiAuthError, match="CONGRESS_API_KEY") as refused:
        list(client.iter_meetings(119))
    assert refused.value.status_code == code
    assert len(api.requests) == 1


def test_wrong_key_refused_by_the_server(api, fake_time):
    with (
        in_process(api, fake_time, key="not-the-key") as client,
        pytest.raises(ApiAuthError, match="invalid api_key") as refused,
    ):
        list(client.iter_meetings(119))
    assert "not-the-key" not in str(refused.value)
    assert isinstance(refused.value, ApiError)


# -- retries ------------------------------------------------------------------------------


def test_429_honours_retry_after_seconds(api, client, fake_time, meetings):
    api.fail(LIST, status(429, {"error": {"code": "OVER_RATE_LIMIT"}}, Retry_After="7"), offset=0)
    records = list(client.iter_meetings(119))

    assert fake_time.sleeps == [7.0]
    assert len(records) == len(meetings)
    assert len(api.requests_to(LIST)) == 5


def test_429_honours_retry_after_http_date(api, client, fake_time):
    when = datetime.now(UTC) + timedelta(seconds=20)
    api.fail(LIST, status(429, Retry_After=format_datetime(when, usegmt=True)), offset=0)
    list(client.iter_meetings(119))

    assert len(fake_time.sleeps) == 1
    assert 15.0 <= fake_time.sleeps[0] <= 20.0


def test_retry_after_is_capped(api, fake_time):
    api.fail(LIST, status(429, Retry_After="100000"), offset=0)
    policy = quick_policy(retry_after_cap=45.0, max_total_wait=1000.0)
    with in_process(api, fake_time, retry=policy) as client:
        list(client.iter_meetings(119))
    assert fake_time.sleeps == [45.0]


def test_retry_after_beyond_the_budget_gives_up_at_once(api, fake_time):
    """A 429 waits within the rate-limit budget (API_MAX_WAIT_SECONDS), not the retry budget."""
    api.fail(LIST, status(429, Retry_After="3600"), offset=0)
    policy = quick_policy(retry_after_cap=7200.0)
    with (
        in_process(api, fake_time, retry=policy, max_rate_wait=300.0) as client,
        pytest.raises(ApiUnavailable, match="429") as down,
    ):
        list(client.iter_meetings(119))
    assert "Retry-After 3600 s" in str(down.value)
    assert fake_time.sleeps == []
    assert len(api.requests) == 1


@pytest.mark.parametrize("code", [500, 502, 503])
def test_server_errors_then_success(api, client, fake_time, meetings, code):
    api.fail(LIST, status(code), status(code), offset=5)
    records = list(client.iter_meetings(119))

    assert [r.payload for r in records] == ordered(meetings)
    assert fake_time.sleeps == [0.01, 0.02]  # exponential backoff (jitter 0 here)
    assert [s.query["offset"] for s in api.requests_to(LIST)] == ["0", "5", "5", "5", "10", "15"]


def test_backoff_has_jitter_and_a_ceiling():
    policy = HttpRetry(backoff_initial=1.0, backoff_max=10.0, jitter=0.5, rand=lambda: 1.0)
    assert [policy.wait_for(n, None) for n in (1, 2, 3, 4, 5)] == [1.5, 3.0, 6.0, 10.0, 10.0]
    calm = HttpRetry(backoff_initial=1.0, jitter=0.5, rand=lambda: 0.0)
    assert calm.wait_for(2, None) == 2.0


def test_timeout_then_success(served, meetings, fake_time):
    target = ordered(meetings)[0]
    path = f"/committee-meeting/119/{target['chamber'].lower()}/{target['eventId']}"
    served.fail(path, slow(0.6))
    with CongressClient(
        KEY, served.base_url, timeout=0.2, sleep=fake_time.sleep, clock=fake_time.clock, retry=quick_policy()
    ) as client:
        records = list(client.iter_meetings(119))

    assert records[0].payload == target and records[0].error is None
    assert len(served.requests_to(path)) == 2
    assert len(fake_time.sleeps) == 1


def test_truncated_body_is_retried(served, served_client, meetings):
    served.fail(LIST, truncated(keep=60), offset=0)
    records = list(served_client.iter_meetings(119))

    assert len(records) == len(meetings)
    assert [s.query["offset"] for s in served.requests_to(LIST)][:2] == ["0", "0"]


def test_delays_and_truncation_need_the_real_server(api, client):
    """In process there is no socket to stall or cut: such a reply fails the test loudly."""
    api.fail(LIST, truncated(keep=60), offset=0)
    with pytest.raises(RuntimeError, match="needs the real server"):
        list(client.iter_meetings(119))


def test_api_down_for_good_gives_up_within_bounded_attempts(api, client, fake_time):
    api.fail(LIST, status(503, {"error": "Service Unavailable"}), forever=True)
    with pytest.raises(ApiUnavailable) as down:
        list(client.iter_meetings(119))

    assert len(api.requests) == 4  # max_attempts
    assert len(fake_time.sleeps) == 3
    message = str(down.value)
    assert LIST in message and "503" in message and "4 time(s)" in message
    assert down.value.path == LIST and down.value.status_code == 503


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_connection_refused_gives_up(fake_time):
    with (
        CongressClient(
            KEY,
            f"http://127.0.0.1:{closed_port()}/v3",
            sleep=fake_time.sleep,
            clock=fake_time.clock,
            retry=quick_policy(max_attempts=3),
        ) as client,
        pytest.raises(ApiUnavailable, match="ConnectError"),
    ):
        list(client.iter_meetings(119))
    assert len(fake_time.sleeps) == 2


def test_total_wait_is_bounded(api, fake_time):
    api.fail(LIST, status(500), forever=True)
    policy = HttpRetry(max_attempts=50, max_total_wait=10.0, backoff_initial=1.0, backoff_max=4.0, jitter=0.0)
    with (
        in_process(api, fake_time, retry=policy) as client,
        pytest.raises(ApiUnavailable),
    ):
        list(client.iter_meetings(119))
    assert sum(fake_time.sleeps) <= 10.0
    assert fake_time.sleeps == [1.0, 2.0, 4.0]


# -- responses that are not usable --------------------------------------------------------


DETAIL_FAULTS = {
    "404": (status(404, {"error": "Unknown resource"}), "HTTP 404"),
    "invalid JSON": (raw(b'{"committeeMeeting": {"eventId": '), "invalid JSON"),
    "HTML page": (html(200), "HTML page"),
    "wrong shape": (status(200, {"committeeMeetings": []}), "wrong-shaped"),
    "other meeting": (status(200, {"committeeMeeting": {"eventId": "1"}}), "wrong-shaped"),
    "bad request": (status(400, {"error": "bad eventId"}), "bad eventId"),
}


@pytest.mark.parametrize("fault", DETAIL_FAULTS, ids=list(DETAIL_FAULTS))
def test_unusable_detail_becomes_an_error_record(api, client, meetings, fault):
    reply, expected = DETAIL_FAULTS[fault]
    victim = ordered(meetings)[3]
    path = f"/committee-meeting/119/{victim['chamber'].lower()}/{victim['eventId']}"
    api.fail(path, reply)

    records = list(client.iter_meetings(119))

    assert len(records) == len(meetings)
    bad = records[3]
    if fault in ("404", "bad request"):  # an HTTP status: fetched again by id on the next runs
        assert bad.rule == "fetch"
        assert bad.payload == {"eventId": victim["eventId"], "chamber": victim["chamber"].lower(), "congress": 119}
    else:  # the body arrived but cannot be read
        assert bad.rule == "readable" and bad.payload == {"eventId": victim["eventId"]}
    assert bad.key == victim["eventId"]
    assert expected in bad.error and path in bad.error
    assert all(r.error is None for r in records if r is not bad)
    assert len(api.requests_to(path)) == 1  # permanent: not retried


@pytest.mark.parametrize(
    "reply",
    [raw(b"{not json"), html(200), status(200, {"items": []}), status(404, {"error": "Unknown resource"})],
    ids=["invalid JSON", "HTML", "wrong shape", "404"],
)
def test_unusable_list_page_stops_the_listing(api, client, reply):
    api.fail(LIST, reply, offset=5)
    with pytest.raises(ApiResponseError) as failed:
        list(client.iter_meetings(119))
    assert failed.value.path == LIST
    assert len(api.requests_to(LIST)) == 2


def test_html_error_page_with_5xx_is_retried(api, client, meetings):
    api.fail(LIST, html(503), offset=0)
    assert len(list(client.iter_meetings(119))) == len(meetings)


def test_redirects_are_not_followed(served, served_client, meetings, committees):
    with FakeCongressApi(meetings, committees, key=KEY) as elsewhere:
        served.fail(LIST, Reply(302, b"", {"Location": elsewhere.base_url + LIST}), offset=0)
        with pytest.raises(ApiResponseError, match="redirects are not followed"):
            list(served_client.iter_meetings(119))
        assert elsewhere.requests == []


def test_repeated_page_gives_no_duplicates(api, client, meetings, caplog):
    api.repeat_offsets = {5: 0}  # the second page repeats the first
    records = list(client.iter_meetings(119))

    keys = [r.key for r in records]
    assert len(keys) == len(set(keys)) == len(meetings) - 5
    assert "repeated meetings already listed" in caplog.text


def test_a_shifted_listing_is_read_again_and_no_meeting_is_missed(api, client, meetings, caplog):
    """A page repeating an earlier one hides meetings; the client reads the list again."""
    api.repeat_offsets = {5: 0}
    api.repeat_budget = 1  # the shift happens once, while the first pass is read

    records = list(client.iter_meetings(119))

    assert [r.payload for r in records] == ordered(meetings)  # all 16, each once, none lost
    offsets = [seen.query["offset"] for seen in api.requests_to(LIST)]
    assert offsets == ["0", "5", "10", "15"] * 2  # a second full pass, then no more
    assert "reading the list again (pass 2 of 3)" in caplog.text
    assert "missing from this run" not in caplog.text


def test_a_listing_that_keeps_shifting_is_read_three_times_and_said(api, client, meetings, caplog):
    api.repeat_offsets = {5: 0}  # every pass: the second page repeats the first

    keys = [r.key for r in client.iter_meetings(119)]

    assert len(keys) == len(set(keys)) == len(meetings) - 5
    assert len(api.requests_to(LIST)) == 3 * 4
    assert "missing from this run; run again with --since" in caplog.text


def test_duplicate_list_items_are_fetched_once(api, client, meetings):
    item = {
        "eventId": meetings[0]["eventId"],
        "chamber": meetings[0]["chamber"],
        "congress": 119,
        "updateDate": meetings[0]["updateDate"],
        "url": "",
    }
    page = {"committeeMeetings": [item, dict(item), {"chamber": "House", "congress": 119}], "pagination": {"count": 3}}
    api.fail(LIST, status(200, page), offset=0)

    records = list(client.iter_meetings(119))

    assert [r.key for r in records] == [meetings[0]["eventId"], "#2"]
    assert records[0].payload == meetings[0]
    assert "without an eventId" in records[1].error


# -- rate limiting ------------------------------------------------------------------------


def windows_hold(stamps: list[float], limit: int, period: float) -> bool:
    """No ``limit + 1`` starts within any half-open window of ``period`` seconds."""
    stamps = sorted(stamps)
    return all(stamps[i + limit] - stamps[i] >= period for i in range(len(stamps) - limit))


def test_rate_limiter_never_exceeds_n_per_window(fake_time):
    limiter = RateLimiter(10, 60.0, clock=fake_time.clock, sleep=fake_time.sleep)
    stamps = []
    for step in range(200):
        fake_time.now += (step * 7919 % 13) / 4  # irregular bursts and pauses
        limiter.acquire()
        stamps.append(fake_time.now)
    assert windows_hold(stamps, 10, 60.0)
    assert fake_time.sleeps  # it did have to wait


def test_rate_limiter_survives_a_sleep_that_does_not_move_the_clock():
    slept: list[float] = []
    limiter = RateLimiter(2, 60.0, clock=lambda: 0.0, sleep=slept.append)
    for _ in range(5):
        limiter.acquire()
    assert slept == [60.0, 60.0]  # and it returned instead of spinning


def test_client_keeps_under_max_requests_per_hour(meetings, committees, fake_time):
    api = FakeCongressApi(meetings[:6], committees, key=KEY, stamp=fake_time.clock)
    with in_process(api, fake_time, max_requests_per_hour=3, page_size=2) as client:
        records = list(client.iter_meetings(119))

    assert len(records) == 6
    stamps = [seen.stamp for seen in api.requests]
    assert len(stamps) == 3 + 6
    assert windows_hold(stamps, 3, 3600.0)
    assert fake_time.sleeps and all(s <= 3600.0 for s in fake_time.sleeps)


def test_in_process_and_over_a_socket_the_fake_answers_alike(api, client, served, served_client):
    """One routing core behind both ways in: the same requests, the same records."""
    assert [r.payload for r in client.iter_meetings(119)] == [r.payload for r in served_client.iter_meetings(119)]
    assert [seen.raw_target for seen in api.requests] == [seen.raw_target for seen in served.requests]
    assert len(api.requests) == 4 + 16
