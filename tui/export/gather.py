"""Read one database into a `Snapshot`: the data step of an export, no rendering.

`gather` reads the store, the alert book and the log cache of one database
over a window (the pinned incident start to now, else the last `since`) and
returns plain frozen dataclasses (`tui.export.model`). It only reads, so the
connections may be read-only and a collector may be writing meanwhile. The
time is passed in, never read from a clock, so a recorded database gives
the same snapshot on every run. Every string of the result has passed the
`Redactor`. A store rewound to a past moment (`Store.as_of`, with the alert
book rewound alike) gives the export as of then: the window ends at that
moment and the header says so.

One unit over 500 lines: one reader per section of the snapshot, sharing one
window, one set of thresholds and one redactor over one database.
"""

from __future__ import annotations

import asyncio
import math
import sqlite3
import statistics
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Final, Literal

from collectors.alerts.book import AlertBook, AlertRow
from collectors.alerts.rules import Rule, default_rules
from collectors.alerts.state import AlertState
from collectors.base import SourceStatus
from collectors.series import (
    AWS_SQS_MESSAGES,
    CHATWOOT_API_LATENCY_MS,
    CHATWOOT_CHANNEL_CONVERSATIONS,
    CHATWOOT_CHANNEL_FIRST_RESPONSE_S,
    CHATWOOT_CONVERSATIONS,
    CHATWOOT_SLA_BREACHED,
    CHATWOOT_SLA_COMPLIANCE_PCT,
    CHATWOOT_SLA_MET,
    CHATWOOT_SLA_TARGET_S,
    CHATWOOT_SLA_WAITING,
    PIPELINE_LATENCY_MS,
    PIPELINE_PHASE_MS,
    SIDEKIQ_BUSY,
    SIDEKIQ_DEAD,
    SIDEKIQ_ENQUEUED,
    SIDEKIQ_FAILED_PER_MIN,
    SIDEKIQ_PROCESSED_PER_MIN,
    SIDEKIQ_PROCESSES,
    SIDEKIQ_QUEUE_LATENCY_S,
    SIDEKIQ_QUEUE_SIZE,
    SIDEKIQ_RETRIES,
    SIDEKIQ_SCHEDULED,
    key_numbers,
)
from collectors.store.database import SeriesInfo, Store, WindowStats
from collectors.store.log_search import LogMatch, level_counts, message_shape, newest
from collectors.store.views import UPTIME_WINDOWS, current_breaches, uptime_pct
from tui.data.alert_values import alert_value, measure, since
from tui.data.source_badge import worst_of_checks
from tui.data.thresholds import Band, Thresholds, default_thresholds
from tui.data.timeline import ERROR_LINES_READ, ErrorLines, read_timeline
from tui.export.health import MetricSpec, health, judge, metric_specs, with_alerts
from tui.export.model import (
    ActiveAlert,
    BacklogRow,
    BreachRow,
    BucketRow,
    ChannelRow,
    Distribution,
    GaugeRow,
    Header,
    LatencyRow,
    Level,
    LogGroup,
    LogLine,
    MetricRow,
    PhaseRow,
    QueueRow,
    SlaRow,
    Snapshot,
    SourceRow,
    Spark,
    Window,
)
from tui.export.redaction import Redactor, scrub

__all__ = ["gather"]

_BASELINE_SPAN: Final = 86400.0
"""The normal range looks back at least this far before the window."""
_BASELINE_WINDOWS: Final = 24
"""At most this many earlier windows make the normal range..."""
_BASELINE_LEAST: Final = 3
"""...and at least this many of them must hold data."""
_MAX_SLOTS: Final = 240
"""Slots of a window for peaks and lows: one a minute up to four hours, then wider."""
_SPARK_SLOTS: Final = (12, 48)
"""Fewest and most slots of a sparkline: one a minute between the two."""
_BREACHES_SHOWN: Final = 20
_LOG_LINES_SHOWN: Final = 20
_LOG_GROUPS_SHOWN: Final = 10
_SIDEKIQ_GAUGES: Final = (
    SIDEKIQ_ENQUEUED,
    SIDEKIQ_BUSY,
    SIDEKIQ_PROCESSES,
    SIDEKIQ_SCHEDULED,
    SIDEKIQ_RETRIES,
    SIDEKIQ_DEAD,
    SIDEKIQ_PROCESSED_PER_MIN,
    SIDEKIQ_FAILED_PER_MIN,
    AWS_SQS_MESSAGES,
)
"""Queue counters shown beside the per-queue table."""
_SPARK_HOW: Final[dict[str, Literal["mean", "sum", "max"]]] = {
    "latest": "mean",
    "sum": "sum",
    "max": "max",
    "min": "mean",
    "p95": "max",
}
"""How a headline's slot combines values: a p95 headline shows each slot's peak."""


