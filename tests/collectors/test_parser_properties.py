"""No upstream answer raises past a parser or stores a figure out of its range (issue 13).

Every source's `parse_*` function is fed 2,000 documents: valid by Chatwoot's
spec or the parser's own shape, and invalid ones where any node may be any
JSON value. Numbers are drawn to hurt: negative and fractional counts,
401-digit integers, NaN, infinities, timestamps 300 years ahead. A parser may
refuse a whole answer with its own one-line error (`ParseError`,
`SourceError`); anything else escaping is a failure, and so is any sample
outside its unit's range. Runs are derandomised so CI sees the same examples.
"""

from __future__ import annotations

import datetime as dt
import json
import zoneinfo
from collections.abc import Callable, Iterable, Mapping
from pathlib import Path
from typing import Any, TypeVar

import pytest
from _documents import JSON, NOW, NUMBERS, TEXT, finite, from_schema, load_spec, response_schema
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collectors.base import Revision, Sample, SourceError
from collectors.business_hours import WorkingHours
from collectors.chatwoot.parse import (
    ParseError,
    parse_agents,
    parse_conversation_metrics,
    parse_conversation_page,
    parse_conversations_meta,
    parse_inboxes,
    parse_report_conversations,
    parse_sla_metrics,
    parse_sla_policies,
    parse_summary,
)
from collectors.chatwoot.sla import channel_samples, sla_report, sla_samples
from collectors.cloudwatch import CloudWatchConfig, expand_metrics, parse_metric_data
from collectors.json_endpoint import JsonEndpointConfig, parse_paths
from collectors.pipeline import parse_performance
from collectors.sidekiq import parse_snapshot
from collectors.sqs import parse_attributes

T = TypeVar("T")
FIXTURES = Path(__file__).parent / "fixtures"

