"""The pipeline timing source: seed 001's saved response, then a real local HTTP server."""

from __future__ import annotations

import copy
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from collectors.base import Sample, SourceError
from collectors.fakes.pipeline_api import PERFORMANCE_PATH, PipelineApi, PipelineApiState
from collectors.pipeline import PipelineCollector, PipelineConfig, parse_performance

FIXTURES = Path(__file__).parent / "fixtures"
SEED_001 = json.loads((FIXTURES / "pipeline_performance_seed001.json").read_text())
TS = 1_750_000_000.0
TOKEN = "pipeline-t0ken-9f8e"


def by_key(samples: list[Any]) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    return {
        (s.series, tuple(sorted(s.labels.items()))): s.value
        for s in samples
        if isinstance(s, Sample)
    }


def test_counts_and_latencies_out_of_range_cost_only_their_series() -> None:
    payload = copy.deepcopy(SEED_001)
    payload["data"]["distribution"]["over30s"] = -1
    payload["data"]["stats"]["p95Latency"] = -4800
    payload["data"]["completeMessages"] = 10**400
    samples, problems = parse_performance(payload, TS)
    found = by_key(samples)
    assert "pipeline.sla_pct" not in {series for series, _ in found}  # buckets incomplete
    assert ("pipeline.latency_summary_ms", (("stat", "p95"),)) not in found
    assert (
        found["pipeline.latency_summary_ms", (("stat", "p99"),)]
        == SEED_001["data"]["stats"]["p99Latency"]
    )
    assert "distribution.over30s: -1 is not a count (negative)" in problems
    assert "stats.p95Latency: -4800 is negative" in problems
    assert "messages: no number for completeMessages" in problems


def test_seed_001_example_response() -> None:
    samples, problems = parse_performance(SEED_001, TS)
    found = by_key(samples)
    assert problems == []
    buckets = {
        labels[0][1]: v
        for (series, labels), v in found.items()
        if series.endswith("bucket_messages")
    }
    assert buckets == {"<1s": 80, "<2s": 35, "<5s": 20, "5-10s": 10, "10-30s": 4, ">30s": 1}
    # Disjoint buckets: (80 + 35 + 20) of 150 are under 5 s.
    assert found["pipeline.sla_pct", ()] == 90.0
    assert found["pipeline.latency_summary_ms", (("stat", "p95"),)] == 4800
    assert found["pipeline.latency_summary_ms", (("stat", "max"),)] == 35000
    assert found["pipeline.phase_ms", (("phase", "queue_to_worker"),)] == 250
    assert found["pipeline.phase_ms", (("phase", "worker_to_chatwoot"),)] == 400
    assert found["pipeline.messages", (("kind", "complete"),)] == 142
    assert found["pipeline.messages", (("kind", "partial"),)] == 8
    assert found["pipeline.complete_pct", ()] == pytest.approx(94.667, abs=0.001)
    assert found["pipeline.timing_enabled", ()] == 1.0
    assert {s.ts for s in samples} == {TS}
    units = {s.series: s.unit for s in samples}
    assert units["pipeline.sla_pct"] == "%" and units["pipeline.phase_ms"] == "ms"


def test_a_missing_part_costs_only_its_series() -> None:
    payload = copy.deepcopy(SEED_001)
    del payload["data"]["stats"]
    payload["data"]["phaseBreakdown"]["workerProcessing"] = None
    samples, problems = parse_performance(payload, TS)
    found = by_key(samples)
    assert not any(series == "pipeline.latency_summary_ms" for series, _ in found)
    assert ("pipeline.phase_ms", (("phase", "worker_processing"),)) not in found
    assert found["pipeline.phase_ms", (("phase", "queue_to_worker"),)] == 250
    assert found["pipeline.sla_pct", ()] == 90.0
    assert problems == ["stats: missing", "phaseBreakdown: no number for workerProcessing"]


def test_an_empty_window_and_switched_off_timing_are_explained() -> None:
    payload = copy.deepcopy(SEED_001)
    payload["data"]["distribution"] = dict.fromkeys(payload["data"]["distribution"], 0)
    payload["data"]["systemInfo"]["enabled"] = False
    samples, problems = parse_performance(payload, TS)
    found = by_key(samples)
    assert ("pipeline.sla_pct", ()) not in found
    assert found["pipeline.timing_enabled", ()] == 0.0
    assert "pipeline.sla_pct: no messages in the sample window" in problems
    assert "timing is switched off upstream (ENABLE_SLA_TIMING)" in problems
    assert "distribution adds up to 0, totalMessages says 150" in problems


