"""CloudWatch metrics: every configured metric of a region in one GetMetricData call per poll.

Contract:

* One poll is one GetMetricData call (500 queries per call at most, more
  calls beyond that, each paged by `NextToken`) over whole minutes: from
  `backfill` ago on the first poll, then the last `reread` minutes, because
  AWS namespaces publish one to three minutes late and re-aggregate. Every
  point comes back as a `collectors.base.Revision`, so a re-read minute
  replaces what was stored for it instead of duplicating it.
* Presets spell out seed 002's metrics; a metric AWS publishes under a known
  (namespace, name) gets the series name, unit and labels of the table in
  README ("cloudwatch"), whether it came from a preset or was written out.
* Cost guard: GetMetricData costs per metric requested (about $0.01 per
  1,000). The collector counts the metrics it requested in the last hour,
  shows the estimated cost in its note, and when `budget_usd_per_month`
  would be exceeded at the configured interval it skips polls (no AWS call)
  until the slower pace fits the budget, and says so.
* A datapoint that is not a finite number within ±2**53, is negative, is a
  percentage past 100 (except ECS's, of a reservation a task may burst past), or is
  timestamped outside 2000 .. now + clock skew (`collectors.fields`) is
  dropped with a note. A metric without any datapoint in the window read is
  named in the note, never stored as 0; when no metric has one the source
  shows "no data" (`collectors.base.no_data_note`).
* Throttling, expired or missing credentials and an unreachable endpoint
  raise `AwsError` (see `collectors.aws`), so the source shows stale/down
  with the reason; throttling waits longer each time in a row.

Sample config:

```yaml
sources:
  - type: cloudwatch
    name: aws-prod
    region: us-east-1
    profile: chatscomm          # optional; else the default credential chain
    endpoint_url: null          # optional, for LocalStack or moto
    interval: 60s
    reread: 5m                  # re-read this much each poll (late datapoints)
    backfill: 1h                # history read on the first poll
    budget_usd_per_month: 20    # optional: poll slower rather than spend more
    metrics:
      - {namespace: AWS/ECS, metric: CPUUtilization, stat: Average,
         dimensions: {ClusterName: chatscomm-ecs-cluster-prod,
                      ServiceName: chatscomm-chatwoot-prod-web-service}}
      - {preset: ecs, cluster: chatscomm-ecs-cluster-prod,
         service: chatscomm-chatwoot-prod-worker}
      - {preset: rds, db_instance: chatscomm-db-prod}
      - {preset: sqs, queue: chatwoot-events}
      - {preset: alb, load_balancer: app/chatscomm-prod/0123456789abcdef}
```

One unit over 500 lines: one file per source (the design card's rule); the
presets, the query builder, the cost guard and the collector are one source.
"""

from __future__ import annotations

import math
import re
from collections import deque
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any, ClassVar, Final, Literal

from pydantic import BaseModel, ConfigDict, Discriminator, Field, Tag, field_validator

from collectors import fields
from collectors.aws import AwsCollector, AwsSourceConfig
from collectors.base import (
    Duration,
    Record,
    Revision,
    SourceConfig,
    format_duration,
    no_data_note,
)

__all__ = [
    "COLLECTOR",
    "CloudWatchCollector",
    "CloudWatchConfig",
    "CostMeter",
    "MetricSpec",
    "build_queries",
    "expand_metrics",
    "parse_metric_data",
]

MAX_QUERIES_PER_CALL: Final = 500
"""GetMetricData's limit of queries in one request."""
_MAY_EXCEED_100: Final = frozenset({"aws.ecs.cpu_pct", "aws.ecs.memory_pct"})
"""Percentages of a reservation, which a bursting task passes; the others stop at 100."""
_HOURS_PER_MONTH: Final = 730.0


# --------------------------------------------------------------------------- config


