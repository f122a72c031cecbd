"""CloudWatch metrics against moto's server on 127.0.0.1, with injected AWS faults."""

from __future__ import annotations

import json
import random
import socket
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from _aws import aws_env_fixture, aws_fixture, aws_server_fixture  # noqa: F401  (fixtures)
from fakes.aws import FakeAws
from pydantic import ValidationError

from collectors.aws import AwsError, AwsProblem
from collectors.base import SourceState
from collectors.cloudwatch import (
    CloudWatchCollector,
    CloudWatchConfig,
    MetricSpec,
    expand_metrics,
    parse_metric_data,
)
from collectors.scheduler import Scheduler
from collectors.store.database import SourceBatch, Store

FIXTURES = Path(__file__).parent / "fixtures"
CLUSTER, SERVICE, DB = (
    "chatscomm-ecs-cluster-prod",
    "chatscomm-chatwoot-prod-web-service",
    "chatscomm-db-prod",
)
SECRETS = ("AKIDTESTSECRETKEYID", "s3cr3t-test-value", "testing")


def config(aws: FakeAws | None, **extra: Any) -> CloudWatchConfig:
    data: dict[str, Any] = {
        "type": "cloudwatch",
        "name": "aws-prod",
        "region": "us-east-1",
        "endpoint_url": aws.endpoint_url if aws else "http://127.0.0.1:9",
        "metrics": [
            {
                "namespace": "AWS/ECS",
                "metric": "CPUUtilization",
                "stat": "Average",
                "dimensions": {"ClusterName": CLUSTER, "ServiceName": SERVICE},
            },
            {"preset": "rds", "db_instance": DB},
        ],
    }
    data.update(extra)
    return CloudWatchConfig.model_validate(data)


def put(aws: FakeAws, namespace: str, metric: str, value: float, ts: float, **dims: str) -> None:
    aws.client("cloudwatch").put_metric_data(
        Namespace=namespace,
        MetricData=[
            {
                "MetricName": metric,
                "Dimensions": [{"Name": k, "Value": v} for k, v in dims.items()],
                "Timestamp": datetime.fromtimestamp(ts, UTC),
                "Value": value,
            }
        ],
    )


