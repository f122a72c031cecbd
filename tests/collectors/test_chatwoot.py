"""The Chatwoot source against a Chatwoot-shaped server over real sockets on 127.0.0.1.

`collectors.fakes.chatwoot_api` serves the real server's shapes and quirks;
faults are set per route. MockTransport is used only where a local server
cannot easily misbehave that way (a TLS failure, a broken content encoding).
"""

from __future__ import annotations

import asyncio
import io
import itertools
import logging
import math
import random
import sqlite3
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import AsyncIterator, Iterator, Sequence
from pathlib import Path

import httpx
import pytest
from _fake_time import FakeTime

from collectors.base import Record, Sample, SourceError, SourceState, collector_class
from collectors.chatwoot.collector import ChatwootCollector
from collectors.chatwoot.config import ChatwootConfig
from collectors.demo import incident_levels
from collectors.fakes.chatwoot_api import ChatwootState, FakeChatwootServer
from collectors.inert import inert
from collectors.scheduler import BackoffPolicy, Scheduler
from collectors.store.database import SourceBatch, Store
from collectors.store.views import UPTIME_WINDOWS, current_breaches, uptime_pct

HOSTILE_CUSTOMER = "Mallory \x1b[2J\x1b]0;pwned\x07[red]x[/red]"
HOSTILE_INBOX = "Support \x1b[31m[bold]VIP[/bold]\x1b[0m"


class Clock:
    """Wall-clock time that moves only when a test says so."""

    def __init__(self) -> None:
        self.now = math.floor(time.time() / 60) * 60.0 + 5  # near real time: the ring keeps it

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def state(clock: Clock) -> ChatwootState:
    return ChatwootState(seed=3, clock=clock, conversations=40, span=80000)


@pytest.fixture
async def server(state: ChatwootState) -> AsyncIterator[FakeChatwootServer]:
    async with FakeChatwootServer(state) as running:
        yield running


def make_config(server: FakeChatwootServer, **overrides: object) -> ChatwootConfig:
    fields: dict[str, object] = {
        "name": "chatwoot",
        "base_url": server.url,
        "account_id": server.state.account_id,
        "api_token": server.state.token,
        "interval": "30s",
    }
    fields.update(overrides)
    return ChatwootConfig.model_validate(fields)


@pytest.fixture
async def collector(server: FakeChatwootServer, clock: Clock) -> AsyncIterator[ChatwootCollector]:
    made = ChatwootCollector(make_config(server), clock=clock)
    yield made
    await made.aclose()


def values(records: list[Record]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (r.series, tuple(sorted(r.labels.items()))): r.value
        for r in records
        if isinstance(r, Sample)
    }


def series_names(records: list[Record]) -> set[str]:
    return {r.series for r in records if isinstance(r, Sample)}


def routes(state: ChatwootState, since: int = 0) -> list[str]:
    return [r.route for r in state.requests[since:]]


async def poll_until_filled(
    collector: ChatwootCollector, clock: Clock, polls: int = 10
) -> list[Record]:
    records: list[Record] = []
    for _ in range(polls):
        records = await collector.collect()
        clock.advance(30)
        if collector.notes is None or "more next poll" not in collector.notes:
            break
    return records


# --------------------------------------------------------------------------- registry, config


def test_the_source_is_registered() -> None:
    assert collector_class("chatwoot") is ChatwootCollector
    assert ChatwootCollector.config_model is ChatwootConfig


def test_config_hides_the_token_and_refuses_credentials_in_the_url() -> None:
    config = ChatwootConfig(
        name="c", base_url="https://chat.example.com/", api_token="s3cr3t-token"
    )
    assert config.base_url == "https://chat.example.com"
    assert "s3cr3t-token" not in repr(config) and "s3cr3t-token" not in str(config.model_dump())
    with pytest.raises(ValueError, match="must not hold a user name or password"):
        ChatwootConfig(name="c", base_url="https://ops:hunter2@chat.example.com", api_token="t")
    with pytest.raises(ValueError, match="api_token"):
        ChatwootConfig(name="c", base_url="https://chat.example.com", api_token="")
    # Kept but not polled: the variable may be unset.
    assert not ChatwootConfig(name="c", base_url="http://x", api_token="", enabled=False).enabled


def test_config_through_the_yaml_loader() -> None:
    from tui.config.models import ConfigError, parse_config

    text = """\
sources:
  - type: chatwoot
    name: prod
    base_url: https://chat.example.com
    account_id: 3
    api_token: ${CHATWOOT_API_TOKEN}
    business_hours: {timezone: America/New_York, days: [Mon, tuesday], start: 9:00, end: 17:30}
"""
    env = {"CHATWOOT_API_TOKEN": "tok-123"}
    (source,) = parse_config(text, "w.yaml", env=env).sources
    assert isinstance(source, ChatwootConfig)
    assert source.api_token.get_secret_value() == "tok-123"
    assert source.business_hours is not None
    hours = source.business_hours.working_hours()
    assert (hours.days, hours.start_minute, hours.end_minute) == (frozenset({0, 1}), 540, 1050)
    with pytest.raises(ConfigError) as caught:
        parse_config(text.replace("end: 17:30", "end: 8:00"), "w.yaml", env=env)
    assert "must be later than start" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        parse_config(text, "w.yaml", env={"CHATWOOT_API_TOKEN": ""})
    assert "w.yaml:6:" in str(caught.value) and "must not be empty" in str(caught.value)
    with pytest.raises(ConfigError) as caught:
        url = "https://ops:hunter2@chat.example.com"
        parse_config(text.replace("https://chat.example.com", url), "w.yaml", env=env)
    assert "must not hold a user name or password" in str(caught.value)
    assert "hunter2" not in str(caught.value)