@pytest.mark.parametrize(
    ("payload", "words"),
    [
        ({"success": False, "error": "Redis\nunavailable"}, "success: false (Redis unavailable)"),
        ({"success": True}, "no 'data' object"),
        ([1, 2], "not a JSON object"),
    ],
)
def test_a_response_without_data_is_a_source_error(payload: Any, words: str) -> None:
    with pytest.raises(SourceError, match=words.replace("(", r"\(").replace(")", r"\)")):
        parse_performance(payload, TS)


# --------------------------------------------------------------------------- real server


@pytest.fixture
async def api() -> AsyncIterator[PipelineApi]:
    async with PipelineApi(
        PipelineApiState(required_headers={"authorization": f"Bearer {TOKEN}"})
    ) as running:
        yield running


def collector_for(api: PipelineApi, **options: Any) -> PipelineCollector:
    config = PipelineConfig.model_validate(
        {
            "name": "pipeline",
            "url": api.url + PERFORMANCE_PATH,
            "headers": {"Authorization": f"Bearer {TOKEN}"},
            **options,
        }
    )
    return PipelineCollector(config, clock=lambda: TS)


async def test_polls_the_endpoint_and_follows_an_incident(api: PipelineApi) -> None:
    collector = collector_for(api)
    try:
        calm = by_key(await collector.collect())
        api.state.apply_levels(1.0, 1.0, 1.0)
        incident = by_key(await collector.collect())
    finally:
        await collector.aclose()
    assert calm["pipeline.sla_pct", ()] >= 95.0
    assert incident["pipeline.sla_pct", ()] < 95.0
    assert incident["pipeline.phase_ms", (("phase", "queue_to_worker"),)] == 4250
    assert incident["pipeline.messages", (("kind", "partial"),)] > 40
    assert collector.notes is None
    assert api.requests == 2  # one GET per poll over a kept-alive connection


@pytest.mark.parametrize(
    ("fault", "words"),
    [
        ("html", "got an HTML page from http://127.0.0.1:"),
        ("proxy_502", "HTTP 502 Bad Gateway from http://127.0.0.1:"),
        ("not_json", "is not JSON (application/json): Expecting value at line 1 column 1"),
        ("http_500", "HTTP 500 Internal Server Error"),
        ("success_false", "the endpoint answered success: false (Redis unavailable)"),
        ("drop", "closed the connection without a full answer"),
    ],
)
async def test_each_fault_is_one_line_and_the_source_recovers(
    api: PipelineApi, fault: str, words: str
) -> None:
    collector = collector_for(api)
    try:
        api.state.fault = fault  # type: ignore[assignment]
        with pytest.raises(SourceError) as failed:
            await collector.collect()
        message = str(failed.value)
        assert words in message
        assert "\n" not in message and TOKEN not in message
        api.state.fault = None
        assert await collector.collect()
    finally:
        await collector.aclose()


async def test_a_missing_token_waits_long_and_a_slow_endpoint_times_out(api: PipelineApi) -> None:
    no_token = collector_for(api, headers={})
    slow = collector_for(api, timeout="300ms")
    try:
        with pytest.raises(SourceError, match="HTTP 401 Unauthorized") as refused:
            await no_token.collect()
        assert refused.value.retry_after is not None and refused.value.retry_after >= 300
        api.state.fault = "slow"
        with pytest.raises(
            SourceError,
            match=r"no answer from http://127\.0\.0\.1:\d+/api/admin/\S+ \(read timeout\)",
        ):
            await slow.collect()
    finally:
        await no_token.aclose()
        await slow.aclose()


async def test_a_missing_part_is_a_note_while_the_rest_is_stored(api: PipelineApi) -> None:
    api.state.omit = {"phaseBreakdown"}
    collector = collector_for(api)
    try:
        found = by_key(await collector.collect())
    finally:
        await collector.aclose()
    assert found["pipeline.sla_pct", ()] >= 95.0
    assert not any(series == "pipeline.phase_ms" for series, _ in found)
    assert collector.notes == "phaseBreakdown: missing"