def minute(offset: int) -> float:
    """The start of the minute `offset` minutes from the current one."""
    return (int(time.time() // 60) + offset) * 60.0


@pytest.fixture
async def store(tmp_path: Path):
    opened = await Store.open(tmp_path / "cw.db")
    yield opened
    await opened.close()


# --------------------------------------------------------------------------- pure


def test_parse_metric_data_on_a_saved_payload() -> None:
    payload = json.loads((FIXTURES / "cloudwatch_get_metric_data.json").read_text())
    specs = expand_metrics(config(None).metrics)
    # m0 = ECS CPU, m1 = RDS CPU in this config; use the RDS read latency spec as m1.
    chosen = [specs[0], next(s for s in specs if s.metric == "ReadLatency"), specs[-1]]
    points = parse_metric_data(payload["MetricDataResults"], chosen)
    assert [(p.series, p.value, p.labels, p.unit) for p in points] == [
        ("aws.ecs.cpu_pct", 45.2, {"service": SERVICE}, "%"),
        ("aws.ecs.cpu_pct", 38.9, {"service": SERVICE}, "%"),
        ("aws.rds.read_latency_ms", pytest.approx(4.2), {"db": DB}, "ms"),
    ]
    assert points[0].ts == datetime(2025, 8, 21, 23, 1, tzinfo=UTC).timestamp()


def test_presets_spell_out_the_seed_002_metrics() -> None:
    cfg = config(
        None,
        metrics=[
            {"preset": "ecs", "cluster": CLUSTER, "service": SERVICE},
            {"preset": "rds", "db_instance": DB},
            {"preset": "sqs", "queue": "chatwoot-events"},
            {"preset": "alb", "load_balancer": "app/prod/123"},
            {"namespace": "Chatwoot/Custom", "metric": "QueueDepth", "dimensions": {"Queue": "x"}},
        ],
    )
    got = {
        (s.namespace, s.metric, s.stat, s.series, tuple(s.labels.items())) for s in cfg_specs(cfg)
    }
    assert got == {
        ("AWS/ECS", "CPUUtilization", "Average", "aws.ecs.cpu_pct", (("service", SERVICE),)),
        ("AWS/ECS", "MemoryUtilization", "Average", "aws.ecs.memory_pct", (("service", SERVICE),)),
        ("AWS/RDS", "CPUUtilization", "Average", "aws.rds.cpu_pct", (("db", DB),)),
        ("AWS/RDS", "DatabaseConnections", "Average", "aws.rds.connections", (("db", DB),)),
        ("AWS/RDS", "ReadLatency", "Average", "aws.rds.read_latency_ms", (("db", DB),)),
        ("AWS/RDS", "WriteLatency", "Average", "aws.rds.write_latency_ms", (("db", DB),)),
        ("AWS/RDS", "FreeableMemory", "Average", "aws.rds.freeable_memory_bytes", (("db", DB),)),
        (
            "AWS/SQS",
            "ApproximateAgeOfOldestMessage",
            "Maximum",
            "aws.sqs.oldest_age_s",
            (("queue", "chatwoot-events"),),
        ),
        (
            "AWS/ApplicationELB",
            "TargetResponseTime",
            "Average",
            "aws.alb.target_response_time_ms",
            (("lb", "app/prod/123"),),
        ),
        (
            "AWS/ApplicationELB",
            "HTTPCode_Target_5XX_Count",
            "Sum",
            "aws.alb.target_5xx",
            (("lb", "app/prod/123"),),
        ),
        (
            "Chatwoot/Custom",
            "QueueDepth",
            "Average",
            "aws.chatwoot_custom.queue_depth",
            (("queue", "x"),),
        ),
    }


def cfg_specs(cfg: CloudWatchConfig) -> list[MetricSpec]:
    return expand_metrics(cfg.metrics)


@pytest.mark.parametrize(
    ("entry", "words"),
    [
        ({"preset": "rds"}, "db_instance"),
        ({"preset": "redis", "name": "x"}, "redis"),
        ({"namespace": "AWS/ECS", "metric": "CPUUtilization", "period": "90s"}, "whole number"),
        ({"namespace": "AWS/ECS", "metric": "CPUUtilization", "colour": "red"}, "colour"),
    ],
)
def test_bad_metric_entries_are_rejected(entry: dict[str, Any], words: str) -> None:
    with pytest.raises(ValidationError) as caught:
        config(None, metrics=[entry])
    assert words in str(caught.value)


# --------------------------------------------------------------------------- moto


@pytest.mark.usefixtures("aws_env")
async def test_all_metrics_in_one_get_metric_data_call_into_the_store(
    aws: FakeAws, store: Store
) -> None:
    put(
        aws, "AWS/ECS", "CPUUtilization", 41.0, minute(-3), ClusterName=CLUSTER, ServiceName=SERVICE
    )
    put(
        aws, "AWS/ECS", "CPUUtilization", 43.0, minute(-2), ClusterName=CLUSTER, ServiceName=SERVICE
    )
    put(aws, "AWS/RDS", "ReadLatency", 0.004, minute(-2), DBInstanceIdentifier=DB)
    collector = CloudWatchCollector(config(aws))  # the default credential chain (environment)
    records = await collector.collect()
    await collector.aclose()
    calls = aws.calls_of("GetMetricData")
    assert len(calls) == 1
    assert len(calls[0].params["MetricDataQueries"]) == 6
    start, end = calls[0].params["StartTime"], calls[0].params["EndTime"]
    as_seconds = [v.timestamp() if isinstance(v, datetime) else float(v) for v in (start, end)]
    assert all(s % 60 == 0 for s in as_seconds)  # whole minutes
    await store.write([SourceBatch("aws-prod", records)])
    (cpu,) = await store.series("aws.ecs.cpu_pct", labels={"service": SERVICE})
    assert cpu.last_value == 43.0 and cpu.unit == "%"
    (latency,) = await store.series("aws.rds.read_latency_ms", labels={"db": DB})
    assert latency.last_value == pytest.approx(4.0) and latency.unit == "ms"
    assert "metrics/h" in (collector.notes or "")


@pytest.mark.usefixtures("aws_env")
async def test_metrics_without_datapoints_are_no_data_not_zero(aws: FakeAws) -> None:
    """Issue 13: a metric with no datapoints is a state the screens show, not a counter of 0."""
    nothing = CloudWatchCollector(config(aws))
    try:
        assert await nothing.collect() == []
    finally:
        await nothing.aclose()
    assert (nothing.notes or "").startswith("no data: no datapoints for any of the 6 metrics")

    put(aws, "AWS/RDS", "CPUUtilization", 12.0, minute(-2), DBInstanceIdentifier=DB)
    some = CloudWatchCollector(config(aws))
    try:
        records = await some.collect()
    finally:
        await some.aclose()
    assert {r.series for r in records} == {"aws.rds.cpu_pct"}
    assert some.notes is not None and some.notes.startswith(
        f"no datapoints for aws.ecs.cpu_pct{{service={SERVICE}}}, "
        f"aws.rds.connections{{db={DB}}}, aws.rds.read_latency_ms{{db={DB}}} and 2 more; "
    )


def test_datapoints_out_of_range_are_dropped_with_a_note() -> None:
    specs = cfg_specs(config(None))
    notes: list[str] = []
    results = [
        {"Id": "m0", "Timestamps": [1.7e9, 1.7e9, 1e12, "soon"], "Values": [-3, 10**400, 5, 6]},
        {"Id": "m1", "Timestamps": [1.7e9], "Values": [float("inf")]},
        {"Id": "m2", "Timestamps": [1.7e9], "Values": [7]},
    ]
    points = parse_metric_data(results, specs, now=1.7e9 + 60, notes=notes)
    assert [(p.series, p.value) for p in points] == [("aws.rds.connections", 7.0)]
    service = f"aws.ecs.cpu_pct{{service={SERVICE}}}"
    assert notes[:4] == [
        f"{service}: -3 is negative",
        f"{service}: a 401-digit integer is too large",
        f"{service} timestamp: 1000000000000.0 is in the future",
        f"{service} timestamp: 'soon' is not a number",
    ]


async def test_more_than_500_metrics_take_more_calls(aws: FakeAws) -> None:
    metrics = [
        {"namespace": "Custom/Load", "metric": "M", "dimensions": {"Shard": str(i)}}
        for i in range(501)
    ]
    collector = CloudWatchCollector(config(aws, metrics=metrics), session_factory=aws.session)
    await collector.collect()
    await collector.aclose()
    sizes = [len(c.params["MetricDataQueries"]) for c in aws.calls_of("GetMetricData")]
    assert sizes == [500, 1]


async def test_a_late_datapoint_replaces_the_stored_minute_instead_of_duplicating(
    aws: FakeAws, store: Store
) -> None:
    dims = {"DBInstanceIdentifier": DB}
    zero = minute(0)  # one minute for the whole test, however long its reads take

    def at(offset: int) -> float:
        return zero + 60.0 * offset

    put(aws, "AWS/RDS", "DatabaseConnections", 40.0, at(-3), **dims)
    put(aws, "AWS/RDS", "DatabaseConnections", 50.0, at(-2), **dims)
    collector = CloudWatchCollector(
        config(aws), session_factory=aws.session, clock=lambda: zero + 30.0
    )
    await store.write([SourceBatch("aws-prod", await collector.collect())])
    # Published late: a second datapoint for minute -2 (its average moves) and minute -1.
    put(aws, "AWS/RDS", "DatabaseConnections", 70.0, at(-2) + 20, **dims)
    put(aws, "AWS/RDS", "DatabaseConnections", 90.0, at(-1), **dims)
    await store.write([SourceBatch("aws-prod", await collector.collect())])
    await store.write([SourceBatch("aws-prod", await collector.collect())])  # a third read
    await collector.aclose()
    series = await store.series("aws.rds.connections", labels={"db": DB})
    start, end = at(-3), at(0)
    assert await store.points(series, start, end, 3) == [40.0, 60.0, 90.0]
    stats = await store.window_stats(series, start, end)
    assert stats.count == 3  # one point per minute, however often it was read
    assert series[0].last_value == 90.0


async def test_throttling_backs_off_longer_each_time_and_says_so(
    aws: FakeAws, store: Store
) -> None:
    cfg = config(aws)
    collector = CloudWatchCollector(cfg, session_factory=aws.session)
    aws.faults.throttle = 1000  # AWS keeps throttling (botocore's own retry is throttled too)
    scheduler = Scheduler([cfg], store, make_collector=lambda c: collector, rng=random.Random(1))
    first = (await scheduler.run_once())["aws-prod"]
    assert first.state is SourceState.STALE
    assert first.last_error is not None
    assert "throttled" in first.last_error and "backing off 15s" in first.last_error
    with pytest.raises(AwsError) as caught:
        await collector.collect()
    assert caught.value.problem is AwsProblem.THROTTLED and caught.value.retry_after == 30.0
    aws.faults.throttle = 0
    assert await collector.collect() is not None  # recovered: the backoff starts over
    aws.faults.throttle = 1000
    with pytest.raises(AwsError) as again:
        await collector.collect()
    assert again.value.retry_after == 15.0
    aws.faults.throttle = 0
    await collector.aclose()


async def test_expired_credentials_show_as_the_source_state(aws: FakeAws, store: Store) -> None:
    cfg = config(aws, profile=None)
    aws.faults.expired = True
    collector = CloudWatchCollector(cfg, session_factory=aws.session)
    scheduler = Scheduler([cfg], store, make_collector=lambda c: collector)
    status = (await scheduler.run_once())["aws-prod"]
    await scheduler.aclose()
    assert status.state is SourceState.STALE
    assert status.last_error is not None and "credentials expired" in status.last_error
    assert not any(secret in status.last_error for secret in SECRETS)
    stored = (await store.source_statuses())["aws-prod"]
    assert stored.last_error == status.last_error


@pytest.mark.usefixtures("aws_env")
async def test_missing_credentials_and_unknown_profile_say_so(
    aws: FakeAws, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("AWS_ACCESS_KEY_ID")
    monkeypatch.delenv("AWS_SECRET_ACCESS_KEY")
    collector = CloudWatchCollector(config(aws))
    with pytest.raises(AwsError) as missing:
        await collector.collect()
    assert missing.value.problem is AwsProblem.CREDENTIALS
    assert str(missing.value) == "no AWS credentials found (the default credential chain)"
    assert missing.value.retry_after == 60.0
    collector = CloudWatchCollector(config(aws, profile="chatscomm"))
    with pytest.raises(AwsError) as profile:
        await collector.collect()
    assert "AWS profile 'chatscomm' not found" in str(profile.value)
    assert aws.calls_of("GetMetricData") == []


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def test_an_endpoint_that_is_down_says_where_without_credentials(store: Store) -> None:
    port = closed_port()
    cfg = config(None, endpoint_url=f"http://user:hunter2@127.0.0.1:{port}/path?token=abc")
    collector = CloudWatchCollector(cfg, session_factory=FakeAws().session)
    with pytest.raises(AwsError) as caught:
        await collector.collect()
    await collector.aclose()
    message = str(caught.value)
    assert caught.value.problem is AwsProblem.UNREACHABLE
    assert message == f"cannot reach 127.0.0.1:{port} (cloudwatch:GetMetricData)"
    assert "hunter2" not in message and "token" not in message


async def test_the_cost_guard_slows_polls_to_fit_the_budget(aws: FakeAws) -> None:
    now = [1_000_000.0]
    # 6 metrics a minute cost 6 * 60 * 730 / 1000 * $0.01 = $2.63 a month; allow $0.5.
    cfg = config(aws, budget_usd_per_month=0.5)
    collector = CloudWatchCollector(cfg, clock=lambda: now[0], session_factory=aws.session)
    await collector.collect()
    assert collector.calls == 1
    slowed = 6 * 3600 / (0.5 / 730 / 0.00001)  # about 315 s between polls
    for _ in range(4):
        now[0] += 60
        assert await collector.collect() == []
    assert collector.calls == 1
    assert "cost guard: polling every 5m1" in (collector.notes or "")
    assert "6 metrics/h" in (collector.notes or "")
    now[0] = 1_000_000.0 + slowed + 1
    await collector.collect()
    assert collector.calls == 2
    await collector.aclose()


def documented_yaml() -> list[tuple[str, str]]:
    """Every YAML block that documents these sources: module docstrings, README, example."""
    import re

    import collectors.cloudwatch as metrics_module
    import collectors.cloudwatch_logs as logs_module

    root = Path(__file__).resolve().parents[2]
    texts = {
        "collectors/cloudwatch.py": metrics_module.__doc__ or "",
        "collectors/cloudwatch_logs.py": logs_module.__doc__ or "",
        "README.md": (root / "README.md").read_text(),
    }
    blocks = [
        (name, block)
        for name, text in texts.items()
        for block in re.findall(r"```yaml\n(.*?)```", text, re.S)
        if "type: cloudwatch" in block
    ]
    example = (root / "wootwatch.example.yaml").read_text()
    for found in re.finditer(r"  - type: cloudwatch.*?(?=\n\n)", example, re.S):
        blocks.append(("wootwatch.example.yaml", "sources:\n" + found.group(0) + "\n"))
    return blocks


@pytest.mark.parametrize(("where", "block"), documented_yaml())
def test_every_documented_config_is_valid(where: str, block: str) -> None:
    from tui.config.models import parse_config

    parsed = parse_config(f"database: x.db\n{block}", f"{where}.yaml")
    assert {s.type for s in parsed.sources} <= {"cloudwatch", "cloudwatch_logs"}
    assert parsed.sources