# --------------------------------------------------------------------------- a good poll


async def test_a_poll_reads_every_part_over_real_sockets(
    collector: ChatwootCollector, state: ChatwootState, clock: Clock
) -> None:
    records = await poll_until_filled(collector, clock)
    got = values(records)
    live = state.conversation_metrics()
    assert got["chatwoot.up", (("check", "api"),)] == 1
    assert got["chatwoot.up", (("check", "health"),)] == 1
    assert got["chatwoot.check.status_code", (("check", "api"),)] == 200
    assert got["chatwoot.version", (("version", "4.15.1"),)] == 1
    assert got["chatwoot.service.up", (("service", "queue"),)] == 1
    assert got["chatwoot.conversations", (("status", "open"),)] == live["open"]
    assert got["chatwoot.conversations", (("status", "pending"),)] == live["pending"]
    assert got["chatwoot.conversations.unattended", ()] == live["unattended"]
    assert got["chatwoot.conversations.unassigned", ()] == live["unassigned"]
    statuses = [c.status for c in state.conversations.values()]
    assert got["chatwoot.conversations", (("status", "snoozed"),)] == statuses.count("snoozed")
    assert got["chatwoot.conversations", (("status", "resolved"),)] == statuses.count("resolved")
    assert got["chatwoot.agents", (("status", "online"),)] == 2
    assert got["chatwoot.agents", (("status", "busy"),)] == 1
    assert got["chatwoot.agents", (("status", "offline"),)] == 2
    assert 0 <= got["chatwoot.sla.compliance_pct", ()] <= 100
    assert sum(v for (s, _), v in got.items() if s == "chatwoot.channel.conversations") == 40
    assert got["chatwoot.capacity.agents_recommended", ()] >= 1
    assert {
        "chatwoot.api.latency_ms",
        "chatwoot.check.latency_ms",
        "chatwoot.conversations.new_per_hour",
        "chatwoot.channel.first_response_s",
        "chatwoot.sla.breach_wait_s",
        "chatwoot.api.requests",
        "chatwoot.api.errors",
    } <= series_names(records)
    # The summary and SLA metrics were read on the first poll (every 5 minutes).
    assert "reports_summary" in routes(state) and "sla_metrics" in routes(state)


async def test_reports_summary_and_sla_metrics_every_reports_interval(
    collector: ChatwootCollector, state: ChatwootState, clock: Clock
) -> None:
    first = await collector.collect()
    got = values(first)
    assert ("chatwoot.report.conversations", (("period", "current"),)) in got
    assert ("chatwoot.report.conversations", (("period", "previous"),)) in got
    assert got["chatwoot.sla.policies", ()] == 1
    assert got["chatwoot.sla.policy_first_response_s", (("policy", "Standard"),)] == 900
    assert 0 <= got["chatwoot.sla.hit_rate_pct", ()] <= 100
    clock.advance(60)
    mark = len(state.requests)
    assert "chatwoot.sla.hit_rate_pct" not in series_names(await collector.collect())
    assert "reports_summary" not in routes(state, mark)
    clock.advance(300)
    assert "chatwoot.sla.hit_rate_pct" in series_names(await collector.collect())


async def test_without_the_sla_feature_no_sla_endpoint_is_read(
    server: FakeChatwootServer, state: ChatwootState, clock: Clock
) -> None:
    state.features["sla"] = False
    collector = ChatwootCollector(make_config(server), clock=clock)
    try:
        records = await collector.collect()
    finally:
        await collector.aclose()
    assert "sla_policies" not in routes(state) and "sla_metrics" not in routes(state)
    assert "chatwoot.sla.compliance_pct" in series_names(records)  # our own SLA still counts


async def test_token_goes_only_in_the_header_and_never_to_the_open_checks(
    collector: ChatwootCollector, state: ChatwootState
) -> None:
    await collector.collect()
    for request in state.requests:
        assert state.token not in request.target
        if request.route in ("api", "health"):
            assert request.token is None
        else:
            assert request.token == state.token


# --------------------------------------------------------------------------- paging


async def test_pages_are_capped_per_poll_then_refreshed_with_updated_within(
    server: FakeChatwootServer, state: ChatwootState, clock: Clock
) -> None:
    state.conversations.clear()
    state.populate(130, 80000)  # 5 full pages of 25 and one of 5
    collector = ChatwootCollector(make_config(server, max_pages=2), clock=clock)
    lists: list[list[dict[str, str]]] = []
    try:
        for _ in range(4):
            mark = len(state.requests)
            records = await collector.collect()
            lists.append(
                [dict(r.query) for r in state.requests[mark:] if r.route == "conversations"]
            )
            clock.advance(30)
    finally:
        await collector.aclose()
    pages = [[q.get("page") for q in poll] for poll in lists]
    assert pages == [["1", "2"], [None, "3", "4"], [None, "5", "6"], [None]]
    incremental = [q for poll in lists for q in poll if "updated_within" in q]
    assert all(q["status"] == "all" and int(q["updated_within"]) >= 30 for q in incremental)
    assert all(q["sort_by"] == "created_at_desc" for poll in lists for q in poll if "page" in q)
    got = values(records)
    assert sum(v for (s, _), v in got.items() if s == "chatwoot.channel.conversations") == 130