class _Entry(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class MetricEntry(_Entry):
    """One metric written out: namespace, name, statistic and dimensions."""

    namespace: str = Field(min_length=1)
    """CloudWatch namespace, e.g. `AWS/ECS`."""
    metric: str = Field(min_length=1)
    """Metric name, e.g. `CPUUtilization`."""
    stat: str = "Average"
    """Statistic: `Average`, `Sum`, `Minimum`, `Maximum`, `SampleCount` or `p95`-style."""
    dimensions: dict[str, str] = Field(default_factory=dict)
    """Dimension name to value; all of them, as CloudWatch stores the metric."""
    period: Duration = 60.0
    """Datapoint period: a whole number of minutes."""
    series: str | None = Field(default=None, pattern=r"^[a-z0-9_]+(\.[a-z0-9_]+)+$")
    """Series name to store it under; default from the known-metric table or `aws.<ns>.<metric>`."""

    @field_validator("period")
    @classmethod
    def _whole_minutes(cls, value: float) -> float:
        if value % 60:
            raise ValueError("period must be a whole number of minutes, like 1m or 5m")
        return value


class EcsPreset(_Entry):
    """ECS CPUUtilization and MemoryUtilization of one service."""

    preset: Literal["ecs"]
    """Preset name."""
    cluster: str = Field(min_length=1)
    """ClusterName, e.g. `chatscomm-ecs-cluster-prod`."""
    service: str = Field(min_length=1)
    """ServiceName, e.g. `chatscomm-chatwoot-prod-web-service`."""


class RdsPreset(_Entry):
    """RDS CPU, connections, read/write latency and freeable memory of one instance."""

    preset: Literal["rds"]
    """Preset name."""
    db_instance: str = Field(min_length=1)
    """DBInstanceIdentifier, e.g. `chatscomm-db-prod`."""


class SqsPreset(_Entry):
    """SQS ApproximateAgeOfOldestMessage of one queue."""

    preset: Literal["sqs"]
    """Preset name."""
    queue: str = Field(min_length=1)
    """QueueName."""


class AlbPreset(_Entry):
    """ALB TargetResponseTime (average) and HTTPCode_Target_5XX_Count (sum)."""

    preset: Literal["alb"]
    """Preset name."""
    load_balancer: str = Field(min_length=1)
    """LoadBalancer dimension: `app/<name>/<id>`."""


def _entry_kind(value: object) -> str:
    if isinstance(value, Mapping):
        return str(value.get("preset", "metric"))
    return str(getattr(value, "preset", "metric"))


MetricConfig = Annotated[
    Annotated[MetricEntry, Tag("metric")]
    | Annotated[EcsPreset, Tag("ecs")]
    | Annotated[RdsPreset, Tag("rds")]
    | Annotated[SqsPreset, Tag("sqs")]
    | Annotated[AlbPreset, Tag("alb")],
    Discriminator(_entry_kind),
]
"""One entry of `metrics`: a preset (`preset: ecs|rds|sqs|alb`) or a metric written out."""


class CloudWatchConfig(AwsSourceConfig):
    """CloudWatch metrics of one region, read with GetMetricData."""

    type: Literal["cloudwatch"] = "cloudwatch"
    interval: Duration = 60.0
    metrics: list[MetricConfig] = Field(min_length=1)
    """Metrics to read: presets or metrics written out."""
    reread: Duration = Field(default=300.0, ge=60.0, le=3600.0)
    """Each poll reads this far back again, replacing stored points (late datapoints)."""
    backfill: Duration = Field(default=3600.0, ge=60.0, le=86400.0)
    """History read on the first poll."""
    series_prefixes: ClassVar[tuple[str, ...]] = ("aws.",)

    def writes(self, series: str) -> bool:
        """Whether this source writes `series`: an `aws.` series or one a metric names."""
        named = {m.series for m in self.metrics if isinstance(m, MetricEntry)}
        return super().writes(series) or series in named

    budget_usd_per_month: float | None = Field(default=None, gt=0)
    """Poll slower rather than let GetMetricData cost more than this (USD per month)."""
    price_per_1000_metrics: float = Field(default=0.01, ge=0)
    """GetMetricData price per 1,000 metrics requested (USD), for the estimate."""


# --------------------------------------------------------------------------- metrics


@dataclass(frozen=True, slots=True)
class _Known:
    series: str
    unit: str
    scale: float
    labels: Mapping[str, str]
    """Dimension name to label name."""


_KNOWN: Final[Mapping[tuple[str, str], _Known]] = {
    ("AWS/ECS", "CPUUtilization"): _Known("aws.ecs.cpu_pct", "%", 1.0, {"ServiceName": "service"}),
    ("AWS/ECS", "MemoryUtilization"): _Known(
        "aws.ecs.memory_pct", "%", 1.0, {"ServiceName": "service"}
    ),
    ("AWS/RDS", "CPUUtilization"): _Known(
        "aws.rds.cpu_pct", "%", 1.0, {"DBInstanceIdentifier": "db"}
    ),
    ("AWS/RDS", "DatabaseConnections"): _Known(
        "aws.rds.connections", "count", 1.0, {"DBInstanceIdentifier": "db"}
    ),
    ("AWS/RDS", "ReadLatency"): _Known(
        "aws.rds.read_latency_ms", "ms", 1000.0, {"DBInstanceIdentifier": "db"}
    ),
    ("AWS/RDS", "WriteLatency"): _Known(
        "aws.rds.write_latency_ms", "ms", 1000.0, {"DBInstanceIdentifier": "db"}
    ),
    ("AWS/RDS", "FreeableMemory"): _Known(
        "aws.rds.freeable_memory_bytes", "bytes", 1.0, {"DBInstanceIdentifier": "db"}
    ),
    ("AWS/SQS", "ApproximateAgeOfOldestMessage"): _Known(
        "aws.sqs.oldest_age_s", "s", 1.0, {"QueueName": "queue"}
    ),
    ("AWS/ApplicationELB", "TargetResponseTime"): _Known(
        "aws.alb.target_response_time_ms", "ms", 1000.0, {"LoadBalancer": "lb"}
    ),
    ("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count"): _Known(
        "aws.alb.target_5xx", "count", 1.0, {"LoadBalancer": "lb"}
    ),
}


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One GetMetricData query and where its points are stored."""

    namespace: str
    metric: str
    stat: str
    dimensions: Mapping[str, str]
    period: int
    series: str
    labels: Mapping[str, str]
    unit: str
    scale: float


def _snake(name: str) -> str:
    words = re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name)
    return re.sub(r"[^a-z0-9]+", "_", words.lower()).strip("_") or "metric"


def _spec(
    namespace: str,
    metric: str,
    stat: str,
    dimensions: Mapping[str, str],
    period: int = 60,
    series: str | None = None,
) -> MetricSpec:
    known = _KNOWN.get((namespace, metric))
    if known is not None:
        labels = {
            label: dimensions[dim] for dim, label in known.labels.items() if dim in dimensions
        }
        return MetricSpec(
            namespace,
            metric,
            stat,
            dict(dimensions),
            period,
            series or known.series,
            labels,
            known.unit,
            known.scale,
        )
    default = f"aws.{_snake(namespace.removeprefix('AWS/'))}.{_snake(metric)}"
    labels = {_snake(k): v for k, v in dimensions.items()}
    return MetricSpec(
        namespace, metric, stat, dict(dimensions), period, series or default, labels, "", 1.0
    )


def expand_metrics(entries: Iterable[BaseModel]) -> list[MetricSpec]:
    """Turn config entries (presets and written-out metrics) into one query spec each."""
    specs: list[MetricSpec] = []
    for entry in entries:
        if isinstance(entry, MetricEntry):
            specs.append(
                _spec(
                    entry.namespace,
                    entry.metric,
                    entry.stat,
                    entry.dimensions,
                    int(entry.period),
                    entry.series,
                )
            )
        elif isinstance(entry, EcsPreset):
            dims = {"ClusterName": entry.cluster, "ServiceName": entry.service}
            specs += [
                _spec("AWS/ECS", m, "Average", dims)
                for m in ("CPUUtilization", "MemoryUtilization")
            ]
        elif isinstance(entry, RdsPreset):
            dims = {"DBInstanceIdentifier": entry.db_instance}
            names = (
                "CPUUtilization",
                "DatabaseConnections",
                "ReadLatency",
                "WriteLatency",
                "FreeableMemory",
            )
            specs += [_spec("AWS/RDS", m, "Average", dims) for m in names]
        elif isinstance(entry, SqsPreset):
            dims = {"QueueName": entry.queue}
            specs.append(_spec("AWS/SQS", "ApproximateAgeOfOldestMessage", "Maximum", dims))
        elif isinstance(entry, AlbPreset):
            dims = {"LoadBalancer": entry.load_balancer}
            specs.append(_spec("AWS/ApplicationELB", "TargetResponseTime", "Average", dims))
            specs.append(_spec("AWS/ApplicationELB", "HTTPCode_Target_5XX_Count", "Sum", dims))
    return specs


def build_queries(specs: Sequence[MetricSpec]) -> list[dict[str, Any]]:
    """GetMetricData `MetricDataQueries` for the specs; query `m<i>` is `specs[i]`."""
    return [
        {
            "Id": f"m{index}",
            "MetricStat": {
                "Metric": {
                    "Namespace": spec.namespace,
                    "MetricName": spec.metric,
                    "Dimensions": [{"Name": k, "Value": v} for k, v in spec.dimensions.items()],
                },
                "Period": spec.period,
                "Stat": spec.stat,
            },
            "ReturnData": True,
        }
        for index, spec in enumerate(specs)
    ]


def _epoch(value: object) -> object:
    """Unix seconds of a datetime or ISO 8601 text; anything else as given, for `fields`."""
    try:
        if isinstance(value, datetime):
            return (value if value.tzinfo else value.replace(tzinfo=UTC)).timestamp()
        if isinstance(value, str):
            return datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp()
    except (ValueError, OverflowError):
        pass
    return value


def _label(spec: MetricSpec) -> str:
    labels = ",".join(f"{k}={v}" for k, v in sorted(spec.labels.items()))
    return f"{spec.series}{{{labels}}}" if labels else spec.series


def parse_metric_data(
    results: Iterable[Mapping[str, Any]],
    specs: Sequence[MetricSpec],
    *,
    now: float = math.inf,
    notes: list[str] | None = None,
) -> list[Revision]:
    """Points of GetMetricData `MetricDataResults` as revisions of their series.

    Args:
        results: the `MetricDataResults` of one or more pages (timestamps as
            datetimes, epoch seconds or ISO 8601 text).
        specs: the specs the queries were built from (`m<i>` is `specs[i]`).
        now: our clock: a datapoint timestamped later than the clock skew allows is dropped.
        notes: where a dropped datapoint's reason goes, and the metrics without any.
    """
    notes = notes if notes is not None else []
    points: list[Revision] = []
    answered: set[int] = set()
    for result in results:
        ident = str(result.get("Id", ""))
        if not ident.startswith("m") or not ident[1:].isdigit() or int(ident[1:]) >= len(specs):
            continue
        spec = specs[int(ident[1:])]
        where = _label(spec)
        stamps, values = result.get("Timestamps"), result.get("Values")
        if not isinstance(stamps, list | tuple) or not isinstance(values, list | tuple):
            continue
        for stamp, value in zip(stamps, values, strict=False):
            number = fields.number(value, where, notes)
            if number is not None:
                check = (
                    fields.percent
                    if spec.unit == "%" and spec.series not in _MAY_EXCEED_100
                    else fields.non_negative  # no metric read here is below 0
                )
                number = check(value if spec.scale == 1 else number * spec.scale, where, notes)
            ts = fields.timestamp(_epoch(stamp), f"{where} timestamp", notes, now=now)
            if number is not None and ts is not None:
                answered.add(int(ident[1:]))
                points.append(Revision(spec.series, number, ts, spec.labels, spec.unit))
    silent = [_label(spec) for index, spec in enumerate(specs) if index not in answered]
    if silent:
        shown = ", ".join(silent[:3]) + (f" and {len(silent) - 3} more" if len(silent) > 3 else "")
        notes.append(f"no datapoints for {shown}")
    return points


# --------------------------------------------------------------------------- cost


class CostMeter:
    """Metrics requested over the last hour, and what that costs.

    Args:
        price_per_1000: USD per 1,000 metrics requested.
    """

    def __init__(self, price_per_1000: float) -> None:
        self._price = price_per_1000
        self._calls: deque[tuple[float, int]] = deque()

    def record(self, now: float, metrics: int) -> None:
        """Count `metrics` requested at `now`."""
        self._calls.append((now, metrics))

    def per_hour(self, now: float) -> int:
        """Metrics requested in the hour before `now`."""
        while self._calls and self._calls[0][0] <= now - 3600:
            self._calls.popleft()
        return sum(count for _, count in self._calls)

    def usd(self, metrics: float) -> float:
        """What `metrics` requested cost."""
        return metrics * self._price / 1000

    def min_interval(self, metrics_per_poll: int, budget_per_month: float | None) -> float:
        """The shortest poll interval that keeps a month within the budget (0 if none)."""
        if budget_per_month is None or self._price <= 0:
            return 0.0
        allowed_per_hour = budget_per_month / _HOURS_PER_MONTH / (self._price / 1000)
        return metrics_per_poll * 3600 / allowed_per_hour if allowed_per_hour > 0 else math.inf


# --------------------------------------------------------------------------- collector


class CloudWatchCollector(AwsCollector[CloudWatchConfig]):
    """Reads the configured metrics of one region with GetMetricData."""

    config_model: ClassVar[type[SourceConfig]] = CloudWatchConfig
    service: ClassVar[str] = "cloudwatch"

    def _prepare(self) -> None:
        self._specs = expand_metrics(self._config.metrics)
        self._queries = build_queries(self._specs)
        self._meter = CostMeter(self._config.price_per_1000_metrics)
        self._read_until: float | None = None
        self._last_call: float | None = None

    @property
    def specs(self) -> Sequence[MetricSpec]:
        """The queries this source makes, one per metric."""
        return self._specs

    async def collect(self) -> list[Record]:
        """Read every metric over the window due and return its points as revisions."""
        config, now = self._config, self._clock()
        per_poll = len(self._specs)
        slowest = self._meter.min_interval(per_poll, config.budget_usd_per_month)
        if slowest > config.interval and self._last_call is not None:
            wait = self._last_call + slowest - now
            if wait > 0:
                self._notes = self._cost_note(now, slowed_to=slowest)
                return []
        end = (math.floor(now / 60) + 1) * 60.0
        since = self._read_until - config.reread if self._read_until else end - config.backfill
        since = max(min(since, end - config.reread), end - config.backfill)
        start = math.floor(since / 60) * 60.0
        results = await self._fetch(start, end, now)
        self._read_until = end
        self._last_call = now
        cost = self._cost_note(now, slowed_to=slowest if slowest > config.interval else None)
        notes: list[str] = []
        points = parse_metric_data(results, self._specs, now=now, notes=notes)
        if not points:
            self._notes = no_data_note(
                f"no datapoints for any of the {len(self._specs)} metrics since "
                f"{format_duration(max(60.0, now - start))} ago: check namespaces, names, "
                f"dimensions and the region; {cost}"
            )
            return []
        self._notes = "; ".join([*notes[:3], cost])
        return list(points)

    async def _fetch(self, start: float, end: float, now: float) -> list[Mapping[str, Any]]:
        results: list[Mapping[str, Any]] = []
        window = {
            "StartTime": datetime.fromtimestamp(start, UTC),
            "EndTime": datetime.fromtimestamp(end, UTC),
            "ScanBy": "TimestampAscending",
        }
        for first in range(0, len(self._queries), MAX_QUERIES_PER_CALL):
            chunk = self._queries[first : first + MAX_QUERIES_PER_CALL]
            token: str | None = None
            while True:
                extra = {"NextToken": token} if token else {}
                self._meter.record(now, len(chunk))
                response = await self._aws.call(
                    "get_metric_data",
                    "cloudwatch:GetMetricData",
                    MetricDataQueries=chunk,
                    **window,
                    **extra,
                )
                results.extend(response.get("MetricDataResults", ()))
                token = response.get("NextToken")
                if not token:
                    break
        return results

    def _cost_note(self, now: float, *, slowed_to: float | None) -> str:
        hour = self._meter.per_hour(now)
        per_poll = len(self._specs)
        interval = max(self._config.interval, slowed_to or 0.0)
        month = self._meter.usd(per_poll * 3600 / interval * _HOURS_PER_MONTH)
        note = f"{hour:,} metrics/h requested, ≈${self._meter.usd(hour):.4f}/h, ≈${month:.2f}/month"
        if slowed_to is not None:
            budget = self._config.budget_usd_per_month
            note += (
                f"; cost guard: polling every {format_duration(slowed_to)} "
                f"to stay within ${budget:g}/month"
            )
        return note


COLLECTOR = CloudWatchCollector
"""The registry entry of this source."""
