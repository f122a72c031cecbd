"""CloudWatch Logs against moto's server on 127.0.0.1, with injected AWS faults."""

from __future__ import annotations

import json
import socket
import time
from pathlib import Path
from typing import Any

import pytest
from _aws import aws_env_fixture, aws_fixture, aws_server_fixture  # noqa: F401  (fixtures)
from fakes.aws import DemoFeed, FakeAws

from collectors.aws import AwsError, AwsProblem
from collectors.base import LogEvent, Sample, SourceState
from collectors.cloudwatch_logs import (
    CloudWatchLogsCollector,
    CloudWatchLogsConfig,
    parse_level,
    parse_log_events,
)
from collectors.scheduler import Scheduler
from collectors.store.database import SourceBatch, Store
from collectors.store.log_search import open_readonly, search

FIXTURES = Path(__file__).parent / "fixtures"
WEB, WORKER = "/aws/ecs/chatscomm-chatwoot-prod-web", "/aws/ecs/chatscomm-chatwoot-prod-worker"


def config(aws: FakeAws | None, **extra: Any) -> CloudWatchLogsConfig:
    data: dict[str, Any] = {
        "type": "cloudwatch_logs",
        "name": "web-logs",
        "endpoint_url": aws.endpoint_url if aws else "http://127.0.0.1:9",
        "log_groups": [WEB],
        "interval": "15s",
    }
    data.update(extra)
    return CloudWatchLogsConfig.model_validate(data)


def make_groups(aws: FakeAws, *groups: str) -> None:
    logs = aws.client("logs")
    for group in groups:
        logs.create_log_group(logGroupName=group)
        logs.create_log_stream(logGroupName=group, logStreamName="web/a1")


def put(aws: FakeAws, group: str, *lines: tuple[float, str]) -> None:
    DemoFeed(aws).put_lines(group, "web/a1", lines)


def messages(records: list[Any]) -> list[str]:
    return [r.message for r in records if isinstance(r, LogEvent)]


@pytest.fixture
async def store(tmp_path: Path):
    opened = await Store.open(tmp_path / "logs.db")
    yield opened
    await opened.close()


# --------------------------------------------------------------------------- pure


def test_parse_log_events_on_a_saved_page() -> None:
    page = json.loads((FIXTURES / "cloudwatch_logs_filter_log_events.json").read_text())
    events = parse_log_events(page, WEB)
    assert [(e.stream, e.level, e.ts) for e in events] == [
        ("web/a1f3", "error", 1755817262.0),
        ("web/b7c2", "warning", 1755817263.5),
        ("web/b7c2", "", 1755817264.0),
    ]
    assert (
        events[2].message == "ActiveStorage::FileNotFoundError \x1b[2J in resize_to_fill"
    )  # as given
    assert all(e.group == WEB and e.event_id for e in events)


@pytest.mark.parametrize(
    ("line", "level"),
    [
        ("E, [2025-08-21T23:01:02 #1] ERROR -- : boom", "error"),
        ("W, [2025-08-21T23:01:02 #1]  WARN -- : slow", "warning"),
        ('{"level":"info","msg":"Completed 200"}', "info"),
        ('{"severity": "ERROR", "msg": "x"}', "error"),
        ("2025-08-21 23:01:02 UTC:10.0.0.1:app@db:[42]:ERROR:  canceling statement", "error"),
        ("2025-08-21 23:01:02 UTC::@:[42]:LOG:  duration: 5012.3 ms", "info"),
        ("[FATAL] out of memory", "error"),
        ("DEBUG cache hit", "debug"),
        ("no errors here, all fine", ""),
        ("Started GET /api/v1/accounts", ""),
    ],
)
def test_parse_level(line: str, level: str) -> None:
    assert parse_level(line) == level


# --------------------------------------------------------------------------- moto


@pytest.mark.usefixtures("aws_env")
async def test_tails_incrementally_without_duplicates(aws: FakeAws, store: Store) -> None:
    make_groups(aws, WEB)
    now = time.time()
    put(aws, WEB, (now - 30, "ERROR one"), (now - 20, "INFO two"), (now - 10, "WARN three"))
    collector = CloudWatchLogsCollector(config(aws))  # default credential chain
    first = await collector.collect()
    assert messages(first) == ["ERROR one", "INFO two", "WARN three"]
    await store.write([SourceBatch("web-logs", first)])
    # A line that arrives late (inside the overlap, older than the newest seen) and a new one.
    put(aws, WEB, (now - 15, "ERROR late"), (now - 5, "INFO four"))
    second = await collector.collect()
    assert sorted(messages(second)) == ["ERROR late", "INFO four"]
    await store.write([SourceBatch("web-logs", second)])
    assert messages(await collector.collect()) == []
    assert await store.count_rows("log_lines") == 5
    start = aws.calls_of("FilterLogEvents")[-1].params["startTime"]
    assert start == int((now - 5) * 1000) - 60_000  # newest seen minus the overlap
    rates = {r.labels["level"]: r.value for r in second if isinstance(r, Sample)}
    assert rates.keys() >= {"error", "info"}
    await collector.aclose()


async def test_the_filter_pattern_is_sent_as_written(aws: FakeAws) -> None:
    make_groups(aws, WEB)
    now = time.time()
    put(aws, WEB, (now - 3, "ERROR boom"), (now - 2, "INFO fine"))
    pattern = '?ERROR ?timeout ?ActiveStorage { $.level = "error" }'
    collector = CloudWatchLogsCollector(
        config(aws, filter_pattern=pattern), session_factory=aws.session
    )
    await collector.collect()
    assert aws.calls_of("FilterLogEvents")[0].params["filterPattern"] == pattern
    # moto itself understands plain words only: check the matching with one.
    plain = CloudWatchLogsCollector(
        config(aws, filter_pattern="ERROR"), session_factory=aws.session
    )
    assert messages(await plain.collect()) == ["ERROR boom"]
    await collector.aclose()
    await plain.aclose()