async def test_backfill_says_how_far_it_got(
    server: FakeChatwootServer, state: ChatwootState, clock: Clock
) -> None:
    state.populate(100, 80000)
    collector = ChatwootCollector(make_config(server, max_pages=1), clock=clock)
    try:
        await collector.collect()
    finally:
        await collector.aclose()
    assert collector.notes is not None and "of the 1d window read (25 so far)" in collector.notes


async def test_changes_arrive_incrementally_and_a_wait_breaches_past_the_target(
    collector: ChatwootCollector, state: ChatwootState, clock: Clock
) -> None:
    await poll_until_filled(collector, clock)
    conv = state.add_conversation(created_at=clock.now, inbox_id=2, customer="Fresh Customer")
    clock.advance(60)
    first = await collector.collect()
    assert all(
        r.labels.get("conversation") != str(conv.display_id)
        for r in first
        if isinstance(r, Sample) and r.series == "chatwoot.sla.breach_wait_s"
    )
    clock.advance(16 * 60)  # past the 15-minute target, still unanswered
    breached = await collector.collect()
    rows = {
        r.labels["conversation"]: r
        for r in breached
        if isinstance(r, Sample) and r.series == "chatwoot.sla.breach_wait_s"
    }
    row = rows[str(conv.display_id)]
    assert row.value == pytest.approx(17 * 60) and row.labels["replied"] == "no"
    assert row.labels["customer"] == "Fresh Customer" and row.labels["inbox"] == "Support email"
    state.reply(conv.display_id)
    clock.advance(30)
    replied = await collector.collect()
    after = [
        r
        for r in replied
        if isinstance(r, Sample)
        and r.series == "chatwoot.sla.breach_wait_s"
        and r.labels["conversation"] == str(conv.display_id)
    ]
    assert [r.labels["replied"] for r in after] == ["yes"]
    assert after[0].value == pytest.approx(17 * 60)  # time to the first reply, now fixed
    responses = [
        r for r in replied if isinstance(r, Sample) and r.series == "chatwoot.first_response_s"
    ]
    assert [r.value for r in responses] == [pytest.approx(17 * 60)]


# --------------------------------------------------------------------------- out-of-range answers


async def test_a_negative_count_is_not_stored_and_the_rest_of_the_poll_is(
    server: FakeChatwootServer, state: ChatwootState, clock: Clock
) -> None:
    """Issue 13: `all_count: -26344906.83` was stored as -26,344,906 open conversations."""
    state.live_reports = False
    state.bodies["conversations_meta"] = {
        "meta": {
            "mine_count": 0,
            "assigned_count": 3,
            "unassigned_count": 4,
            "all_count": -26344906.83,
        }
    }
    collector = ChatwootCollector(make_config(server), clock=clock)
    try:
        records = await collector.collect()
    finally:
        await collector.aclose()
    got = values(records)
    assert ("chatwoot.conversations", (("status", "open"),)) not in got
    assert ("chatwoot.capacity.agents_recommended", ()) not in got
    assert got["chatwoot.conversations.unassigned", ()] == 4
    assert got["chatwoot.conversations.unattended", ()] >= 0  # from reports/conversations
    assert "chatwoot.sla.compliance_pct" in series_names(records)
    assert collector.notes is not None
    assert "all_count: -26344906.83 is not a count (negative) (status=open)" in collector.notes


async def test_a_reply_300_years_ahead_with_business_hours_is_skipped_with_a_note(
    server: FakeChatwootServer, state: ChatwootState, clock: Clock
) -> None:
    """Issue 13: a reply at 1e12 raised ValueError; 300 years ahead took 16 s on the loop."""
    for ahead in (1e12 - clock.now, 300 * 365.25 * 86400):
        conv = state.add_conversation(created_at=clock.now - 1200)
        state.reply(conv.display_id, at=clock.now + ahead)
    hours = {"timezone": "America/New_York", "days": ["mon", "tue"], "start": "09:00"}
    collector = ChatwootCollector(make_config(server, business_hours=hours), clock=clock)
    try:
        records = await poll_until_filled(collector, clock)
    finally:
        await collector.aclose()
    assert collector.notes is not None
    assert "conversations: 2 malformed items skipped" in collector.notes
    assert ".first_reply_created_at: " in collector.notes
    assert "is in the future" in collector.notes
    assert all(0 <= r.value <= 100 for r in records if isinstance(r, Sample) and r.unit == "%")


# --------------------------------------------------------------------------- counts fallback


