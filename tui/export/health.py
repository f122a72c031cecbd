"""The metrics of an export, their thresholds, and the weighted health score.

Each `MetricSpec` names a series, how the window reduces it to one value
(`p95`, `mean`, `peak`, `lowest` of all its samples, `peak total` of the
per-minute sum over several series, or a `ratio` of two series' totals)
and its warning and critical thresholds: from the rules in force where a
rule watches the figure (`metric_specs` fills them from `tui.data.thresholds`:
uptime, API p95, message p95 and mean, pending conversations, both SLAs,
Sidekiq jobs enqueued, the queue wait),
else from the seed that gives them. `judge`
turns a value into a `Level`; `health` turns the judged rows into seed 003's
weighted score:

| component | weight | metrics |
|---|---|---|
| Chatwoot (health and latency) | 40 % | uptime, API p95, API error rate, message latency |
| SLA | 25 % | first-response compliance, messages within 5 s |
| Queues | 20 % | pending conversations, Sidekiq enqueued and failing, queue wait |
| Infrastructure | 15 % | ECS CPU and memory, RDS CPU and connections |

A metric scores 100 within its thresholds, 50 past its warning threshold and
0 past its critical one; a component scores its worst metric, and a
component without data is left out (the other weights are scaled up). The
overall score is healthy from 90, degraded from 70, unhealthy below 70
(seed 003's bands). `with_alerts` sets beside each figure the firing alert
about it (same series, no label that differs) with the alert's own value,
statistic and window, and raises the row to the alert's severity (warning,
or critical from error) when the window's figure alone reads better: the
export never calls normal what an alert in force calls firing, and a
component raised so names the alert, not thresholds that would not. Pure
functions: no store, no Textual.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Final, Literal

from collectors.alerts.book import AlertRow
from collectors.alerts.rules import (
    PercentileCondition,
    RatioCondition,
    Rule,
    ThresholdCondition,
)
from collectors.alerts.state import AlertState
from collectors.alerts.terms import Severity, compare
from collectors.series import (
    AWS_ECS_CPU_PCT,
    AWS_ECS_MEMORY_PCT,
    AWS_RDS_CONNECTIONS,
    AWS_RDS_CPU_PCT,
    AWS_SQS_OLDEST_AGE_S,
    CHATWOOT_API_ERRORS,
    CHATWOOT_API_LATENCY_MS,
    CHATWOOT_API_REQUESTS,
    CHATWOOT_CONVERSATIONS,
    CHATWOOT_SLA_COMPLIANCE_PCT,
    CHATWOOT_UP,
    LOGS_LINES_PER_MIN,
    PIPELINE_LATENCY_MS,
    PIPELINE_PHASE_MS,
    PIPELINE_SLA_PCT,
    SIDEKIQ_FAILED_PER_MIN,
    SIDEKIQ_PROCESSED_PER_MIN,
    SIDEKIQ_QUEUE_LATENCY_S,
    SIDEKIQ_QUEUE_SIZE,
)
from tui.data.alert_values import alert_value, measure
from tui.data.thresholds import Limit, Thresholds
from tui.export.model import Component, Health, Level, MetricRow
from widgets.vocab import format_value

__all__ = [
    "COMPONENTS",
    "METRICS",
    "MetricSpec",
    "Threshold",
    "health",
    "judge",
    "metric_specs",
    "with_alerts",
]

How = Literal["p95", "mean", "peak", "lowest", "peak total", "ratio"]


@dataclass(frozen=True, slots=True)
class Threshold:
    """Where a metric stops being fine, and which seed or rule says so."""

    warn: float | None
    crit: float | None
    seed: str
    op: str = ">"
    """How a value is compared with the levels, as a rule's condition does (`<` for compliance)."""

    def describe(self, unit: str) -> str:
        """The thresholds in words, e.g. `> 2.00 s warning, > 5.00 s critical (seed 000)`."""
        parts = [
            f"{self.op} {format_value(limit, unit)} {name}"
            for limit, name in ((self.warn, "warning"), (self.crit, "critical"))
            if limit is not None
        ]
        return f"{', '.join(parts)} ({self.seed})"


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """One row of the metrics table: which series, how reduced, what thresholds."""

    key: str
    label: str
    series: str
    unit: str
    how: How
    component: str | None
    labels: Mapping[str, str] | None = None
    scale: float = 1.0
    denominator: str | None = None
    """For `ratio`: the series whose total divides this one's (times 100)."""
    threshold: Threshold | None = None


COMPONENTS: Final[Mapping[str, tuple[str, float]]] = {
    "chatwoot": ("Chatwoot health and latency", 0.40),
    "sla": ("SLA", 0.25),
    "queues": ("Queues", 0.20),
    "infrastructure": ("Infrastructure", 0.15),
}
"""Component key to its title and weight (seed 003's weighted health score)."""

