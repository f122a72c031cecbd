"""What `/metrics` shows: the store's series, source states and alerts as Prometheus families.

Contract:

* **One code path.** Every value is read from the store and the alert book
  at scrape time (`read_families`), the same rows the screens and exports
  read; a scrape never makes an upstream request and keeps no state of its
  own besides `origin`, the moment counting starts.
* **Names** (`metric_name`) follow Prometheus's conventions: `wootwatch_`,
  the series name with dots as underscores, the unit suffix of the stored
  name replaced by the base unit (`_ms` and `_s` become `_seconds`, `_pct`
  becomes `_ratio` with values 0-1, `_bytes` stays). Labels are the stored
  ones plus `source`. Series come from the store, described by the
  catalogue (`collectors.series`): a new source's series appear with no code
  here, and one the catalogue does not describe still appears as a gauge.
* **Gauges** hold each series' latest stored value. A catalogue series with
  `buckets` (the latency series) is a **histogram** instead: every sample
  stored since `origin` (the collector's start), counted into the bucket
  bounds by the store's window query (`Store.window_stats`, as the export's
  distribution), so histograms of several collectors aggregate and restart
  at zero with the process like any counter.
* **Per source**, from the store's source status and `source.up`:
  `wootwatch_source_up`, the last poll's time and duration, the polls and the
  failed polls since `origin` (counters) and the consecutive failures.
* **In-process counters** come from a `ProcessCounts` view of the collect
  process (not the store): `wootwatch_notifications_total{sink}` and
  `wootwatch_notification_failures_total{sink}` (groups each notify sink
  delivered or gave up after its retries) and
  `wootwatch_poll_failures_total{source,reason}` (failed polls by
  `collectors.poll_failure.REASONS`). They count since the process started
  and restart at zero with it, as Prometheus counters may.
* **Alerts**: `wootwatch_alert_firing{rule,severity,source}` is 1 while an
  alert of that rule fires, 0 while it is pending or resolved in the last
  15 minutes (the alert list's rows).

Nothing here imports Textual; serving over HTTP is `collectors.metrics_http`.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Protocol, runtime_checkable

from prometheus_client.core import (
    CounterMetricFamily,
    GaugeMetricFamily,
    HistogramMetricFamily,
    Metric,
)

from collectors.alerts.book import AlertBook, AlertRow
from collectors.alerts.state import AlertState
from collectors.base import SOURCE_UP, SourceStatus
from collectors.series import CATALOGUE, SeriesSpec
from collectors.store.database import Bucket, SeriesInfo, Store

__all__ = [
    "PREFIX",
    "CountedSink",
    "MetricName",
    "ProcessCounts",
    "metric_name",
    "read_families",
]

PREFIX: Final = "wootwatch_"

_UNITS: Final[Mapping[str, tuple[str, str, float]]] = {
    "ms": ("_ms", "_seconds", 0.001),
    "s": ("_s", "_seconds", 1.0),
    "%": ("_pct", "_ratio", 0.01),
    "bytes": ("_bytes", "_bytes", 1.0),
}
"""Stored unit: the name's suffix, the base-unit suffix, the factor to the base unit."""

_NOT_A_NAME: Final = re.compile(r"[^a-zA-Z0-9_]")

_HELP: Final[Mapping[str, str]] = {
    SOURCE_UP: "1 when the source's last poll succeeded, 0 when it failed",
}
"""Meanings of series the catalogue does not list."""


@dataclass(frozen=True, slots=True)
class MetricName:
    """How one stored series is exposed: its Prometheus name and the factor to its unit."""

    name: str
    """E.g. `wootwatch_pipeline_latency_seconds`."""
    scale: float
    """Multiply a stored value by this to get the exposed one (ms to s, % to 0-1)."""


@runtime_checkable
class CountedSink(Protocol):
    """A notify sink as `/metrics` sees it: its name and its two counters (read only)."""

    @property
    def name(self) -> str:
        """The sink's type (`slack`, `alertmanager`, `command`)."""

    @property
    def delivered(self) -> int:
        """Groups delivered since the process started."""

    @property
    def failures(self) -> int:
        """Groups given up after every retry since the process started."""