async def test_without_live_reports_counts_come_from_meta_and_reports(
    server: FakeChatwootServer, state: ChatwootState, clock: Clock
) -> None:
    state.live_reports = False
    collector = ChatwootCollector(make_config(server), clock=clock)
    try:
        records = await collector.collect()
    finally:
        await collector.aclose()
    got = values(records)
    live = state.conversation_metrics()
    assert got["chatwoot.conversations", (("status", "open"),)] == live["open"]
    assert got["chatwoot.conversations", (("status", "pending"),)] == live["pending"]  # meta, not 0
    assert got["chatwoot.conversations.unattended", ()] == live["unattended"]
    assert got["chatwoot.conversations.unassigned", ()] == live["unassigned"]
    metas = [r.query.get("status") for r in state.requests if r.route == "conversations_meta"]
    assert metas == ["open", "pending", "snoozed", "resolved"]
    assert collector.notes is not None and "live_reports not on this server" in collector.notes


async def test_an_agent_token_gets_counts_and_notes_the_reports_it_may_not_read(
    server: FakeChatwootServer, state: ChatwootState, clock: Clock
) -> None:
    state.role = "agent"
    collector = ChatwootCollector(make_config(server), clock=clock)
    try:
        records = await collector.collect()
        clock.advance(30)
        mark = len(state.requests)
        await collector.collect()
    finally:
        await collector.aclose()
    got = values(records)
    assert (
        got["chatwoot.conversations", (("status", "open"),)] == state.conversation_metrics()["open"]
    )
    assert ("chatwoot.conversations.unattended", ()) not in got  # reports need an administrator
    assert collector.notes is not None
    assert "not allowed for this token: You are not authorized to do this action" in collector.notes
    assert "live_reports" not in routes(state, mark)  # left alone for half an hour


# --------------------------------------------------------------------------- rate limits


async def test_a_429_backs_off_that_endpoint_only(
    collector: ChatwootCollector, state: ChatwootState, clock: Clock
) -> None:
    state.rate_limits["conversations_meta"] = 2
    await collector.collect()  # snoozed + resolved: the two allowed this minute
    clock.advance(20)
    second = await collector.collect()
    assert collector.notes is not None
    assert "conversations_meta: rate limited (HTTP 429); next try in 1m" in collector.notes
    got = values(second)
    assert ("chatwoot.conversations", (("status", "open"),)) in got  # live reports still read
    assert ("chatwoot.conversations", (("status", "snoozed"),)) not in got  # last value stays
    assert "chatwoot.sla.compliance_pct" in series_names(second)
    clock.advance(20)
    mark = len(state.requests)
    await collector.collect()
    assert "conversations_meta" not in routes(state, mark)
    assert "conversations" in routes(state, mark) and "live_reports" in routes(state, mark)
    clock.advance(45)  # a minute after the 429, in a new rate-limit window
    mark = len(state.requests)
    third = await collector.collect()
    assert routes(state, mark).count("conversations_meta") == 2
    assert ("chatwoot.conversations", (("status", "snoozed"),)) in values(third)


async def test_repeated_429s_wait_longer_each_time(
    collector: ChatwootCollector, state: ChatwootState, clock: Clock
) -> None:
    state.fail("reports_summary", "rate_limit")
    await collector.collect()
    assert collector.notes is not None and "reports_summary: rate limited" in collector.notes
    clock.advance(300)
    await collector.collect()
    assert collector.notes is not None and "next try in 2m" in collector.notes
    state.heal()
    clock.advance(300)
    records = await collector.collect()
    assert ("chatwoot.report.conversations", (("period", "current"),)) in values(records)


# --------------------------------------------------------------------------- auth


async def test_a_refused_token_fails_with_the_servers_text_and_waits(
    server: FakeChatwootServer, clock: Clock
) -> None:
    collector = ChatwootCollector(make_config(server, api_token="wrong-token"), clock=clock)
    try:
        with pytest.raises(SourceError) as caught:
            await collector.collect()
    finally:
        await collector.aclose()
    assert str(caught.value) == "auth failed: Invalid Access Token (HTTP 401); next try in 10m"
    assert caught.value.retry_after == 600


async def test_auth_failure_stops_hammering_under_the_scheduler(
    server: FakeChatwootServer, state: ChatwootState, tmp_path: Path
) -> None:
    config = make_config(server, api_token="wrong-token", interval="100ms", timeout="10s")
    async with await Store.open(tmp_path / "auth.db") as store:
        scheduler = Scheduler([config], store, rng=random.Random(1))
        running = asyncio.create_task(scheduler.run())
        for _ in range(200):
            await asyncio.sleep(0.02)
            if scheduler.statuses["chatwoot"].last_error:
                break
        first_round = len([r for r in state.requests if r.token])
        for _ in range(10):  # ten intervals' worth: no second round may start
            await asyncio.sleep(0.1)
        scheduler.stop()
        await running
        status = (await store.source_statuses())["chatwoot"]
    assert status.last_error is not None
    assert status.last_error.startswith("auth failed: Invalid Access Token")
    assert len([r for r in state.requests if r.token]) == first_round


async def test_no_token_and_another_account_say_why(
    server: FakeChatwootServer, clock: Clock
) -> None:
    collector = ChatwootCollector(make_config(server, account_id=99), clock=clock)
    try:
        with pytest.raises(SourceError, match="You are not authorized to access this account"):
            await collector.collect()
    finally:
        await collector.aclose()