_SCORES: Final = {Level.OK: 100.0, Level.WARNING: 50.0, Level.CRITICAL: 0.0}

METRICS: Final[tuple[MetricSpec, ...]] = (
    MetricSpec(
        "uptime", "Chatwoot API availability", CHATWOOT_UP, "%", "mean", "chatwoot",
        labels={"check": "api"}, scale=100.0,
    ),
    MetricSpec(
        "api_p95", "Chatwoot API latency", CHATWOOT_API_LATENCY_MS, "ms", "p95", "chatwoot",
    ),
    MetricSpec(
        "api_errors", "Chatwoot API error rate", CHATWOOT_API_ERRORS, "%", "ratio", "chatwoot",
        denominator=CHATWOOT_API_REQUESTS, threshold=Threshold(1.0, 5.0, "seed 003"),
    ),
    MetricSpec(
        "message_p95", "Message latency", PIPELINE_LATENCY_MS, "ms", "p95", "chatwoot",
    ),
    MetricSpec(
        "message_mean", "Message latency", PIPELINE_LATENCY_MS, "ms", "mean", "chatwoot",
    ),
    MetricSpec(
        "sla", "First-response SLA", CHATWOOT_SLA_COMPLIANCE_PCT, "%", "lowest", "sla",
    ),
    MetricSpec(
        "message_sla", "Messages within 5 s", PIPELINE_SLA_PCT, "%", "mean", "sla",
    ),
    MetricSpec(
        "pending", "Pending conversations", CHATWOOT_CONVERSATIONS, "count", "peak", "queues",
        labels={"status": "pending"},
    ),
    MetricSpec(
        "enqueued", "Sidekiq jobs enqueued", SIDEKIQ_QUEUE_SIZE, "count", "peak total",
        "queues",
    ),
    MetricSpec(
        "failing", "Sidekiq jobs failing", SIDEKIQ_FAILED_PER_MIN, "%", "ratio", "queues",
        denominator=SIDEKIQ_PROCESSED_PER_MIN, threshold=Threshold(5.0, 10.0, "seed 000"),
    ),
    MetricSpec(
        "queue_wait", "Queue wait (queue to worker)", PIPELINE_PHASE_MS, "ms", "peak", "queues",
        labels={"phase": "queue_to_worker"},
    ),
    MetricSpec(
        "sidekiq_latency", "Sidekiq queue latency", SIDEKIQ_QUEUE_LATENCY_S, "s", "peak", None,
    ),
    MetricSpec(
        "ecs_cpu", "ECS CPU", AWS_ECS_CPU_PCT, "%", "peak", "infrastructure",
        threshold=Threshold(70.0, None, "seed 002"),
    ),
    MetricSpec(
        "ecs_memory", "ECS memory", AWS_ECS_MEMORY_PCT, "%", "peak", "infrastructure",
        threshold=Threshold(88.0, 97.6, "seed 000: 450 and 500 of 512 MB"),
    ),
    MetricSpec(
        "rds_cpu", "RDS CPU", AWS_RDS_CPU_PCT, "%", "peak", "infrastructure",
        threshold=Threshold(70.0, None, "seed 002"),
    ),
    MetricSpec(
        "rds_connections", "DB connections", AWS_RDS_CONNECTIONS, "count", "peak",
        "infrastructure", threshold=Threshold(80.0, None, "seed 002"),
    ),
    MetricSpec(
        "sqs_age", "Oldest SQS message", AWS_SQS_OLDEST_AGE_S, "s", "peak", None,
    ),
    MetricSpec(
        "log_errors", "Error log lines per minute", LOGS_LINES_PER_MIN, "count", "peak total",
        None, labels={"level": "error"},
    ),
)  # fmt: skip
"""The metrics table, in the order it is shown (the ruled ones without thresholds yet)."""

_RULED: Final[Mapping[str, Callable[[Thresholds], Limit]]] = {
    "uptime": lambda t: t.uptime,
    "api_p95": lambda t: t.api_p95,
    "message_p95": lambda t: t.message_p95,
    "message_mean": lambda t: t.message_mean,
    "sla": lambda t: t.sla,
    "message_sla": lambda t: t.message_sla,
    "pending": lambda t: t.backlog,
    "enqueued": lambda t: t.queues.depth,
    "queue_wait": lambda t: t.queue_wait_ms,
}
"""The metrics a rule watches, and where its thresholds are found."""


def metric_specs(limits: Thresholds) -> tuple[MetricSpec, ...]:
    """The metrics table with the thresholds of the rules in force filled in."""
    return tuple(
        replace(spec, threshold=_from_rule(_RULED[spec.key](limits)))
        if spec.key in _RULED
        else spec
        for spec in METRICS
    )


def _from_rule(limit: Limit) -> Threshold:
    return Threshold(limit.warn, limit.crit, f"rule {limit.rule}", limit.op)