@dataclass(frozen=True, slots=True)
class ProcessCounts:
    """What `/metrics` may read of the collect process beyond the store (nothing it can change)."""

    sinks: Sequence[CountedSink] = ()
    """The notify sinks whose deliveries and failures are counted."""
    poll_failures: Mapping[tuple[str, str], int] = field(default_factory=dict)
    """Failed polls since the start, by (source, reason): a read-only view of
    `Scheduler.poll_failures`, read at each scrape."""


def metric_name(series: str, unit: str) -> MetricName:
    """The Prometheus name of a stored series and the factor from its unit to the base unit."""
    base = series.replace(".", "_")
    suffix = ""
    scale = 1.0
    if unit in _UNITS:
        stored, suffix, scale = _UNITS[unit]
        base = base.removesuffix(stored)
    return MetricName(PREFIX + _NOT_A_NAME.sub("_", base) + suffix, scale)


def _label(key: str) -> str:
    name = _NOT_A_NAME.sub("_", key)
    return f"_{name}" if name[:1].isdigit() or name.startswith("__") else name


@dataclass(slots=True)
class _Family:
    """The stored series of one name, gathered before they become one metric family."""

    spec: SeriesSpec | None
    exposed: MetricName
    series: list[SeriesInfo] = field(default_factory=list)

    def label_names(self) -> list[str]:
        keys = {_label(k) for s in self.series for k in s.labels} - {"source"}
        return ["source", *sorted(keys)]

    def label_values(self, info: SeriesInfo, names: Sequence[str]) -> list[str]:
        labels = {_label(k): v for k, v in info.labels.items()}
        labels["source"] = info.source
        return [labels.get(name, "") for name in names]

    def help(self) -> str:
        meaning = self.spec.meaning if self.spec else _HELP.get(self.series[0].name, "as stored")
        first = self.series[0]
        return f"{meaning} (series {first.name}, unit {first.unit or 'none'})".replace("`", "")


async def read_families(
    store: Store,
    book: AlertBook | None,
    *,
    origin: float,
    now: float,
    process: ProcessCounts | None = None,
) -> list[Metric]:
    """Every family `/metrics` shows, read from the store and alert book as they are now.

    Args:
        store: the database, usually a read-only handle on the collector's file.
        book: its alert rows, or None to leave alerts out.
        origin: where the counters and histograms start (the collector's start).
        now: the end of the counting window.
        process: the collect process's own counters, or None to leave them out.
    """
    catalogue = {spec.name: spec for spec in CATALOGUE}
    families: dict[str, _Family] = {}
    for info in await store.series():
        spec = catalogue.get(info.name)
        exposed = metric_name(info.name, spec.unit if spec else info.unit)
        family = families.setdefault(info.name, _Family(spec, exposed))
        family.series.append(info)
    found: list[Metric] = []
    taken: set[str] = set()
    for family in families.values():
        if family.exposed.name in taken:  # two stored names that sanitise alike: keep the first
            continue
        taken.add(family.exposed.name)
        if family.spec is not None and family.spec.buckets:
            found.append(await _histogram(store, family, family.spec.buckets, origin, now))
        else:
            found.append(_gauge(family))
    statuses = await store.source_statuses()
    found += await _source_families(store, families.get(SOURCE_UP), statuses, origin, now)
    if book is not None:
        found.append(_alerts(await book.visible(now)))
    if process is not None:
        found += _process_families(process)
    return found


