"""The series catalogue: every series the screens and exports show, its unit, labels and meaning.

Contract:

* A series' name is written once, here: `tui/` and `widgets/` import the
  constants (a test fails on a series-name string literal outside
  `collectors/`), so renaming a series is one edit and a typo is an
  ImportError, not an empty panel.
* `CATALOGUE` says, for each, its unit, its labels, what it means and where
  it is shown; the README's per-source tables say how each source makes it.
* `KEY_NUMBERS` is the one list of key numbers, most telling first: each
  names a series (and a label subset), how several matching series reduce to
  one number, its label, and where it is shown (`Place`). The overview's
  grid, the incident view's charts, the plain-text summary and the export's
  sparklines all take their numbers from it.
* The collectors still write their names as literals; the catalogue lists
  the series the screens and exports read, not yet every series a source writes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final, Literal

__all__ = [
    "API_BUCKETS_S",
    "AWS_ECS_CPU_PCT",
    "AWS_ECS_MEMORY_PCT",
    "AWS_RDS_CONNECTIONS",
    "AWS_RDS_CPU_PCT",
    "AWS_RDS_FREEABLE_MEMORY_BYTES",
    "AWS_SQS_MESSAGES",
    "AWS_SQS_OLDEST_AGE_S",
    "CATALOGUE",
    "CHATWOOT_API_ERRORS",
    "CHATWOOT_API_LATENCY_MS",
    "CHATWOOT_API_REQUESTS",
    "CHATWOOT_CHANNEL_CONVERSATIONS",
    "CHATWOOT_CHANNEL_FIRST_RESPONSE_S",
    "CHATWOOT_CONVERSATIONS",
    "CHATWOOT_FIRST_RESPONSE_S",
    "CHATWOOT_NEW_PER_HOUR",
    "CHATWOOT_SLA_BREACHED",
    "CHATWOOT_SLA_COMPLIANCE_PCT",
    "CHATWOOT_SLA_MET",
    "CHATWOOT_SLA_TARGET_S",
    "CHATWOOT_SLA_WAITING",
    "CHATWOOT_UNASSIGNED",
    "CHATWOOT_UNATTENDED",
    "CHATWOOT_UP",
    "KEY_NUMBERS",
    "LOGS_LINES_PER_MIN",
    "PIPELINE_BUCKETS_S",
    "PIPELINE_LATENCY_MS",
    "PIPELINE_MESSAGES",
    "PIPELINE_PHASE_MS",
    "PIPELINE_SLA_PCT",
    "SIDEKIQ_BUSY",
    "SIDEKIQ_DEAD",
    "SIDEKIQ_ENQUEUED",
    "SIDEKIQ_FAILED_PER_MIN",
    "SIDEKIQ_PROCESSED_PER_MIN",
    "SIDEKIQ_PROCESSES",
    "SIDEKIQ_QUEUE_LATENCY_S",
    "SIDEKIQ_QUEUE_SIZE",
    "SIDEKIQ_RETRIES",
    "SIDEKIQ_SCHEDULED",
    "WIDGET_API_P95_MS",
    "WIDGET_HEALTH",
    "KeyNumber",
    "Place",
    "Reduce",
    "SeriesSpec",
    "by_name",
    "key_numbers",
]


@dataclass(frozen=True, slots=True)
class SeriesSpec:
    """One series: what it is called, measured in, labelled by, and where it is shown."""

    name: str
    """The stored name, e.g. `pipeline.latency_ms`."""
    unit: str
    """`ms`, `s`, `%`, `count`, `bytes` or `1/0`."""
    labels: tuple[str, ...]
    """The label keys besides the source, e.g. `("queue",)`."""
    meaning: str
    """What a value says, in a few words."""
    shown: str
    """The screens and exports that show it."""
    buckets: tuple[float, ...] = ()
    """Histogram bucket bounds in seconds for `/metrics` (a latency series); empty: a gauge."""


CHATWOOT_UP: Final = "chatwoot.up"
CHATWOOT_API_LATENCY_MS: Final = "chatwoot.api.latency_ms"
CHATWOOT_API_REQUESTS: Final = "chatwoot.api.requests"
CHATWOOT_API_ERRORS: Final = "chatwoot.api.errors"
CHATWOOT_CONVERSATIONS: Final = "chatwoot.conversations"
CHATWOOT_UNASSIGNED: Final = "chatwoot.conversations.unassigned"
CHATWOOT_UNATTENDED: Final = "chatwoot.conversations.unattended"
CHATWOOT_NEW_PER_HOUR: Final = "chatwoot.conversations.new_per_hour"
CHATWOOT_FIRST_RESPONSE_S: Final = "chatwoot.first_response_s"
CHATWOOT_SLA_COMPLIANCE_PCT: Final = "chatwoot.sla.compliance_pct"
CHATWOOT_SLA_TARGET_S: Final = "chatwoot.sla.target_s"
CHATWOOT_SLA_MET: Final = "chatwoot.sla.met"
CHATWOOT_SLA_BREACHED: Final = "chatwoot.sla.breached"
CHATWOOT_SLA_WAITING: Final = "chatwoot.sla.waiting"
CHATWOOT_CHANNEL_CONVERSATIONS: Final = "chatwoot.channel.conversations"
CHATWOOT_CHANNEL_FIRST_RESPONSE_S: Final = "chatwoot.channel.first_response_s"
SIDEKIQ_ENQUEUED: Final = "sidekiq.enqueued"
SIDEKIQ_BUSY: Final = "sidekiq.busy"
SIDEKIQ_PROCESSES: Final = "sidekiq.processes"
SIDEKIQ_SCHEDULED: Final = "sidekiq.scheduled"
SIDEKIQ_RETRIES: Final = "sidekiq.retries"
SIDEKIQ_DEAD: Final = "sidekiq.dead"
SIDEKIQ_PROCESSED_PER_MIN: Final = "sidekiq.processed_per_min"
SIDEKIQ_FAILED_PER_MIN: Final = "sidekiq.failed_per_min"
SIDEKIQ_QUEUE_SIZE: Final = "sidekiq.queue.size"
SIDEKIQ_QUEUE_LATENCY_S: Final = "sidekiq.queue.latency_s"
PIPELINE_LATENCY_MS: Final = "pipeline.latency_ms"
PIPELINE_SLA_PCT: Final = "pipeline.sla_pct"
PIPELINE_PHASE_MS: Final = "pipeline.phase_ms"
PIPELINE_MESSAGES: Final = "pipeline.messages"
WIDGET_API_P95_MS: Final = "widget.api.p95_ms"
WIDGET_HEALTH: Final = "widget.health"
AWS_SQS_MESSAGES: Final = "aws.sqs.messages"
AWS_SQS_OLDEST_AGE_S: Final = "aws.sqs.oldest_age_s"
AWS_ECS_CPU_PCT: Final = "aws.ecs.cpu_pct"
AWS_ECS_MEMORY_PCT: Final = "aws.ecs.memory_pct"
AWS_RDS_CPU_PCT: Final = "aws.rds.cpu_pct"
AWS_RDS_CONNECTIONS: Final = "aws.rds.connections"
AWS_RDS_FREEABLE_MEMORY_BYTES: Final = "aws.rds.freeable_memory_bytes"
LOGS_LINES_PER_MIN: Final = "logs.lines_per_min"

PIPELINE_BUCKETS_S: Final = (1.0, 2.0, 5.0, 10.0, 30.0)
"""Seed 001's message latency buckets (under 5 s is compliant), in seconds."""
API_BUCKETS_S: Final = (0.1, 0.25, 0.5, 1.0, 1.5, 2.0, 3.0, 5.0, 10.0, 30.0)
"""Seed 001's buckets plus seed 000/003's API bounds (500 ms, 1.5 s, 3 s), in seconds."""

