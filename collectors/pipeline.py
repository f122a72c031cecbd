"""The message pipeline's timing endpoint (seed 001's `/api/admin/performance-analysis`).

The endpoint summarises the last hour of messages: how many fell in each SLA
bucket, latency statistics, the average time of each phase, and how many
messages have complete timing. It returns aggregates, not one latency per
message, so this source writes the buckets and statistics as they are.

Sample config:

```yaml
sources:
  - type: pipeline
    name: pipeline-prod
    url: https://app.example.com/api/admin/performance-analysis
    interval: 30s
    headers:                       # values are secrets: write them as ${NAME}
      Authorization: Bearer ${PIPELINE_TOKEN}
```

Contract:

* One GET per poll, through `collectors.json_endpoint.JsonFetcher` (one
  long-lived httpx client, redirects not followed, HTML and non-JSON bodies
  are a `SourceError`); `success: false` or no `data` object is a
  `SourceError` too.
* The six `distribution` counts are disjoint buckets (seed 001's example adds
  up to `totalMessages`: 80 + 35 + 20 + 10 + 4 + 1 = 150), so SLA compliance
  is `(under1s + under2s + under5s) / all six`, in percent; the target is
  at least 95 %.
* A part missing from the response (stats, phases, the distribution) gives
  its series no sample and a one-line reason in the source's note; the rest
  is stored. So does a figure out of range (`collectors.fields`): a bucket or
  message count that is negative or fractional, a negative latency.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar, Final, Literal

from collectors.base import Duration, Sample, SourceConfig, SourceError
from collectors.json_endpoint import HttpJsonConfig, JsonDocumentCollector, as_number, in_range

__all__ = ["COLLECTOR", "PipelineCollector", "PipelineConfig", "parse_performance"]

SLA_TARGET_PCT: Final = 95.0
"""Seed 001: at least 95 % of messages under 5 s."""

BUCKETS: Final[Mapping[str, str]] = {
    "under1s": "<1s",
    "under2s": "<2s",
    "under5s": "<5s",
    "over5s": "5-10s",
    "over10s": "10-30s",
    "over30s": ">30s",
}
"""Seed 001's distribution keys to the bucket labels the screens use."""
_UNDER_5S: Final = ("under1s", "under2s", "under5s")

STATS: Final[Mapping[str, str]] = {
    "meanLatency": "mean",
    "medianLatency": "median",
    "p95Latency": "p95",
    "p99Latency": "p99",
    "minLatency": "min",
    "maxLatency": "max",
}
PHASES: Final[Mapping[str, str]] = {
    "queueToWorker": "queue_to_worker",
    "workerProcessing": "worker_processing",
    "workerToChatwoot": "worker_to_chatwoot",
}


class PipelineConfig(HttpJsonConfig):
    """Seed 001's performance-analysis endpoint of the message pipeline."""

    series_prefixes: ClassVar[tuple[str, ...]] = ("pipeline.",)
    type: Literal["pipeline"] = "pipeline"
    interval: Duration = 30.0


def _section(data: Mapping[str, Any], key: str, problems: list[str]) -> Mapping[str, Any] | None:
    section = data.get(key)
    if isinstance(section, dict):
        return section
    problems.append(f"{key}: {'missing' if section is None else 'not an object'}")
    return None


def _numbers(
    section: Mapping[str, Any],
    names: Mapping[str, str],
    what: str,
    problems: list[str],
    unit: str,
) -> dict[str, float]:
    found: dict[str, float] = {}
    absent: list[str] = []
    for key, label in names.items():
        raw = section.get(key)
        value = as_number(raw)
        if value is None or isinstance(raw, bool):
            absent.append(key)
            continue
        original = raw if isinstance(raw, int | float) else value  # notes quote what was sent
        checked = in_range(original, unit, f"{what}.{key}", problems)
        if checked is not None:
            found[label] = checked
    if absent:
        problems.append(f"{what}: no number for {', '.join(absent)}")
    return found


def parse_performance(payload: Any, ts: float) -> tuple[list[Sample], list[str]]:
    """Turn a performance-analysis response into samples.

    Returns:
        The samples, and one reason per part of the response that gave none.

    Raises:
        SourceError: `success` is false, or there is no `data` object.
    """
    if not isinstance(payload, dict):
        raise SourceError("the response is not a JSON object (is this the performance endpoint?)")
    if payload.get("success") is False:
        error = payload.get("error") or payload.get("message")
        detail = " ".join(str(error).split())[:80] if error else "no reason given"
        raise SourceError(f"the endpoint answered success: false ({detail})")
    data = payload.get("data")
    if not isinstance(data, dict):
        raise SourceError("no 'data' object in the response (is this the performance endpoint?)")

    samples: list[Sample] = []
    problems: list[str] = []

    def add(series: str, value: float, unit: str, **labels: str) -> None:
        samples.append(Sample(series, value, ts, labels, unit))

    distribution = _section(data, "distribution", problems)
    if distribution is not None:
        counts = _numbers(distribution, BUCKETS, "distribution", problems, "count")
        for label, count in counts.items():
            add("pipeline.bucket_messages", count, "count", bucket=label)
        if len(counts) == len(BUCKETS):
            total = sum(counts.values())
            if total > 0:
                under = sum(counts[BUCKETS[key]] for key in _UNDER_5S)
                add("pipeline.sla_pct", 100.0 * under / total, "%")
            else:
                problems.append("pipeline.sla_pct: no messages in the sample window")
            stated = as_number(data.get("totalMessages"))
            if stated is not None and stated != total:
                problems.append(f"distribution adds up to {total:g}, totalMessages says {stated:g}")

    stats = _section(data, "stats", problems)
    if stats is not None:
        for label, value in _numbers(stats, STATS, "stats", problems, "ms").items():
            add("pipeline.latency_summary_ms", value, "ms", stat=label)

    phases = _section(data, "phaseBreakdown", problems)
    if phases is not None:
        for label, value in _numbers(phases, PHASES, "phaseBreakdown", problems, "ms").items():
            add("pipeline.phase_ms", value, "ms", phase=label)

    kinds = _numbers(
        data,
        {"completeMessages": "complete", "partialMessages": "partial"},
        "messages",
        problems,
        "count",
    )
    for label, count in kinds.items():
        add("pipeline.messages", count, "count", kind=label)
    if len(kinds) == 2 and kinds["complete"] + kinds["partial"] > 0:
        share = 100.0 * kinds["complete"] / (kinds["complete"] + kinds["partial"])
        add("pipeline.complete_pct", share, "%")

    system = data.get("systemInfo")
    enabled = system.get("enabled") if isinstance(system, dict) else None
    if isinstance(enabled, bool):
        add("pipeline.timing_enabled", 1.0 if enabled else 0.0, "")
        if not enabled:
            problems.append("timing is switched off upstream (ENABLE_SLA_TIMING)")
    return samples, problems


class PipelineCollector(JsonDocumentCollector[PipelineConfig]):
    """Reads seed 001's performance-analysis endpoint."""

    config_model: ClassVar[type[SourceConfig]] = PipelineConfig
    problem_noun: ClassVar[str | None] = None

    def parse(self, payload: Any, now: float) -> tuple[list[Sample], list[str]]:
        """The endpoint's summary as samples."""
        return parse_performance(payload, now)

    def nothing_usable(self, problems: list[str]) -> str:
        """No known key in the response."""
        first = problems[0] if problems else "no known keys"
        return f"nothing usable in the response from {self._fetcher.where}: {first}"


COLLECTOR = PipelineCollector
"""The registry entry of this source."""