# --------------------------------------------------------------------------- faults


@pytest.mark.parametrize(
    ("route", "fault", "words"),
    [
        ("conversations", "error_500", "conversations: HTTP 500"),
        ("live_reports", "bad_gateway", "live_metrics: HTTP 502"),
        ("conversations", "malformed", "conversations: malformed JSON (HTTP 200, application/json"),
        ("conversations", "truncate", "conversations: connection broken mid-response"),
        ("conversations_meta", "reset", "conversations_meta: connection broken mid-response"),
        ("conversations", "hang", "conversations: no answer within 2s"),
        ("api", "error_500", "api: HTTP 500"),
        (
            "conversations",
            "redirect",
            "conversations: unexpected redirect (HTTP 301); check base_url",
        ),
    ],
)
async def test_a_core_endpoint_fault_fails_the_poll_in_one_line_and_recovers(
    server: FakeChatwootServer,
    state: ChatwootState,
    clock: Clock,
    route: str,
    fault: str,
    words: str,
) -> None:
    timeout = "2s" if fault == "hang" else "10s"  # only the hang waits it out
    collector = ChatwootCollector(make_config(server, request_timeout=timeout), clock=clock)
    try:
        good = values(await collector.collect())
        clock.advance(30)
        state.fail(route, fault)  # type: ignore[arg-type]
        with pytest.raises(SourceError) as caught:
            await collector.collect()
        message = str(caught.value)
        assert words in message, message
        assert "\n" not in message and state.token not in message and "Traceback" not in message
        state.heal()
        clock.advance(30)
        again = values(await collector.collect())
    finally:
        await collector.aclose()
    key = ("chatwoot.conversations", (("status", "open"),))
    assert again[key] == good[key]


async def test_an_optional_endpoint_fault_is_a_note_and_the_rest_counts(
    collector: ChatwootCollector, state: ChatwootState
) -> None:
    state.fail("agents", "malformed")
    state.fail("inboxes", "error_500")
    records = await collector.collect()
    assert "chatwoot.agents" not in series_names(records)
    assert "chatwoot.sla.compliance_pct" in series_names(records)
    assert collector.notes is not None
    assert "agents: malformed JSON" in collector.notes and "inboxes: HTTP 500" in collector.notes


async def test_health_says_failing_with_http_200(
    collector: ChatwootCollector, state: ChatwootState
) -> None:
    state.queue_services = "failing"
    got = values(await collector.collect())
    assert got["chatwoot.up", (("check", "api"),)] == 0
    assert got["chatwoot.service.up", (("service", "queue"),)] == 0
    assert got["chatwoot.service.up", (("service", "data"),)] == 1
    assert got["chatwoot.check.status_code", (("check", "api"),)] == 200
    assert collector.notes is not None and "queue services failing" in collector.notes


async def test_a_refused_poll_carries_its_own_checks_at_its_own_time(
    state: ChatwootState, clock: Clock
) -> None:
    """Issue 13: nothing is kept for a later poll; the failure itself carries up=0 and code 0."""
    server = FakeChatwootServer(state)
    await server.start()
    collector = ChatwootCollector(make_config(server), clock=clock)
    try:
        await collector.collect()
        await server.stop()
        clock.advance(30)
        with pytest.raises(SourceError, match="api: cannot connect") as caught:
            await collector.collect()
    finally:
        await collector.aclose()
    got = values(list(caught.value.records))
    assert got["chatwoot.up", (("check", "api"),)] == 0.0
    assert got["chatwoot.up", (("check", "health"),)] == 0.0
    assert got["chatwoot.check.status_code", (("check", "api"),)] == 0.0
    assert got["chatwoot.api.errors", (("endpoint", "health"),)] >= 1
    assert {r.ts for r in caught.value.records} == {clock.now}


async def test_tls_failure_and_broken_encoding_with_a_mock_transport() -> None:
    """Faults a plain local server cannot easily produce: a bad certificate, bad gzip."""

    def bad_certificate(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED] certificate verify failed")

    def bad_gzip(request: httpx.Request) -> httpx.Response:
        return httpx.Response(200, headers={"content-encoding": "gzip"}, content=b"not gzip at all")

    config = ChatwootConfig(name="c", base_url="https://chat.example.com", api_token="t0k")
    messages = []
    for handler in (bad_certificate, bad_gzip):
        collector = ChatwootCollector(config, transport=httpx.MockTransport(handler))
        try:
            with pytest.raises(SourceError) as caught:
                await collector.collect()
        finally:
            await collector.aclose()
        messages.append(str(caught.value))
    assert messages[0].startswith("api: cannot connect ([SSL: CERTIFICATE_VERIFY_FAILED]")
    assert messages[1].startswith("api: DecodingError (")
    assert all("t0k" not in m and "\n" not in m for m in messages)


# --------------------------------------------------------------------------- through the store


async def run_rounds(scheduler: Scheduler, clock: Clock, rounds: int) -> None:
    for _ in range(rounds):
        await scheduler.run_once()
        clock.advance(30)