CATALOGUE: Final[tuple[SeriesSpec, ...]] = (
    SeriesSpec(
        CHATWOOT_UP,
        "1/0",
        ("check",),
        "the API check (`/api`) and the health check answered",
        "overview, alerts, export (availability)",
    ),
    SeriesSpec(
        CHATWOOT_API_LATENCY_MS,
        "ms",
        ("endpoint",),
        "the time of every Chatwoot request, by endpoint",
        "overview, latency, export",
        API_BUCKETS_S,
    ),
    SeriesSpec(
        CHATWOOT_API_REQUESTS, "count", ("endpoint",), "requests per poll", "export (error rate)"
    ),
    SeriesSpec(
        CHATWOOT_API_ERRORS,
        "count",
        ("endpoint",),
        "requests per poll without a 2xx answer",
        "export (error rate)",
    ),
    SeriesSpec(
        CHATWOOT_CONVERSATIONS,
        "count",
        ("status",),
        "conversations open, pending, snoozed and resolved",
        "overview (backlog banner), export (backlog)",
    ),
    SeriesSpec(CHATWOOT_UNASSIGNED, "count", (), "open conversations without an agent", "overview"),
    SeriesSpec(
        CHATWOOT_UNATTENDED, "count", (), "conversations no agent has answered yet", "overview"
    ),
    SeriesSpec(
        CHATWOOT_NEW_PER_HOUR, "count", (), "conversations created in the last hour", "overview"
    ),
    SeriesSpec(
        CHATWOOT_FIRST_RESPONSE_S, "s", (), "one sample per conversation at its first reply", "SLA"
    ),
    SeriesSpec(
        CHATWOOT_SLA_COMPLIANCE_PCT,
        "%",
        (),
        "conversations that got a first reply within the target",
        "overview, SLA, export",
    ),
    SeriesSpec(CHATWOOT_SLA_TARGET_S, "s", (), "the first-response target", "SLA, export"),
    SeriesSpec(CHATWOOT_SLA_MET, "count", (), "conversations replied to in time", "export"),
    SeriesSpec(
        CHATWOOT_SLA_BREACHED,
        "count",
        (),
        "conversations replied to late or still waiting past the target",
        "export",
    ),
    SeriesSpec(CHATWOOT_SLA_WAITING, "count", (), "conversations waiting, not late yet", "export"),
    SeriesSpec(
        CHATWOOT_CHANNEL_CONVERSATIONS,
        "count",
        ("channel",),
        "conversations created per inbox channel type",
        "SLA, export",
    ),
    SeriesSpec(
        CHATWOOT_CHANNEL_FIRST_RESPONSE_S,
        "s",
        ("channel",),
        "mean first response per inbox channel type",
        "SLA, export",
    ),
    SeriesSpec(
        SIDEKIQ_ENQUEUED, "count", (), "jobs waiting in every queue together", "overview, export"
    ),
    SeriesSpec(SIDEKIQ_BUSY, "count", (), "jobs being worked on", "queues, export"),
    SeriesSpec(SIDEKIQ_PROCESSES, "count", (), "live Sidekiq processes", "queues, export"),
    SeriesSpec(SIDEKIQ_SCHEDULED, "count", (), "jobs scheduled for later", "queues, export"),
    SeriesSpec(
        SIDEKIQ_RETRIES, "count", (), "jobs waiting to be retried", "overview, queues, export"
    ),
    SeriesSpec(SIDEKIQ_DEAD, "count", (), "jobs that ran out of retries", "queues, export"),
    SeriesSpec(
        SIDEKIQ_PROCESSED_PER_MIN,
        "count",
        (),
        "jobs processed in the last minute",
        "queues, export",
    ),
    SeriesSpec(
        SIDEKIQ_FAILED_PER_MIN,
        "count",
        (),
        "jobs failed in the last minute",
        "overview, queues, export",
    ),
    SeriesSpec(
        SIDEKIQ_QUEUE_SIZE, "count", ("queue",), "jobs waiting in one queue", "queues, export"
    ),
    SeriesSpec(
        SIDEKIQ_QUEUE_LATENCY_S,
        "s",
        ("queue",),
        "how long the oldest job of a queue has waited",
        "queues, export",
    ),
    SeriesSpec(
        PIPELINE_LATENCY_MS,
        "ms",
        (),
        "a message's time from the queue to Chatwoot",
        "overview, latency, SLA, export",
        PIPELINE_BUCKETS_S,
    ),
    SeriesSpec(
        PIPELINE_SLA_PCT,
        "%",
        (),
        "messages that reached Chatwoot within 5 s",
        "overview, SLA, export",
    ),
    SeriesSpec(
        PIPELINE_PHASE_MS,
        "ms",
        ("phase",),
        "the time a message spends in each phase of the pipeline",
        "latency, export",
    ),
    SeriesSpec(
        PIPELINE_MESSAGES,
        "count",
        ("kind",),
        "messages with complete or partial timing",
        "overview",
    ),
    SeriesSpec(
        WIDGET_API_P95_MS, "ms", (), "a p95 the widget endpoint reports itself", "overview, latency"
    ),
    SeriesSpec(WIDGET_HEALTH, "1/0", (), "the widget endpoint's overall health", "overview"),
    SeriesSpec(
        AWS_SQS_MESSAGES,
        "count",
        ("queue", "state"),
        "messages visible, in flight and delayed",
        "overview, queues, export",
    ),
    SeriesSpec(
        AWS_SQS_OLDEST_AGE_S, "s", ("queue",), "the age of the oldest message", "queues, export"
    ),
    SeriesSpec(AWS_ECS_CPU_PCT, "%", ("service",), "ECS service CPU", "overview, export"),
    SeriesSpec(AWS_ECS_MEMORY_PCT, "%", ("service",), "ECS service memory", "overview, export"),
    SeriesSpec(AWS_RDS_CPU_PCT, "%", (), "database CPU", "overview, export"),
    SeriesSpec(AWS_RDS_CONNECTIONS, "count", (), "database connections", "overview, export"),
    SeriesSpec(
        AWS_RDS_FREEABLE_MEMORY_BYTES, "bytes", (), "database memory still free", "overview"
    ),
    SeriesSpec(
        LOGS_LINES_PER_MIN,
        "count",
        ("level",),
        "log lines per minute, by level",
        "overview, export",
    ),
)
"""Every series above, in the order of the sources."""