async def gather(
    store: Store,
    book: AlertBook,
    logs: sqlite3.Connection,
    *,
    now: float,
    since: float,
    user: str,
    host: str,
    redact: Redactor | None = None,
    limits: Thresholds | None = None,
    rules: Mapping[str, Rule] | None = None,
) -> Snapshot:
    """Everything an export of the window ending at `now` shows, redacted.

    Args:
        store: the store (read-only is enough).
        book: the alert book (read-only is enough).
        logs: a read-only connection for the log cache (`log_search.open_readonly`).
        now: the time of the export, and the end of the window unless the
            store is rewound (`store.as_of`, then the window ends there).
        since: the window's length when no incident start is pinned.
        user: who exports.
        host: where.
        redact: masks secrets in every string (the usual shapes when None).
        limits: the thresholds of the rules in force (the default pack's when None).
        rules: the rules in force by name (the default pack when None): the alerts'
            units, and the firing alert beside each metric it is about.
    """
    end_at = now if store.as_of is None else store.as_of
    pin = await book.pin()
    if pin is not None and pin.start < end_at:
        window = Window(pin.start, end_at, True, since, pin.set_at, pin.set_by)
    else:
        window = Window(end_at - since, end_at, False, since)
    # Queries take [start, end); the window includes its end, where a sample
    # written at `end_at` belongs.
    end = math.nextafter(end_at, math.inf)
    limits = limits or default_thresholds()
    reader = _Reader(store, window.start_at, end, limits)
    specs = metric_specs(limits)
    rules = rules or {rule.name: rule for rule in default_rules()}
    alerts = await book.visible(end_at)
    metrics = tuple([row for spec in specs if (row := await reader.metric(spec)) is not None])
    metrics = with_alerts(metrics, specs, alerts, rules)
    redact = redact or Redactor()
    error_total, messages = await asyncio.to_thread(
        level_counts, logs, level="error", start=window.start_at, end=end
    )
    newest_first = await asyncio.to_thread(
        newest, logs, level="error", start=window.start_at, end=end, limit=_LOG_LINES_SHOWN
    )
    lines = newest_first[::-1]
    statuses = await store.source_statuses()
    stored = await store.series()
    snapshot = Snapshot(
        header=Header(now, host, user, str(store.path), store.has_writer(), window, store.as_of),
        health=health(metrics, specs),
        active_alerts=_active_alerts(alerts, rules),
        metrics=metrics,
        latency=await reader.latency(),
        distributions=await reader.distributions(),
        phases=await reader.phases(),
        sla=await reader.sla(),
        breaches=await _breaches(store, window.start_at),
        channels=await _channels(store, window.start_at),
        backlog=await reader.backlog(),
        queues=await reader.queues(),
        queue_gauges=await reader.gauges(_SIDEKIQ_GAUGES),
        cloudwatch=await reader.cloudwatch(),
        timeline=await read_timeline(
            book, store, _error_reader(logs), window.start_at, window.end_at, rules
        ),
        error_lines=error_total,
        log_groups=_log_groups(messages, redact),
        log_lines=tuple(
            LogLine(m.ts, m.level, m.source, m.group, m.stream, m.message) for m in lines
        ),
        sparks=await reader.sparks(list(statuses)),
        sources=tuple(
            _source_row(s, [i for i in stored if i.source == s.source]) for s in statuses.values()
        ),
    )
    return scrub(snapshot, redact)


def _source_row(status: SourceStatus, series: Sequence[SeriesInfo]) -> SourceRow:
    """A source's row: its badge is the worst of its checks, as on the overview."""
    own = status.last_error or status.detail or ""
    state, detail = worst_of_checks(status.shown_state, own, series)
    return SourceRow(status.source, state, status.last_success, detail or None)


def _level(band: Band | None) -> Level:
    return Level.NO_DATA if band is None else Level(band)