async def test_down_keeps_last_values_and_uptime_counts_the_outage(
    server: FakeChatwootServer, state: ChatwootState, clock: Clock, tmp_path: Path
) -> None:
    config = make_config(server)
    async with await Store.open(tmp_path / "cw.db") as store:
        scheduler = Scheduler(
            [config], store, make_collector=lambda c: ChatwootCollector(c, clock=clock), clock=clock
        )
        await run_rounds(scheduler, clock, 2)
        (open_series,) = await store.series("chatwoot.conversations", labels={"status": "open"})
        state.fail("api", "error_500")
        state.fail("conversations", "error_500")
        await run_rounds(scheduler, clock, 3)
        status = scheduler.statuses["chatwoot"]
        assert status.state is SourceState.DOWN and status.consecutive_failures == 3
        assert status.last_error == "api: HTTP 500 (and 1 more)"
        (still,) = await store.series("chatwoot.conversations", labels={"status": "open"})
        assert (still.last_ts, still.last_value) == (open_series.last_ts, open_series.last_value)
        state.heal()
        await run_rounds(scheduler, clock, 3)
        assert scheduler.statuses["chatwoot"].state is SourceState.OK
        await scheduler.aclose()
        uptime = {
            name: await uptime_pct(store, "chatwoot", clock.now, w)
            for name, w in UPTIME_WINDOWS.items()
        }
        latency = await store.series(
            "chatwoot.api.latency_ms", labels={"endpoint": "conversations"}
        )
        stats = await store.window_stats(latency, clock.now - 3600, clock.now)
    # 5 of 8 checks up, over the four minutes recorded (not "30 d")
    assert {name: u and (u.percent, u.partial) for name, u in uptime.items()} == {
        "24h": (62.5, True),
        "7d": (62.5, True),
        "30d": (62.5, True),
    }
    assert stats.count > 0 and all(q in stats.quantiles for q in (0.5, 0.9, 0.95, 0.99))


async def test_an_hour_with_a_ten_minute_outage_has_an_uptime_near_83_percent(
    server: FakeChatwootServer, state: ChatwootState, clock: Clock, tmp_path: Path
) -> None:
    """Issue 13: the outage's failed checks are written while it lasts, so uptime counts them."""
    async with await Store.open(tmp_path / "hour.db") as store:
        scheduler = Scheduler(
            [make_config(server, interval="1m")],
            store,
            make_collector=lambda c: ChatwootCollector(c, clock=clock),
            clock=clock,
        )
        start = clock.now
        for minute in range(60):
            if minute == 25:
                state.fail("api", "error_500")
            if minute == 35:
                during = await uptime_pct(store, "chatwoot", clock.now, 3600)
                state.heal()
            await scheduler.run_once()
            clock.advance(60)
        await scheduler.aclose()
        hour = await uptime_pct(store, "chatwoot", start + 3600, 3600)
        day = await uptime_pct(store, "chatwoot", start + 3600, 86400)
    assert hour is not None and day is not None and during is not None
    assert round(during.percent, 1) == 71.4  # read while it lasts: 25 of 35 checks up
    assert round(hour.percent, 1) == 83.3 and not hour.partial  # 50 of 60 checks
    assert round(day.percent, 1) == 83.3 and day.partial
    assert 3600 <= day.recorded_s < 3660  # an hour recorded, to the minute


async def test_polls_keep_their_interval_through_500_truncated_and_hang(
    state: ChatwootState, tmp_path: Path
) -> None:
    """Issue 13: no backoff after a 5xx, a cut body or a hang; the hang costs one timeout."""
    script: dict[int, tuple[str, str]] = {
        2: ("api", "error_500"),
        3: ("conversations", "truncate"),
        4: ("api", "hang"),
        6: ("api", "error_500"),
    }
    clock = FakeTime(math.floor(time.time() / 60) * 60.0)
    state.clock = clock
    polls: list[tuple[float, int]] = []

    class Scripted(ChatwootCollector):
        async def collect(self) -> list[Record]:
            state.heal()
            fault = script.get(len(polls) + 1)
            if fault is not None:
                state.fail(fault[0], fault[1], times=1)  # type: ignore[arg-type]
            polls.append((clock.now, len(state.requests)))
            return await super().collect()

    outcomes: list[tuple[float, str | None]] = []

    async def record(batches: Sequence[SourceBatch]) -> None:
        outcomes.extend((b.status.checked_at, b.status.last_error) for b in batches if b.status)

    async with FakeChatwootServer(state) as server, await Store.open(tmp_path / "i.db") as store:
        config = make_config(server, interval="10s", request_timeout="300ms")
        scheduler = Scheduler(
            [config],
            store,
            make_collector=lambda c: Scripted(c, clock=clock),
            policy=BackoffPolicy(jitter=0.0),
            after_write=record,
            **clock.for_scheduler(),
        )
        await clock.run(scheduler, 75, sleepers=1)
    times = [t for t, _ in polls]
    assert len(times) == 8
    assert {round(b - a, 6) for a, b in itertools.pairwise(times)} == {10.0}
    errors = [error for _, error in outcomes]
    assert errors[0] is None and errors[4] is None and errors[6] is None
    assert errors[1] is not None and errors[1].startswith("api: HTTP 500")
    assert errors[2] is not None and "conversations: connection broken mid-response" in errors[2]
    assert errors[3] is not None and errors[3].startswith("api: no answer within 300ms")
    hang_start, hang_end = polls[3][1], polls[4][1]
    assert [r.route for r in state.requests[hang_start:hang_end]].count("api") == 1