def judge(spec: MetricSpec, value: float | None) -> Level:
    """Where `value` stands against the spec's thresholds (OK when it has none)."""
    if value is None:
        return Level.NO_DATA
    limits = spec.threshold
    if limits is None:
        return Level.OK
    for limit, level in ((limits.crit, Level.CRITICAL), (limits.warn, Level.WARNING)):
        if limit is not None and compare(limits.op, value, limit):
            return level
    return Level.OK


def health(rows: Sequence[MetricRow], specs: Sequence[MetricSpec] = METRICS) -> Health:
    """Seed 003's weighted health score over the judged metric rows."""
    by_key = {spec.key: spec for spec in specs}
    components = []
    for key, (title, weight) in COMPONENTS.items():
        judged = [
            row
            for row in rows
            if by_key[row.key].component == key and row.level is not Level.NO_DATA
        ]
        components.append(_component(title, weight, judged, by_key))
    counted = [c for c in components if c.score is not None]
    total_weight = sum(c.weight for c in counted)
    if not counted or total_weight <= 0:
        return Health(None, "unknown", tuple(components))
    score = sum(c.weight * (c.score or 0.0) for c in counted) / total_weight
    return Health(round(score, 1), _status(score), tuple(components))


def _component(
    title: str, weight: float, judged: Sequence[MetricRow], specs: Mapping[str, MetricSpec]
) -> Component:
    if not judged:
        return Component(title, weight, None, "no data in the window")
    worst = min(judged, key=lambda row: _SCORES[row.level])
    if worst.level is Level.OK:
        checks = "check" if len(judged) == 1 else "checks"
        return Component(title, weight, 100.0, f"{len(judged)} {checks} within thresholds")
    value = format_value(worst.value, worst.unit)
    reason = f"{worst.label} {value}: {worst.level.value} ({worst.thresholds})"
    alone = judge(specs[worst.key], worst.value)
    if worst.alert and _LEVEL_RANK[alone] < _LEVEL_RANK[worst.level]:  # raised by `with_alerts`
        reason = (
            f"{worst.label} {value}: {worst.level.value}: alert {worst.alert} firing; "
            f"the window's figure alone is {alone.value} ({worst.thresholds})"
        )
    return Component(title, weight, _SCORES[worst.level], reason)


def _status(score: float) -> str:
    if score >= 90:
        return "healthy"
    if score >= 70:
        return "degraded"
    return "unhealthy"


_ALERT_LEVELS: Final = {Severity.INFO: Level.OK, Severity.WARNING: Level.WARNING}
_LEVEL_RANK: Final = {Level.NO_DATA: 0, Level.OK: 1, Level.WARNING: 2, Level.CRITICAL: 3}


def with_alerts(
    rows: Sequence[MetricRow],
    specs: Sequence[MetricSpec],
    alerts: Sequence[AlertRow],
    rules: Mapping[str, Rule],
) -> tuple[MetricRow, ...]:
    """The rows with the firing alert about each beside it, and its severity if worse.

    Args:
        rows: the judged metric rows.
        specs: their specs (by `key`).
        alerts: the visible alerts; only firing ones count, most severe first.
        rules: the rules in force by name (which series an alert is about).
    """
    by_key = {spec.key: spec for spec in specs}
    firing = sorted(
        (a for a in alerts if a.state is AlertState.FIRING and a.rule in rules),
        key=lambda a: (-a.severity.rank, a.started_at, a.id),
    )
    result = []
    for row in rows:
        spec = by_key.get(row.key)
        alert = next((a for a in firing if spec and _about(spec, a, rules[a.rule])), None)
        if alert is None:
            result.append(row)
            continue
        rule = rules[alert.rule]
        level = _ALERT_LEVELS.get(alert.severity, Level.CRITICAL)
        if _LEVEL_RANK[level] <= _LEVEL_RANK[row.level]:
            level = row.level
        note = f"{alert.rule} {alert_value(alert, rules)} ({measure(rule)})"
        result.append(replace(row, level=level, alert=note))
    return tuple(result)


def _about(spec: MetricSpec, alert: AlertRow, rule: Rule) -> bool:
    """Whether the alert watches the spec's series, with no label that differs.

    An alert whose value the rule in force no longer calls a breach (it fired
    under other thresholds than the config's now) is not about the figure.
    """
    condition = rule.condition
    if (
        isinstance(condition, ThresholdCondition | PercentileCondition | RatioCondition)
        and alert.value is not None
        and not compare(condition.op, alert.value, condition.value)
    ):
        return False
    if rule.series != spec.series:
        return False
    theirs = {**rule.labels, **{k: v for k, v in alert.labels.items() if k != "source"}}
    return all(theirs.get(key, value) == value for key, value in (spec.labels or {}).items())