class _Reader:
    """The store queries of one window."""

    def __init__(self, store: Store, start: float, end: float, limits: Thresholds) -> None:
        self.store, self.start, self.end, self.limits = store, start, end, limits
        self.slot = max(60.0, (end - start) / _MAX_SLOTS)

    async def stats(self, series: Sequence[SeriesInfo], start: float, end: float) -> WindowStats:
        return await self.store.window_stats(series, start, end)

    async def in_window(self, series: Sequence[SeriesInfo]) -> WindowStats:
        return await self.stats(series, self.start, self.end)

    async def totals(
        self, series: Sequence[SeriesInfo], start: float, end: float
    ) -> list[float | None]:
        """Per-slot sums of the series' means over `[start, end)` (None: no data)."""
        width = max(1, round((end - start) / self.slot))
        return await self.store.points(series, start, end, width, how="sum")

    # ----------------------------------------------------------------- metrics

    async def metric(self, spec: MetricSpec) -> MetricRow | None:
        """The spec's row, or None when no such series was ever stored."""
        series = await self.store.series(spec.series, labels=spec.labels)
        if not series:
            return None
        denominator = (
            await self.store.series(spec.denominator, labels=spec.labels)
            if spec.denominator
            else []
        )
        value = await self.reduce(spec, series, denominator, self.start, self.end)
        low, high = await self.normal(spec, series, denominator)
        versus = "none"
        if value is not None and low is not None and high is not None:
            versus = "above" if value > high else "below" if value < low else "within"
        thresholds = spec.threshold.describe(spec.unit) if spec.threshold else "none in the seeds"
        return MetricRow(
            key=spec.key,
            label=spec.label,
            unit=spec.unit,
            value=value,
            how=spec.how,
            normal_low=low,
            normal_high=high,
            versus_normal=versus,
            level=judge(spec, value),
            thresholds=thresholds,
        )

    async def reduce(
        self,
        spec: MetricSpec,
        series: Sequence[SeriesInfo],
        denominator: Sequence[SeriesInfo],
        start: float,
        end: float,
    ) -> float | None:
        """The spec's one value over `[start, end)`."""
        if spec.how == "ratio":
            below = _total(await self.stats(denominator, start, end))
            above = _total(await self.stats(series, start, end))
            return None if not below or above is None else 100.0 * above / below
        if spec.how == "peak total":
            found = [v for v in await self.totals(series, start, end) if v is not None]
            value = max(found) if found else None
        else:
            stats = await self.stats(series, start, end)
            value = {
                "p95": stats.quantile(0.95),
                "mean": stats.mean,
                "peak": stats.max,
                "lowest": stats.min,
            }[spec.how]
        return None if value is None else value * spec.scale

    async def normal(
        self, spec: MetricSpec, series: Sequence[SeriesInfo], denominator: Sequence[SeriesInfo]
    ) -> tuple[float | None, float | None]:
        """p10-p90 of the same reduction over up to 24 earlier windows as long as this one."""
        length = self.end - self.start
        count = min(_BASELINE_WINDOWS, max(_BASELINE_LEAST, math.floor(_BASELINE_SPAN / length)))
        values = []
        if spec.how in ("peak", "mean"):
            # One query for all the earlier windows: each is one slot of `points`.
            slots = await self.store.points(
                series, self.start - count * length, self.start, count,
                how="max" if spec.how == "peak" else "mean",
            )  # fmt: skip
            values = [v * spec.scale for v in slots if v is not None]
        else:
            for index in range(count):
                end = self.start - index * length
                value = await self.reduce(spec, series, denominator, end - length, end)
                if value is not None:
                    values.append(value)
        if len(values) < _BASELINE_LEAST:
            return None, None
        deciles = statistics.quantiles(values, n=10, method="inclusive")
        return deciles[0], deciles[-1]

    # ----------------------------------------------------------------- latency

    async def latency(self) -> tuple[LatencyRow, ...]:
        """Per endpoint of the Chatwoot API, then the pipeline's messages."""
        rows = []
        for name, label in ((CHATWOOT_API_LATENCY_MS, "endpoint"), (PIPELINE_LATENCY_MS, "")):
            for s in await self.store.series(name):
                stats = await self.in_window([s])
                if stats.count:
                    endpoint = s.labels.get(label, "") if label else "message to Chatwoot"
                    rows.append(
                        LatencyRow(
                            s.source,
                            endpoint,
                            stats.count,
                            stats.mean,
                            stats.quantile(0.5),
                            stats.quantile(0.95),
                            stats.quantile(0.99),
                        )
                    )
        return tuple(rows)

    async def distributions(self) -> tuple[Distribution, ...]:
        """Seed 001's buckets of the pipeline's messages and of the API requests."""
        found = []
        for title, name in (
            ("Messages, queue to Chatwoot (pipeline.latency_ms)", PIPELINE_LATENCY_MS),
            ("Chatwoot API requests (chatwoot.api.latency_ms)", CHATWOOT_API_LATENCY_MS),
        ):
            stats = await self.in_window(await self.store.series(name))
            if stats.count:
                buckets = tuple(
                    BucketRow(b.bucket.label, b.count, b.percent) for b in stats.buckets
                )
                found.append(Distribution(title, stats.count, buckets))
        return tuple(found)

    async def phases(self) -> tuple[PhaseRow, ...]:
        """Mean and peak of each phase of the message pipeline."""
        rows = []
        for s in await self.store.series(PIPELINE_PHASE_MS):
            stats = await self.in_window([s])
            if stats.count:
                rows.append(PhaseRow(s.source, s.labels.get("phase", ""), stats.mean, stats.max))
        return tuple(rows)

    # --------------------------------------------------------------------- SLA

    async def sla(self) -> tuple[SlaRow, ...]:
        """First-response SLA and uptime of each Chatwoot source."""
        rows = []
        for s in await self.store.series(CHATWOOT_SLA_COMPLIANCE_PCT):
            stats = await self.in_window([s])
            latest = {
                name: await self.latest_of(series, s.source)
                for name, series in (
                    ("target_s", CHATWOOT_SLA_TARGET_S),
                    ("met", CHATWOOT_SLA_MET),
                    ("breached", CHATWOOT_SLA_BREACHED),
                    ("waiting", CHATWOOT_SLA_WAITING),
                )
            }
            uptime = {
                label: await uptime_pct(self.store, s.source, self.end, seconds)
                for label, seconds in UPTIME_WINDOWS.items()
            }
            now = _latest(s, self.start)
            rows.append(
                SlaRow(
                    s.source,
                    now,
                    stats.min,
                    latest["target_s"],
                    latest["met"],
                    latest["breached"],
                    latest["waiting"],
                    uptime,
                    _level(self.limits.sla.band(now)),
                    {
                        label: _level(None if up is None else self.limits.uptime.band(up.percent))
                        for label, up in uptime.items()
                    },
                )
            )
        return tuple(rows)

    # ------------------------------------------------------------------ queues

    async def backlog(self) -> tuple[BacklogRow, ...]:
        """Pending conversations now and at their peak, per Chatwoot source."""
        rows = []
        for s in await self.store.series(CHATWOOT_CONVERSATIONS, labels={"status": "pending"}):
            stats = await self.in_window([s])
            level = _level(self.limits.backlog.band(stats.max))
            rows.append(BacklogRow(s.source, _latest(s, self.start), stats.max, level))
        return tuple(rows)

    async def queues(self) -> tuple[QueueRow, ...]:
        """Each Sidekiq queue's size and latency, now and at their peak."""
        latencies = {
            (s.source, s.labels.get("queue", "")): s
            for s in await self.store.series(SIDEKIQ_QUEUE_LATENCY_S)
        }
        rows = []
        for s in await self.store.series(SIDEKIQ_QUEUE_SIZE):
            queue = s.labels.get("queue", "")
            size = await self.in_window([s])
            latency = latencies.get((s.source, queue))
            waited = await self.in_window([latency]) if latency else None
            rows.append(
                QueueRow(
                    s.source,
                    queue,
                    _latest(s, self.start),
                    size.max,
                    _latest(latency, self.start) if latency else None,
                    waited.max if waited else None,
                )
            )
        return tuple(rows)

    async def gauges(self, names: Sequence[str]) -> tuple[GaugeRow, ...]:
        """Last, mean and maximum of every series of these names with data in the window."""
        rows = []
        for name in names:
            rows.extend([await self.gauge(s) for s in await self.store.series(name)])
        return tuple(row for row in rows if row.mean is not None)

    async def cloudwatch(self) -> tuple[GaugeRow, ...]:
        """Every `aws.*` series with data in the window, except the SQS depths (in queues)."""
        names = sorted(
            {
                s.name
                for s in await self.store.series()
                if s.name.startswith("aws.") and s.name != AWS_SQS_MESSAGES
            }
        )
        return await self.gauges(names)

    async def gauge(self, series: SeriesInfo) -> GaugeRow:
        """One series over the window."""
        stats = await self.in_window([series])
        return GaugeRow(
            series.source,
            series.name,
            series.labels,
            series.unit,
            _latest(series, self.start),
            stats.mean,
            stats.max,
        )

    async def latest_of(self, name: str, source: str) -> float | None:
        """The latest value of a series of one source, if written since the window began."""
        found = await self.store.series(name, source=source)
        return _latest(found[0], self.start) if found else None

    # --------------------------------------------------------------- sparklines

    async def sparks(self, sources: Sequence[str]) -> tuple[Spark, ...]:
        """Each source's key numbers of the summary (`key_numbers("summary")`) in equal slots."""
        fewest, most = _SPARK_SLOTS
        slots = max(fewest, min(most, round((self.end - self.start) / 60)))
        found = []
        for source in sources:
            for headline in key_numbers("summary"):
                series = await self.store.series(
                    headline.series, labels=dict(headline.labels), source=source
                )
                if not series:
                    continue
                how = _SPARK_HOW[headline.reduce]
                values = await self.store.points(series, self.start, self.end, slots, how=how)
                if any(v is not None for v in values):
                    found.append(Spark(source, headline.label, series[0].unit, how, tuple(values)))
        return tuple(found)