async def test_pages_are_followed_with_next_token(aws: FakeAws) -> None:
    make_groups(aws, WEB)
    now = time.time()
    put(aws, WEB, *[(now - 50 + i, f"INFO line {i}") for i in range(5)])
    collector = CloudWatchLogsCollector(config(aws, page_size=2), session_factory=aws.session)
    records = await collector.collect()
    assert messages(records) == [f"INFO line {i}" for i in range(5)]
    calls = aws.calls_of("FilterLogEvents")
    assert len(calls) == 3
    assert "nextToken" not in calls[0].params and calls[1].params["nextToken"]
    await collector.aclose()


async def test_a_throttled_group_backs_off_while_the_others_go_on(
    aws: FakeAws, store: Store
) -> None:
    make_groups(aws, WEB, WORKER)
    now = time.time()
    put(aws, WEB, (now - 3, "ERROR web"))
    put(aws, WORKER, (now - 3, "ERROR worker"))
    cfg = config(aws, log_groups=[WEB, WORKER], max_concurrency=1)
    collector = CloudWatchLogsCollector(cfg, session_factory=aws.session)
    aws.faults.throttle = 2  # the first group's call and botocore's one retry of it
    records = await collector.collect()
    assert messages(records) == ["ERROR worker"]
    assert collector.notes is not None and WEB in collector.notes and "throttled" in collector.notes
    before = len(aws.calls_of("FilterLogEvents"))
    await collector.collect()  # the throttled group waits; the other is read
    called = [c.params["logGroupName"] for c in aws.calls_of("FilterLogEvents")[before:]]
    assert called == [WORKER]
    assert "backing off" in (collector.notes or "")
    await collector.aclose()
    # Every group throttled: the source fails, says so and asks to wait.
    everything = CloudWatchLogsCollector(cfg, session_factory=aws.session)
    aws.faults.throttle = 1000
    scheduler = Scheduler([cfg], store, make_collector=lambda c: everything)
    status = (await scheduler.run_once())["web-logs"]
    aws.faults.throttle = 0
    await scheduler.aclose()
    assert status.state is SourceState.STALE
    assert status.last_error is not None and "throttled" in status.last_error
    assert "backing off" in status.last_error


async def test_expired_credentials_show_as_the_source_state(aws: FakeAws, store: Store) -> None:
    make_groups(aws, WEB)
    cfg = config(aws, profile=None)
    collector = CloudWatchLogsCollector(cfg, session_factory=aws.session)
    aws.faults.expired = True
    scheduler = Scheduler([cfg], store, make_collector=lambda c: collector)
    status = (await scheduler.run_once())["web-logs"]
    await scheduler.aclose()
    assert status.last_error is not None and "credentials expired" in status.last_error
    assert "testing" not in status.last_error
    assert (await store.source_statuses())["web-logs"].state is SourceState.STALE


@pytest.mark.usefixtures("aws_env")
async def test_missing_credentials_show_as_the_source_state(
    aws: FakeAws, store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    cfg = config(aws)
    scheduler = Scheduler([cfg], store)  # the registry builds the collector, as `collect` does
    status = (await scheduler.run_once())["web-logs"]
    await scheduler.aclose()
    assert status.last_error == "no AWS credentials found (the default credential chain)"


async def test_an_endpoint_that_is_down_says_so() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    collector = CloudWatchLogsCollector(
        config(None, endpoint_url=f"http://127.0.0.1:{port}"), session_factory=FakeAws().session
    )
    with pytest.raises(AwsError) as caught:
        await collector.collect()
    await collector.aclose()
    assert caught.value.problem is AwsProblem.UNREACHABLE
    assert str(caught.value) == f"cannot reach 127.0.0.1:{port} (logs:FilterLogEvents)"


async def test_remote_search_of_an_uncached_range_is_cached_and_searchable(
    aws: FakeAws, store: Store
) -> None:
    make_groups(aws, WEB)
    now = time.time()
    put(
        aws,
        WEB,
        (now - 7200, "ERROR old timeout"),
        (now - 7100, "INFO old fine"),
        (now - 10, "ERROR new timeout"),
    )
    collector = CloudWatchLogsCollector(config(aws), session_factory=aws.session)
    found = await collector.search_remote("timeout", now - 3 * 3600, now - 3600)
    assert [e.message for e in found] == ["ERROR old timeout"]
    sent = aws.calls_of("FilterLogEvents")[-1].params
    assert (sent["filterPattern"], sent["startTime"]) == ("timeout", int((now - 3 * 3600) * 1000))
    source = config(aws).name
    await store.write([SourceBatch(source, found)])
    await store.write([SourceBatch(source, found)])  # twice: stored once
    conn = open_readonly(store.path)
    hits = search(conn, "timeout", start=now - 3 * 3600)
    conn.close()
    assert [h.message for h in hits] == ["ERROR old timeout"]
    await collector.aclose()


async def test_log_group_discovery(aws: FakeAws) -> None:
    make_groups(aws, WEB, WORKER, "/aws/rds/instance/chatscomm-db-prod/postgresql")
    collector = CloudWatchLogsCollector(config(aws), session_factory=aws.session)
    everything = [g.name for g in await collector.log_groups()]
    assert sorted(everything) == sorted(
        [WEB, WORKER, "/aws/rds/instance/chatscomm-db-prod/postgresql"]
    )
    ecs = await collector.log_groups("/aws/ecs/")
    assert sorted(g.name for g in ecs) == [WEB, WORKER]
    await collector.aclose()