def by_name() -> dict[str, SeriesSpec]:
    """The catalogue keyed by series name."""
    return {spec.name: spec for spec in CATALOGUE}


Place = Literal["overview", "incident", "summary", "alert"]
"""Where a key number is shown: the overview's grid, the incident view's charts
(after the alerts' own series), the plain-text summary and the export's
sparklines, or only where an alert is about it."""

Reduce = Literal["latest", "sum", "max", "min", "p95"]
"""How several matching series make one number (`p95`: over the last 5 minutes)."""


@dataclass(frozen=True, slots=True)
class KeyNumber:
    """One key number: which series, how it is reduced, its label and where it is shown."""

    series: str
    """A name from the catalogue."""
    label: str
    """The few words shown beside the number, e.g. `API p95`."""
    shown: frozenset[Place]
    """The places that show it."""
    reduce: Reduce = "latest"
    """How several matching series make one number."""
    labels: tuple[tuple[str, str], ...] = ()
    """Only series with these label values."""


_EVERYWHERE: Final[frozenset[Place]] = frozenset({"overview", "incident", "summary"})
_LIVE: Final[frozenset[Place]] = frozenset({"overview", "summary"})
_OVERVIEW: Final[frozenset[Place]] = frozenset({"overview"})
_SUMMARY: Final[frozenset[Place]] = frozenset({"summary"})
_ALERT: Final[frozenset[Place]] = frozenset({"alert"})

