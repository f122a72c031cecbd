"""`/metrics` families read from the store: names, units, histograms, sources, alerts."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from collectors.alerts.book import AlertBook
from collectors.alerts.engine import AlertEngine
from collectors.alerts.rules import effective_rules
from collectors.base import SOURCE_UP, Sample, SourceState, SourceStatus
from collectors.metrics import metric_name, read_families
from collectors.store.database import SourceBatch, Store

T0 = 1_800_000_000.0
"""The collector's start (`origin`) in these tests."""

Scraped = dict[tuple[str, frozenset[tuple[str, str]]], float]


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[Store]:
    opened = await Store.open(tmp_path / "w.db", clock=lambda: T0 + 60)
    yield opened
    await opened.close()


async def _scrape(store: Store, book: AlertBook | None = None) -> Scraped:
    families = await read_families(store, book, origin=T0, now=T0 + 60)
    return {(s.name, frozenset(s.labels.items())): s.value for f in families for s in f.samples}


def _poll(source: str, ts: float, *samples: Sample, up: bool = True) -> SourceBatch:
    state = SourceState.OK if up else SourceState.STALE
    status = SourceStatus(
        source,
        state,
        ts + 0.25,
        ts + 0.25 if up else None,
        None if up else "timeout",
        0 if up else 1,
    )
    return SourceBatch(source, [*samples, Sample(SOURCE_UP, 1.0 if up else 0.0, ts)], status)


def test_names_follow_prometheus_conventions() -> None:
    assert metric_name("pipeline.latency_ms", "ms").name == "wootwatch_pipeline_latency_seconds"
    assert metric_name("chatwoot.sla.compliance_pct", "%").name == (
        "wootwatch_chatwoot_sla_compliance_ratio"
    )
    assert metric_name("aws.sqs.oldest_age_s", "s").name == "wootwatch_aws_sqs_oldest_age_seconds"
    assert metric_name("aws.rds.freeable_memory_bytes", "bytes").name == (
        "wootwatch_aws_rds_freeable_memory_bytes"
    )
    assert metric_name("sidekiq.queue.size", "count").name == "wootwatch_sidekiq_queue_size"


async def test_gauges_hold_the_latest_value_in_the_base_unit(store: Store) -> None:
    await store.write(
        [
            _poll(
                "sidekiq",
                T0 + 10,
                Sample("sidekiq.queue.size", 3, T0 + 10, {"queue": "default"}),
                Sample("sidekiq.queue.size", 9, T0 + 10, {"queue": "mailers"}),
            ),
            _poll(
                "sidekiq", T0 + 20, Sample("sidekiq.queue.size", 7, T0 + 20, {"queue": "default"})
            ),
            _poll("chatwoot", T0 + 20, Sample("chatwoot.sla.compliance_pct", 84.0, T0 + 20)),
            # a series no catalogue entry describes (a json_endpoint's) still appears
            _poll("shop", T0 + 20, Sample("shop.checkout.latency_ms", 250.0, T0 + 20, {}, "ms")),
        ]
    )
    scraped = await _scrape(store)
    queue = "wootwatch_sidekiq_queue_size"
    assert scraped[(queue, frozenset({("source", "sidekiq"), ("queue", "default")}))] == 7
    assert scraped[(queue, frozenset({("source", "sidekiq"), ("queue", "mailers")}))] == 9
    sla = ("wootwatch_chatwoot_sla_compliance_ratio", frozenset({("source", "chatwoot")}))
    assert scraped[sla] == pytest.approx(0.84)
    shop = ("wootwatch_shop_checkout_latency_seconds", frozenset({("source", "shop")}))
    assert scraped[shop] == pytest.approx(0.25)


async def test_latency_is_a_histogram_of_the_samples_since_the_start(store: Store) -> None:
    before = Sample("pipeline.latency_ms", 500.0, T0 - 30)  # before this collector started
    values = (700.0, 1500.0, 6000.0, 40_000.0)
    after = [Sample("pipeline.latency_ms", v, T0 + 10 + i) for i, v in enumerate(values)]
    await store.write([_poll("pipeline", T0 - 30, before), _poll("pipeline", T0 + 10, *after)])
    scraped = await _scrape(store)
    source = ("source", "pipeline")

    def bucket(le: str) -> float:
        return scraped[
            ("wootwatch_pipeline_latency_seconds_bucket", frozenset({source, ("le", le)}))
        ]

    assert [bucket(le) for le in ("1", "2", "5", "10", "30", "+Inf")] == pytest.approx(
        [1, 2, 2, 3, 3, 4], abs=0.05
    )
    assert scraped[("wootwatch_pipeline_latency_seconds_count", frozenset({source}))] == 4
    assert scraped[("wootwatch_pipeline_latency_seconds_sum", frozenset({source}))] == (
        pytest.approx(48.2)
    )


async def test_each_source_says_up_last_poll_and_failures(store: Store) -> None:
    await store.write([_poll("chatwoot", T0 + 10), _poll("chatwoot", T0 + 40, up=False)])
    scraped = await _scrape(store)
    chatwoot = frozenset({("source", "chatwoot")})
    assert scraped[("wootwatch_source_up", chatwoot)] == 0
    assert scraped[("wootwatch_source_last_poll_timestamp_seconds", chatwoot)] == T0 + 40.25
    assert scraped[("wootwatch_source_poll_duration_seconds", chatwoot)] == pytest.approx(0.25)
    assert scraped[("wootwatch_source_polls_total", chatwoot)] == 2
    assert scraped[("wootwatch_source_poll_failures_total", chatwoot)] == 1
    assert scraped[("wootwatch_source_consecutive_failures", chatwoot)] == 1


async def test_a_firing_alert_is_one(store: Store) -> None:
    rules = [r for r in effective_rules() if r.name == "chatwoot_sla_compliance_low"]
    book = await AlertBook.open(store.path)
    engine = AlertEngine(rules, store, book, clock=lambda: T0 + 20)
    try:
        batch = _poll("chatwoot", T0 + 20, Sample("chatwoot.sla.compliance_pct", 80.0, T0 + 20))
        await store.write([batch])
        await engine.after_write([batch])
        scraped = await _scrape(store, book)
    finally:
        await engine.aclose()
    labels = {
        ("rule", "chatwoot_sla_compliance_low"),
        ("severity", "critical"),
        ("source", "chatwoot"),
    }
    assert scraped[("wootwatch_alert_firing", frozenset(labels))] == 1