async def test_a_refused_token_on_an_optional_endpoint_costs_that_endpoint_only(
    collector: ChatwootCollector, state: ChatwootState, clock: Clock
) -> None:
    """Issue 13: ten requests with the same token got 200; the poll stands, agents wait."""
    state.fail("agents", "unauthorized")
    records = await collector.collect()
    assert "chatwoot.agents" not in series_names(records)
    assert ("chatwoot.conversations", (("status", "open"),)) in values(records)
    assert collector.notes is not None
    assert "agents: token refused here: Invalid Access Token (HTTP 401); next try in 10m" in (
        collector.notes
    )
    clock.advance(30)
    mark = len(state.requests)
    await collector.collect()
    assert "agents" not in routes(state, mark)
    assert "conversations" in routes(state, mark)


async def test_a_429_waits_as_long_as_its_retry_after_asks(
    collector: ChatwootCollector, state: ChatwootState, clock: Clock
) -> None:
    state.retry_after = 120
    state.fail("reports_summary", "rate_limit", times=1)
    await collector.collect()
    assert collector.notes is not None
    assert "reports_summary: rate limited (HTTP 429); next try in 2m" in collector.notes


async def test_a_429_on_the_api_check_makes_the_source_wait(
    collector: ChatwootCollector, state: ChatwootState
) -> None:
    state.retry_after = 90
    state.fail("api", "rate_limit", times=1)
    with pytest.raises(SourceError) as caught:
        await collector.collect()
    assert caught.value.retry_after == 90


async def test_stored_latency_is_the_servers_not_the_wait_for_a_pooled_connection(
    clock: Clock, tmp_path: Path
) -> None:
    """Issue 13: a poll's ~7 requests share a pool of 4; every answer takes 100 ms to serve.

    The server's own measure (request read to answer written) is the reference,
    so a loaded machine's scheduling delays count on both sides. The median is
    within 15 ms; the slowest tenth within 50 ms, where timing from before the
    pool put the requests that queued for a connection at 2-3 times the delay.
    """
    state = ChatwootState(seed=3, clock=clock, conversations=0)
    state.latency["*"] = 0.1
    async with FakeChatwootServer(state) as server, await Store.open(tmp_path / "l.db") as store:
        scheduler = Scheduler(
            [make_config(server)],
            store,
            make_collector=lambda c: ChatwootCollector(c, clock=clock),
            clock=clock,
        )
        await run_rounds(scheduler, clock, 3)
        await scheduler.aclose()
        timed = [
            *await store.series("chatwoot.api.latency_ms"),
            *await store.series("chatwoot.check.latency_ms"),
        ]
        stats = await store.window_stats(timed, clock.now - 3600, clock.now + 1)
    served = statistics.median(ms for _, ms in state.served_ms)
    stored = stats.quantile(0.5)
    assert stats.count >= 20 and stored is not None
    assert served >= 100 and abs(stored - served) <= 15, (stored, served)
    slowest = stats.quantile(0.9)
    assert slowest is not None and slowest - served <= 50, (slowest, served)


async def test_breach_list_reads_back_from_the_store_with_names_as_given(
    server: FakeChatwootServer, state: ChatwootState, clock: Clock, tmp_path: Path
) -> None:
    state.inboxes[2].name = HOSTILE_INBOX
    old = state.add_conversation(created_at=clock.now - 7200, inbox_id=2, customer=HOSTILE_CUSTOMER)
    config = make_config(server)
    async with await Store.open(tmp_path / "names.db") as store:
        scheduler = Scheduler(
            [config], store, make_collector=lambda c: ChatwootCollector(c, clock=clock), clock=clock
        )
        await run_rounds(scheduler, clock, 3)
        await scheduler.aclose()
        breaches = await current_breaches(store, "chatwoot")
    row = next(b for b in breaches if b.display_id == old.display_id)
    assert (row.customer, row.inbox, row.replied) == (HOSTILE_CUSTOMER, HOSTILE_INBOX, False)
    assert row.waited_s == pytest.approx(7200 + 60, abs=1)  # the last poll ran 60 s later
    assert breaches == sorted(breaches, key=lambda b: -b.waited_s)
    shown = inert(f"#{row.display_id} {row.inbox} {row.customer}")
    assert "\x1b" not in shown and "\x07" not in shown and "[red]x[/red]" in shown


async def test_hostile_error_text_reaches_the_status_line_inert(
    server: FakeChatwootServer, state: ChatwootState, clock: Clock, tmp_path: Path
) -> None:
    from tui.console import render_summary

    state.unauthorized_body = {"error": "Nope \x1b[2J\x1b[31m[blink]gone[/blink]\nsecond line"}
    state.fail("conversations", "unauthorized")
    async with await Store.open(tmp_path / "hostile.db") as store:
        scheduler = Scheduler(
            [make_config(server)], store, make_collector=lambda c: ChatwootCollector(c, clock=clock)
        )
        await scheduler.run_once()
        await scheduler.aclose()
        statuses = await store.source_statuses()
    lines = render_summary(statuses, {}, time.time(), 200)
    assert len(lines) == 1 and "\x1b" not in lines[0]
    assert "auth failed: Nope ␛[2J␛[31m[blink]gone[/blink] second line (HTTP 401)" in lines[0]