DOCUMENTS = 2000
"""Documents (or cases) each property is checked on."""
BATCH = 5
"""Cases drawn per Hypothesis example: its own bookkeeping is per example, so this is 3x faster."""
EXAMPLES = settings(
    max_examples=DOCUMENTS // BATCH,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
"""The same documents on every machine."""


def each_of(*strategies: st.SearchStrategy[Any]) -> Callable[[Callable[..., None]], Any]:
    """Check a property on `DOCUMENTS` cases drawn from `strategies`, `BATCH` per example."""

    def wrap(check: Callable[..., None]) -> Any:
        @EXAMPLES
        @given(st.lists(st.tuples(*strategies), min_size=BATCH, max_size=BATCH))
        def test(cases: list[tuple[Any, ...]]) -> None:
            for case in cases:
                check(*case)

        test.__name__, test.__doc__ = check.__name__, check.__doc__
        return test

    return wrap


SPEC = load_spec()
CONVERSATIONS = "/api/v1/accounts/{account_id}/conversations"
META = "/api/v1/accounts/{account_id}/conversations/meta"
REPORT_CONVERSATIONS = "/api/v2/accounts/{account_id}/reports/conversations"
SUMMARY = "/api/v2/accounts/{account_id}/reports/summary"
AGENTS = "/api/v1/accounts/{account_id}/agents"
INBOXES = "/api/v1/accounts/{account_id}/inboxes"


def documents(path: str) -> st.SearchStrategy[Any]:
    """Answers of a Chatwoot path: valid by the spec, or broken anywhere."""
    schema = response_schema(SPEC, path)
    return st.one_of(from_schema(schema, SPEC), from_schema(schema, SPEC, invalid=True))


UNBOUNDED_PERCENT = frozenset({"aws.ecs.cpu_pct", "aws.ecs.memory_pct"})
"""ECS measures use against the reservation: a task bursting past it is above 100 %."""


def in_range(samples: Iterable[Sample | Revision], *, whole_counts: bool = True) -> None:
    """Every figure fits its unit: counts whole and >= 0, percentages 0-100, nothing else < 0.

    Args:
        samples: what a parser made.
        whole_counts: False where a count is a statistic (CloudWatch's `Average`).
    """
    for sample in samples:
        assert finite(sample.value), sample
        assert finite(sample.ts), sample
        if sample.unit == "count":
            assert sample.value >= 0, sample
            assert float(sample.value).is_integer() or not whole_counts, sample
        elif sample.unit == "%" and sample.series not in UNBOUNDED_PERCENT:
            assert 0 <= sample.value <= 100, sample
        elif sample.unit in ("s", "ms", "bytes"):
            assert sample.value >= 0, sample


def counts_in_range(counts: object) -> None:
    for name in ("open", "unattended", "unassigned", "pending", "all", "assigned"):
        value = getattr(counts, name, None)
        assert value is None or (isinstance(value, int) and 0 <= value <= 2**53), (name, value)


def refused(parse: Callable[[], T], *errors: type[Exception]) -> T | None:
    """The parser's result, or None when it refused the whole answer in its own words."""
    try:
        return parse()
    except errors as exc:
        assert "\n" not in str(exc)
        return None


# --------------------------------------------------------------------------- Chatwoot


SLA_METRICS = st.fixed_dictionaries(
    {},
    optional={
        "total_applied_slas": NUMBERS,
        "number_of_sla_misses": NUMBERS,
        "hit_rate": st.one_of(NUMBERS, TEXT, st.none()),
    },
)
"""`applied_slas/metrics` (EE, not in the spec): the shape the parser reads."""
LIVE_METRICS = st.fixed_dictionaries(
    {}, optional=dict.fromkeys(("open", "unattended", "unassigned", "pending"), NUMBERS)
)
"""`live_reports/conversation_metrics` (not in the spec): the shape the parser reads."""
SLA_POLICIES = st.fixed_dictionaries(
    {
        "payload": st.lists(
            st.fixed_dictionaries(
                {"name": TEXT}, optional={"first_response_time_threshold": NUMBERS}
            ),
            max_size=3,
        )
    }
)
"""`sla_policies` (EE, not in the spec)."""
CHATWOOT = st.one_of(
    documents(META),
    documents(REPORT_CONVERSATIONS),
    documents(SUMMARY),
    documents(AGENTS),
    documents(INBOXES),
    SLA_METRICS,
    LIVE_METRICS,
    SLA_POLICIES,
)


@each_of(CHATWOOT)
def test_every_chatwoot_answer_parser(payload: Any) -> None:
    """Each answer goes to every parser: the right one, and the others as a wrong shape."""
    counts_in_range(refused(lambda: parse_conversations_meta(payload, []), ParseError))
    counts_in_range(refused(lambda: parse_report_conversations(payload, []), ParseError))
    counts_in_range(refused(lambda: parse_conversation_metrics(payload, []), ParseError))
    in_range(refused(lambda: parse_summary(payload, NOW, []), ParseError) or [])
    in_range(refused(lambda: parse_sla_metrics(payload, NOW, []), ParseError) or [])
    for policy in refused(lambda: parse_sla_policies(payload, []), ParseError) or []:
        assert policy.first_response_s is None or 0 <= policy.first_response_s <= 2**53
    agents = refused(lambda: parse_agents(payload), ParseError) or {}
    assert all(count >= 0 for count in agents.values())
    inboxes = refused(lambda: parse_inboxes(payload), ParseError) or {}
    assert all(0 <= inbox_id <= 2**53 for inbox_id in inboxes)


ZONES = ("UTC", "America/New_York", "Europe/Berlin", "Australia/Lord_Howe", "Asia/Kolkata")
HOURS = st.builds(
    lambda zone, days, start, length: WorkingHours(zone, frozenset(days), start, start + length),
    st.sampled_from(ZONES),
    st.sets(st.integers(0, 6), min_size=1),
    st.integers(0, 22 * 60),
    st.integers(1, 120),
).map(lambda h: h if h.end_minute < 24 * 60 else WorkingHours(h.timezone, h.days, 0, 60))

BELIEVABLE_ITEM = st.fixed_dictionaries(
    {
        "id": st.integers(1, 50),
        "inbox_id": st.integers(1, 4),
        "status": st.sampled_from(["open", "pending", "resolved", "snoozed"]),
        "created_at": st.one_of(st.floats(NOW - 2 * 86400, NOW), NUMBERS),
        "first_reply_created_at": st.one_of(st.just(0), st.floats(NOW - 2 * 86400, NOW), NUMBERS),
    },
    optional={"waiting_since": NUMBERS, "updated_at": NUMBERS},
)
PAGES = st.one_of(
    documents(CONVERSATIONS),
    st.builds(
        lambda items: {"data": {"meta": {}, "payload": items}},
        st.lists(BELIEVABLE_ITEM, max_size=6),
    ),
)


@each_of(PAGES, st.one_of(st.none(), HOURS))
def test_conversation_pages_through_the_sla_arithmetic(
    payload: Any, hours: WorkingHours | None
) -> None:
    page = refused(lambda: parse_conversation_page(payload, NOW), ParseError)
    if page is None:
        return
    for conv in page.conversations:
        assert finite(conv.created_at) and conv.created_at <= NOW + 300
        assert conv.first_reply_at is None or conv.created_at <= conv.first_reply_at <= NOW + 300
    report = sla_report(
        page.conversations, now=NOW, window=86400, target=900, hours=hours, inbox_names={}
    )
    in_range(sla_samples(report, NOW))
    in_range(channel_samples(page.conversations, report, now=NOW, window=86400, inbox_channels={}))


# --------------------------------------------------------------------------- Sidekiq

REDIS_VALUE = st.one_of(
    st.none(),
    st.integers(-10, 10**6),
    st.sampled_from([10**400, -5, 2**53 + 1]),
    TEXT.map(str.encode),
    NUMBERS.map(lambda n: repr(n).encode()),
    st.builds(lambda e: {"error": e}, TEXT),
)
"""What redis-py hands back: integers, bytes, nothing, or a command's error."""
JOB = st.one_of(
    st.none(),
    TEXT,
    st.builds(lambda stamp: json.dumps({"enqueued_at": stamp}), NUMBERS),
    st.builds(lambda junk: json.dumps({"enqueued_at": junk}), JSON),
)
SNAPSHOTS = st.fixed_dictionaries(
    {
        "queues": st.one_of(
            st.dictionaries(
                TEXT, st.fixed_dictionaries({"size": REDIS_VALUE, "oldest": JOB}), max_size=2
            ),
            st.builds(lambda e: {"error": e}, TEXT),
        ),
        "processes": st.dictionaries(
            TEXT,
            st.one_of(
                st.none(),
                st.fixed_dictionaries(
                    {"info": TEXT, "busy": REDIS_VALUE.map(str), "beat": NUMBERS.map(str)}
                ),
            ),
            max_size=3,
        ),
    },
    optional={key: REDIS_VALUE for key in ("scheduled", "retries", "dead", "processed", "failed")},
)


@each_of(SNAPSHOTS)
def test_sidekiq_snapshots(snapshot: dict[str, Any]) -> None:
    reading = parse_snapshot(snapshot, NOW, heartbeat_timeout=60)
    in_range(reading.samples)
    for counter in (reading.processed, reading.failed):
        assert counter is None or 0 <= counter <= 2**53


# --------------------------------------------------------------------------- SQS, CloudWatch

ATTRIBUTE = st.one_of(NUMBERS.map(lambda n: str(n) if abs(n) < 10**400 else "0"), JSON)
SQS_ANSWERS = st.one_of(
    st.fixed_dictionaries(
        {
            "Attributes": st.fixed_dictionaries(
                {},
                optional={
                    "ApproximateNumberOfMessages": ATTRIBUTE,
                    "ApproximateNumberOfMessagesNotVisible": ATTRIBUTE,
                    "ApproximateNumberOfMessagesDelayed": ATTRIBUTE,
                },
            )
        }
    ),
    st.dictionaries(st.just("Attributes"), JSON),
)


@each_of(SQS_ANSWERS)
def test_sqs_attributes(answer: Mapping[str, Any]) -> None:
    samples, _ = parse_attributes("events", answer, NOW)
    in_range(samples)


CW_CONFIG = CloudWatchConfig.model_validate(
    {
        "name": "aws",
        "region": "us-east-1",
        "metrics": [
            {"preset": "rds", "db_instance": "db"},
            {"preset": "alb", "load_balancer": "app/x/1"},
            {"preset": "ecs", "cluster": "c", "service": "web"},
        ],
    }
)
SPECS = expand_metrics(CW_CONFIG.metrics)
STAMP = st.one_of(
    NUMBERS,
    TEXT,
    st.sampled_from(
        [
            dt.datetime(2026, 6, 17, 9, 59, tzinfo=dt.UTC),
            dt.datetime(2026, 6, 17, 9, 59),
            dt.datetime.max,
            dt.datetime.min,
            "2026-06-17T09:59:00Z",
            "9999-12-31T23:59:59+14:00",
            "0001-01-01T00:00:00",
        ]
    ),
)
CW_RESULTS = st.lists(
    st.one_of(
        st.fixed_dictionaries(
            {
                "Id": st.one_of(st.sampled_from([f"m{i}" for i in range(11)]), TEXT),
                "Timestamps": st.lists(STAMP, max_size=3),
                "Values": st.lists(NUMBERS, max_size=3),
            }
        ),
        st.dictionaries(st.sampled_from(["Id", "Timestamps", "Values"]), JSON),
    ),
    max_size=3,
)


@each_of(CW_RESULTS)
def test_cloudwatch_metric_data(results: list[Mapping[str, Any]]) -> None:
    in_range(parse_metric_data(results, SPECS, now=NOW, notes=[]), whole_counts=False)


# --------------------------------------------------------------------------- HTTP JSON sources

SEED_001 = json.loads((FIXTURES / "pipeline_performance_seed001.json").read_text())


def _shaped_like(value: Any) -> st.SearchStrategy[Any]:
    """Documents shaped like `value`, each leaf a hostile number or any JSON."""
    if isinstance(value, dict):
        return st.fixed_dictionaries({}, optional={k: _shaped_like(v) for k, v in value.items()})
    if isinstance(value, list):
        return st.lists(st.one_of(*(_shaped_like(v) for v in value[:2])), max_size=3)
    return st.one_of(NUMBERS, JSON)


ENDPOINT = JsonEndpointConfig.model_validate(
    {
        "name": "widget",
        "url": "http://127.0.0.1/",
        "series": {
            "w.count": {"path": "data.totalMessages", "unit": "count"},
            "w.pct": {"path": "data.stats.p95Latency", "unit": "%"},
            "w.ms": {"path": "data.distribution.0", "unit": "ms"},
            "w.bytes": {"path": "data.-1", "unit": "bytes"},
            "w.plain": "success",
        },
    }
)


@each_of(st.one_of(_shaped_like(SEED_001), JSON))
def test_pipeline_and_json_endpoint_documents(payload: Any) -> None:
    parsed = refused(lambda: parse_performance(payload, NOW), SourceError)
    in_range(parsed[0] if parsed else [])
    samples, _ = parse_paths(payload, ENDPOINT.series, NOW)
    in_range(samples)


# --------------------------------------------------------------------------- business hours


def walked(hours: WorkingHours, start: float, end: float) -> float:
    """Working seconds by walking day by day: the arithmetic before issue 13, as the reference."""
    if end <= start:
        return 0.0
    zone = zoneinfo.ZoneInfo(hours.timezone)
    day = dt.datetime.fromtimestamp(start, zone).date()
    last = dt.datetime.fromtimestamp(end, zone).date()
    total = 0.0
    while day <= last:
        if day.weekday() in hours.days:
            opens, closes = (
                dt.datetime.combine(
                    day, dt.time(minute // 60, minute % 60), tzinfo=zone
                ).timestamp()
                for minute in (hours.start_minute, hours.end_minute)
            )
            total += max(0.0, min(end, closes) - max(start, opens))
        day += dt.timedelta(days=1)
    return total


@each_of(
    st.sampled_from((*ZONES, "Africa/Casablanca")),
    st.sets(st.integers(0, 6), min_size=1),
    st.integers(0, 23 * 60),
    st.integers(1, 24 * 60),
    st.one_of(
        st.floats(631152000, 2208988800),  # 1990 .. 2040
        st.floats(-2840140800, -1577923200),  # 1880 .. 1920: zones leave local mean time
        st.floats(16725225600, 16977686400),  # 2500 .. 2508: the yearly rule, repeated
    ),
    st.floats(0, 40 * 86400),
)
def test_closed_form_business_hours_match_a_day_by_day_walk(
    zone: str, days: set[int], start_minute: int, length: int, start: float, span: float
) -> None:
    end_minute = min(start_minute + length, 24 * 60 - 1)
    if end_minute <= start_minute:
        end_minute = start_minute + 1
    hours = WorkingHours(zone, frozenset(days), start_minute, end_minute)
    assert hours.seconds_between(start, start + span) == pytest.approx(
        walked(hours, start, start + span), abs=1e-6
    )


SOME_HOURS = st.sampled_from(
    [
        WorkingHours(),
        WorkingHours("America/New_York", frozenset(range(5)), 9 * 60, 17 * 60),
        WorkingHours("Australia/Lord_Howe", frozenset({0, 2, 6}), 60, 23 * 60),
        WorkingHours("Europe/Berlin", frozenset(range(7)), 0, 24 * 60 - 1),
    ]
)


@each_of(SOME_HOURS, NUMBERS, NUMBERS)
def test_business_hours_take_any_two_times(hours: WorkingHours, start: Any, end: Any) -> None:
    """Issue 13: 1e12 raised `year 33658 is out of range`; 300 years walked day by day."""
    start, end = (float(v) if abs(v) < 10**300 else float("inf") for v in (start, end))
    waited = hours.seconds_between(start, end)
    assert finite(waited) and waited >= 0