def _process_families(process: ProcessCounts) -> list[Metric]:
    delivered = CounterMetricFamily(
        PREFIX + "notifications", "notification groups a sink delivered", labels=["sink"]
    )
    failed = CounterMetricFamily(
        PREFIX + "notification_failures",
        "notification groups a sink gave up after its retries",
        labels=["sink"],
    )
    for sink in process.sinks:
        delivered.add_metric([sink.name], float(sink.delivered))
        failed.add_metric([sink.name], float(sink.failures))
    polls = CounterMetricFamily(
        PREFIX + "poll_failures",
        "failed polls since the collector started, by reason",
        labels=["source", "reason"],
    )
    for (source, reason), count in sorted(process.poll_failures.items()):
        polls.add_metric([source, reason], float(count))
    return [delivered, failed, polls]


def _gauge(family: _Family) -> Metric:
    names = family.label_names()
    gauge = GaugeMetricFamily(family.exposed.name, family.help(), labels=names)
    for info in family.series:
        if info.last_value is not None and math.isfinite(info.last_value):
            gauge.add_metric(
                family.label_values(info, names), info.last_value * family.exposed.scale
            )
    return gauge


async def _histogram(
    store: Store, family: _Family, bounds: Sequence[float], origin: float, now: float
) -> Metric:
    names = family.label_names()
    scale = family.exposed.scale
    edges = [Bucket(f"le {b:g}", 0.0, b / scale) for b in bounds]
    histogram = HistogramMetricFamily(family.exposed.name, family.help(), labels=names)
    for info in family.series:
        stats = await store.window_stats([info], origin, now, buckets=edges)
        cumulative = [(f"{b:g}", c.count) for b, c in zip(bounds, stats.buckets, strict=True)]
        total = (stats.mean or 0.0) * stats.count * scale
        histogram.add_metric(
            family.label_values(info, names), [*cumulative, ("+Inf", float(stats.count))], total
        )
    return histogram


async def _source_families(
    store: Store,
    up: _Family | None,
    statuses: Mapping[str, SourceStatus],
    origin: float,
    now: float,
) -> list[Metric]:
    def gauge(name: str, help_text: str) -> GaugeMetricFamily:
        return GaugeMetricFamily(PREFIX + name, help_text, labels=["source"])

    def counter(name: str, help_text: str) -> CounterMetricFamily:
        return CounterMetricFamily(PREFIX + name, help_text, labels=["source"])

    last_poll = gauge("source_last_poll_timestamp_seconds", "when the last poll ended")
    last_success = gauge(
        "source_last_success_timestamp_seconds", "when the last successful poll ended"
    )
    duration = gauge("source_poll_duration_seconds", "how long the last poll took")
    failing = gauge("source_consecutive_failures", "failed polls in a row, 0 after a success")
    polls = counter("source_polls", "polls since the collector started")
    failures = counter("source_poll_failures", "failed polls since the collector started")
    up_by_source = {info.source: info for info in (up.series if up else ())}
    for name, status in statuses.items():
        last_poll.add_metric([name], status.checked_at)
        if status.last_success is not None:
            last_success.add_metric([name], status.last_success)
        failing.add_metric([name], float(status.consecutive_failures))
        info = up_by_source.get(name)
        if info is None:
            continue
        if info.last_ts is not None and info.last_ts <= status.checked_at:
            duration.add_metric([name], status.checked_at - info.last_ts)  # up is at the start
        stats = await store.window_stats([info], origin, now)
        polls.add_metric([name], float(stats.count))
        failures.add_metric([name], stats.count - (stats.mean or 0.0) * stats.count)
    return [last_poll, last_success, duration, failing, polls, failures]


def _alerts(rows: Iterable[AlertRow]) -> Metric:
    firing: dict[tuple[str, str, str], float] = {}
    for row in rows:
        key = (row.rule, str(row.severity), row.labels.get("source", ""))
        value = 1.0 if row.state is AlertState.FIRING else 0.0
        firing[key] = max(firing.get(key, 0.0), value)  # group_by labels beyond source merge
    gauge = GaugeMetricFamily(
        PREFIX + "alert_firing",
        "1 while an alert of the rule fires, 0 while pending or lately resolved",
        labels=["rule", "severity", "source"],
    )
    for key, value in sorted(firing.items()):
        gauge.add_metric(list(key), value)
    return gauge