KEY_NUMBERS: Final[tuple[KeyNumber, ...]] = (
    KeyNumber(CHATWOOT_UP, "health", frozenset({"overview", "incident"}), "min"),
    KeyNumber(CHATWOOT_API_LATENCY_MS, "API p95", _EVERYWHERE, "p95"),
    KeyNumber(CHATWOOT_CONVERSATIONS, "open", _LIVE, labels=(("status", "open"),)),
    KeyNumber(CHATWOOT_CONVERSATIONS, "pending", _EVERYWHERE, labels=(("status", "pending"),)),
    KeyNumber(CHATWOOT_UNASSIGNED, "unassigned", _LIVE),
    KeyNumber(CHATWOOT_UNATTENDED, "unattended", _OVERVIEW),
    KeyNumber(CHATWOOT_SLA_COMPLIANCE_PCT, "reply SLA", _EVERYWHERE),
    KeyNumber(CHATWOOT_NEW_PER_HOUR, "new/hour", _ALERT),
    KeyNumber(SIDEKIQ_QUEUE_SIZE, "enqueued", _EVERYWHERE, "sum"),
    KeyNumber(SIDEKIQ_QUEUE_LATENCY_S, "job wait", _LIVE, "max"),
    KeyNumber(SIDEKIQ_FAILED_PER_MIN, "failed/min", _OVERVIEW),
    KeyNumber(PIPELINE_SLA_PCT, "msg SLA", _EVERYWHERE),
    KeyNumber(PIPELINE_LATENCY_MS, "msg p95", _LIVE, "p95"),
    KeyNumber(PIPELINE_PHASE_MS, "queue wait", _ALERT, "max"),
    KeyNumber(PIPELINE_MESSAGES, "complete", _ALERT, labels=(("kind", "complete"),)),
    KeyNumber(AWS_SQS_MESSAGES, "SQS visible", _LIVE, "sum", (("state", "visible"),)),
    KeyNumber(AWS_SQS_OLDEST_AGE_S, "SQS oldest", _OVERVIEW, "max"),
    KeyNumber(AWS_ECS_CPU_PCT, "ECS CPU", _EVERYWHERE, "max"),
    KeyNumber(AWS_ECS_MEMORY_PCT, "ECS mem", _OVERVIEW, "max"),
    KeyNumber(AWS_RDS_CPU_PCT, "RDS CPU", _LIVE, "max"),
    KeyNumber(AWS_RDS_FREEABLE_MEMORY_BYTES, "RDS free", _OVERVIEW, "min"),
    KeyNumber(LOGS_LINES_PER_MIN, "errors/min", _EVERYWHERE, labels=(("level", "error"),)),
    KeyNumber(SIDEKIQ_RETRIES, "retries", _SUMMARY),
    KeyNumber(AWS_SQS_MESSAGES, "in flight", _SUMMARY, "sum", (("state", "not_visible"),)),
    KeyNumber(AWS_SQS_MESSAGES, "delayed", _SUMMARY, "sum", (("state", "delayed"),)),
    KeyNumber(WIDGET_HEALTH, "widget health", _SUMMARY),
    KeyNumber(WIDGET_API_P95_MS, "widget API p95", _SUMMARY),
    KeyNumber(AWS_RDS_CONNECTIONS, "RDS conns", _SUMMARY, "max"),
)
"""Every key number, most telling first (the overview ranks a source by its first)."""


def key_numbers(place: Place) -> tuple[KeyNumber, ...]:
    """The key numbers shown at one place, most telling first."""
    return tuple(number for number in KEY_NUMBERS if place in number.shown)