async def test_the_token_never_reaches_the_database_logs_or_an_export(
    server: FakeChatwootServer,
    state: ChatwootState,
    clock: Clock,
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="httpx")  # its request lines too
    good, wrong = state.token, "wrong-" + state.token[::-1]
    db = tmp_path / "secret.db"
    async with await Store.open(db) as store:
        for token in (good, wrong):
            config = make_config(server, api_token=token, name=f"cw-{token[:5]}")
            scheduler = Scheduler(
                [config], store, make_collector=lambda c: ChatwootCollector(c, clock=clock)
            )
            state.fail("agents", "unauthorized", times=1)
            await scheduler.run_once()
            clock.advance(30)
            await scheduler.run_once()
            await scheduler.aclose()
        statuses = await store.source_statuses()
        assert statuses["cw-wrong"].last_error is not None
        files = {
            p.name: p.read_bytes() for p in tmp_path.iterdir() if p.name.startswith("secret.db")
        }
        assert "secret.db-wal" in files  # still open: the WAL holds the recent pages
    connection = sqlite3.connect(db)
    export = "\n".join(connection.iterdump())
    connection.close()
    assert "HTTP Request: GET" in caplog.text and "httpcore" in caplog.text
    texts = [export, caplog.text, *(s.last_error or "" for s in statuses.values())]
    for token in (good, wrong):
        for name, data in files.items():
            assert token.encode() not in data, name
        assert all(token not in text for text in texts)


# --------------------------------------------------------------------------- the fake server


async def test_the_fake_follows_the_demo_incident_levels(clock: Clock) -> None:
    state = ChatwootState(clock=clock, simulate=True, conversations=20)
    state.base_latency = 0.01
    async with FakeChatwootServer(state) as server:
        collector = ChatwootCollector(make_config(server), clock=clock)
        try:
            calm = values(await collector.collect())
            state.apply_levels(*incident_levels(60))  # spike, backlog and errors all at 1
            clock.advance(600)
            incident = values(await collector.collect())
            state.apply_levels(*incident_levels(200))
            clock.advance(30)
            recovered = values(await collector.collect())
        finally:
            await collector.aclose()
    assert state.latency["*"] == pytest.approx(0.01)  # back to the base after the incident
    assert calm["chatwoot.up", (("check", "api"),)] == 1
    assert incident["chatwoot.up", (("check", "api"),)] == 0  # queue services failing
    assert recovered["chatwoot.up", (("check", "api"),)] == 1
    assert (
        incident["chatwoot.agents", (("status", "busy"),)]
        > calm["chatwoot.agents", (("status", "busy"),)]
    )
    assert len(state.conversations) > 20  # customers kept arriving


async def test_the_fake_stops_cleanly_with_a_request_hanging(state: ChatwootState) -> None:
    state.fail("agents", "hang")
    server = FakeChatwootServer(state)
    url = await server.start()
    async with httpx.AsyncClient(base_url=url) as client:
        pending = asyncio.create_task(client.get("/api/v1/accounts/1/agents"))
        for _ in range(100):
            await asyncio.sleep(0.01)
            if state.requests:
                break
        await server.stop()
        with pytest.raises(httpx.HTTPError):
            await pending


# --------------------------------------------------------------------------- the command line


@pytest.fixture
def threaded_server() -> Iterator[tuple[str, ChatwootState]]:
    """The fake in its own thread and loop, for a CLI process to reach."""
    state = ChatwootState(seed=5, conversations=30)
    loop = asyncio.new_event_loop()
    server = FakeChatwootServer(state)
    ready = threading.Event()

    def serve() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(server.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    assert ready.wait(10)
    yield server.url, state
    asyncio.run_coroutine_threadsafe(server.stop(), loop).result(10)
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_collect_once_from_the_command_line(
    threaded_server: tuple[str, ChatwootState], tmp_path: Path
) -> None:
    url, state = threaded_server
    (tmp_path / "w.yaml").write_text(
        "database: w.db\n"
        "sources:\n"
        "  - type: chatwoot\n"
        "    name: prod\n"
        f"    base_url: {url}\n"
        "    api_token: ${CHATWOOT_API_TOKEN}\n",
        encoding="utf-8",
    )
    wootwatch = str(Path(sys.executable).with_name("wootwatch"))
    env = {"PATH": "/usr/bin:/bin", "HOME": str(tmp_path), "CHATWOOT_API_TOKEN": state.token}
    result = subprocess.run(
        [wootwatch, "collect", "--once", "--config", str(tmp_path / "w.yaml")],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
    )
    assert result.returncode == 0, result.stderr
    assert state.token not in result.stderr + result.stdout
    connection = sqlite3.connect(tmp_path / "w.db")
    names = {row[0] for row in connection.execute("SELECT DISTINCT name FROM series")}
    connection.close()
    assert {"chatwoot.up", "chatwoot.sla.compliance_pct", "chatwoot.agents"} <= names
    stream = io.BytesIO((tmp_path / "w.db").read_bytes())
    assert state.token.encode() not in stream.getvalue()