def _log_groups(messages: Sequence[tuple[str, int]], redact: Redactor) -> tuple[LogGroup, ...]:
    """The most frequent message shapes; redacted first, so no shape holds part of a secret."""
    shapes: Counter[str] = Counter()
    for message, count in messages:
        shapes[message_shape(redact(message))] += count
    return tuple(LogGroup(shape, count) for shape, count in shapes.most_common(_LOG_GROUPS_SHOWN))


def _total(stats: WindowStats) -> float | None:
    return None if stats.mean is None else stats.mean * stats.count


def _latest(series: SeriesInfo, start: float) -> float | None:
    """The series' latest value, or None when it was written before `start` (stale)."""
    if series.last_ts is None or series.last_ts < start:
        return None
    return series.last_value


async def _breaches(store: Store, start: float) -> tuple[BreachRow, ...]:
    """The breach list of each Chatwoot source's latest poll, if that poll is in the window."""
    rows = []
    for s in await store.series(CHATWOOT_SLA_COMPLIANCE_PCT):
        if _latest(s, start) is None:
            continue
        for breach in (await current_breaches(store, s.source))[:_BREACHES_SHOWN]:
            rows.append(
                BreachRow(
                    s.source,
                    breach.display_id,
                    breach.inbox,
                    breach.customer,
                    breach.waited_s,
                    breach.replied,
                )
            )
    return tuple(rows)


async def _channels(store: Store, start: float) -> tuple[ChannelRow, ...]:
    """Each inbox channel's latest counts, if written in the window."""
    waits = {
        (s.source, s.labels.get("channel", "")): _latest(s, start)
        for s in await store.series(CHATWOOT_CHANNEL_FIRST_RESPONSE_S)
    }
    return tuple(
        ChannelRow(
            s.source,
            s.labels.get("channel", ""),
            _latest(s, start),
            waits.get((s.source, s.labels.get("channel", ""))),
        )
        for s in await store.series(CHATWOOT_CHANNEL_CONVERSATIONS)
        if _latest(s, start) is not None
    )


def _active_alerts(
    alerts: Sequence[AlertRow], rules: Mapping[str, Rule]
) -> tuple[ActiveAlert, ...]:
    return tuple(
        ActiveAlert(
            a.id,
            a.rule,
            a.labels,
            a.severity.value,
            a.state.value,
            a.updated_at,
            a.summary,
            a.value,
            a.acknowledged_by,
            a.ack_note,
            since(a),
            alert_value(a, rules),
            measure(rules[a.rule]) if a.rule in rules else "",
        )
        for a in alerts
        if a.state in (AlertState.PENDING, AlertState.FIRING)
    )


def _error_reader(logs: sqlite3.Connection) -> ErrorLines:
    """The timeline's read of a span's error lines, off the event loop."""

    async def read(start: float, end: float) -> list[LogMatch]:
        return await asyncio.to_thread(
            newest, logs, level="error", start=start, end=end, limit=ERROR_LINES_READ
        )

    return read
