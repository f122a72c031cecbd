"""What an export holds: plain frozen dataclasses, filled by `tui.export.gather`.

Both renderers (`tui.export.markdown`, `tui.export.json`) draw a `Snapshot`
and nothing else, so the markdown and the JSON of one export say the same.
Times are unix seconds in fields named `at` or `*_at` (the JSON renderer
writes those as ISO 8601); other numbers are values or durations. Text from upstreams is kept as
stored (already redacted, see `tui.export.redaction`): the renderers make it inert.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from collectors.store.views import Uptime

__all__ = [
    "ActiveAlert",
    "BacklogRow",
    "BreachRow",
    "BucketRow",
    "ChannelRow",
    "Component",
    "Distribution",
    "GaugeRow",
    "Header",
    "Health",
    "LatencyRow",
    "Level",
    "LogGroup",
    "LogLine",
    "MetricRow",
    "PhaseRow",
    "QueueRow",
    "SlaRow",
    "Snapshot",
    "SourceRow",
    "Spark",
    "TimelineEntry",
    "Window",
]


class Level(StrEnum):
    """How a value compares with its thresholds."""

    OK = "ok"
    WARNING = "warning"
    CRITICAL = "critical"
    NO_DATA = "no data"


@dataclass(frozen=True, slots=True)
class Window:
    """The time span an export covers."""

    start_at: float
    end_at: float
    pinned: bool
    """True when `start_at` is the pinned incident start, False when it is `end_at - since`."""
    since: float
    """The `--since` asked for, in seconds (unused when pinned)."""
    pin_set_at: float | None = None
    """When the pin was set, if pinned and recorded."""
    pin_set_by: str | None = None
    """Who set the pin, if pinned and recorded."""


@dataclass(frozen=True, slots=True)
class Header:
    """Who exported what, when and where."""

    exported_at: float
    host: str
    user: str
    database: str
    has_writer: bool
    """Whether a collector was writing the database at the time of export."""
    window: Window
    as_of_at: float | None = None
    """The past moment the export shows (`--at`, a rewound view), or None: as at `exported_at`."""


@dataclass(frozen=True, slots=True)
class Component:
    """One weighted part of the health score."""

    name: str
    weight: float
    """Share of the overall score, 0..1."""
    score: float | None
    """0..100; None when none of its metrics had data (it then does not count)."""
    reason: str


@dataclass(frozen=True, slots=True)
class Health:
    """The overall health score and status of the window."""

    score: float | None
    status: str
    """`healthy` (90+), `degraded` (70-89), `unhealthy` (below 70) or `unknown`."""
    components: tuple[Component, ...]


@dataclass(frozen=True, slots=True)
class ActiveAlert:
    """A pending or firing alert at the end of the window."""

    id: int
    rule: str
    labels: Mapping[str, str]
    severity: str
    state: str
    changed_at: float
    """When it entered its state."""
    summary: str
    value: float | None
    acknowledged_by: str | None
    ack_note: str | None
    started_at: float = 0.0
    """Since when: the first start of its current episode, as everywhere."""
    shown: str = ""
    """The value with its unit, as its rule measures it (`2.6s`, `11.1%`)."""
    measure: str = ""
    """The statistic and window its rule takes (`p95 5m`), empty for an unknown rule."""


@dataclass(frozen=True, slots=True)
class MetricRow:
    """One row of the seed-002 metrics table."""

    key: str
    label: str
    unit: str
    value: float | None
    """The value in the window (how it is reduced is in `how`), None without data."""
    how: str
    """How the window was reduced: `p95`, `mean`, `peak`, `lowest`, `peak total`, `ratio`."""
    normal_low: float | None
    normal_high: float | None
    """The normal range: p10-p90 of the same reduction over earlier windows as long.

    Up to 24 windows of the window's length before its start (at least 24 h
    back); None when fewer than 3 of them hold data ("no baseline").
    """
    versus_normal: str
    """`above`, `below`, `within` or `none` (no baseline or no value)."""
    level: Level
    thresholds: str
    """The thresholds in words with their seed, e.g. `> 2 s warning, > 5 s critical (seed 000)`."""
    alert: str = ""
    """The firing alert about this figure, e.g. `api_p95_latency_high 2.6s (p95 5m)`; its
    severity is the row's level when worse than the window's figure alone."""

    @property
    def title(self) -> str:
        """The label with the reduction, e.g. `Chatwoot API latency (p95)`."""
        return self.label if self.how == "ratio" else f"{self.label} ({self.how})"


@dataclass(frozen=True, slots=True)
class LatencyRow:
    """Latency of one endpoint over the window."""

    source: str
    endpoint: str
    count: int
    mean: float | None
    p50: float | None
    p95: float | None
    p99: float | None


@dataclass(frozen=True, slots=True)
class BucketRow:
    """One of seed 001's latency buckets."""

    label: str
    count: float
    percent: float


@dataclass(frozen=True, slots=True)
class Distribution:
    """Seed 001's buckets of one latency series over the window."""

    title: str
    total: int
    buckets: tuple[BucketRow, ...]


@dataclass(frozen=True, slots=True)
class PhaseRow:
    """One phase of the message pipeline over the window."""

    source: str
    phase: str
    mean: float | None
    max: float | None


@dataclass(frozen=True, slots=True)
class SlaRow:
    """First-response SLA of one Chatwoot source."""

    source: str
    latest: float | None
    lowest: float | None
    """The lowest compliance seen in the window."""
    target_s: float | None
    met: float | None
    breached: float | None
    waiting: float | None
    uptime: Mapping[str, Uptime | None]
    """Uptime over 24h, 7d and 30d ending with the window, with how much of each was recorded."""
    level: Level
    """The latest compliance against the target and floor of the rules in force."""
    uptime_levels: Mapping[str, Level]
    """Each uptime against the levels of the rule in force (`api_error_rate_high`)."""


@dataclass(frozen=True, slots=True)
class BreachRow:
    """A conversation that missed the first-response target (latest poll)."""

    source: str
    conversation: int
    inbox: str
    customer: str
    waited_s: float
    replied: bool


@dataclass(frozen=True, slots=True)
class ChannelRow:
    """Conversations and mean first response of one inbox channel type."""

    source: str
    channel: str
    conversations: float | None
    first_response_s: float | None


@dataclass(frozen=True, slots=True)
class QueueRow:
    """One Sidekiq queue: size and latency now and at their peak in the window."""

    source: str
    queue: str
    size: float | None
    size_peak: float | None
    latency_s: float | None
    latency_peak_s: float | None


@dataclass(frozen=True, slots=True)
class BacklogRow:
    """Pending conversations of one Chatwoot source (seed 004's backlog banners)."""

    source: str
    pending: float | None
    peak: float | None
    level: Level
    """The peak against the backlog and urgent thresholds of the rules in force."""


@dataclass(frozen=True, slots=True)
class GaugeRow:
    """Any series over the window: its last value, mean and maximum."""

    source: str
    name: str
    labels: Mapping[str, str]
    unit: str
    last: float | None
    mean: float | None
    max: float | None


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One thing that happened in the window (`tui.data.timeline` reads them)."""

    at: float
    kind: str
    """An alert event (`transition`, `ack`, `ack_expired`, `severity`, `flapping`),
    `silence`, an annotation (`note`, `pin`, `unpin`, `unsilence`), `source` or `errors`."""
    alert_id: int | None
    """The alert's id, None for every other kind."""
    subject: str
    """The alert's rule and labels, a silence's matchers, or the source it is about."""
    severity: str
    what: str
    """e.g. `pending → firing`, `acknowledged`, `silenced until 10:00Z`, `down`."""
    value: float | None
    """The alert's value; for `errors`, how many lines."""
    actor: str | None
    note: str | None
    """An ack's note, a silence's comment, an annotation's text, an error, a log line."""
    shown: str = ""
    """The value with its unit, as the alert's rule measures it."""
    set_at: float | None = None
    """When a pin was set (its `at` is the start it pins); None for other entries or unrecorded."""


@dataclass(frozen=True, slots=True)
class LogGroup:
    """Error lines of the window that differ only in numbers and ids."""

    shape: str
    count: int


@dataclass(frozen=True, slots=True)
class LogLine:
    """One cached log line."""

    at: float
    level: str
    source: str
    group: str
    stream: str
    message: str


@dataclass(frozen=True, slots=True)
class Spark:
    """One key series of a source over the window, in equal slots (None: no data)."""

    source: str
    label: str
    unit: str
    how: str
    """How a slot combines values: `mean`, `sum` or `max`."""
    values: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class SourceRow:
    """A source's state at the time of export."""

    name: str
    state: str
    last_success_at: float | None
    error: str | None


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Everything one export shows."""

    header: Header
    timeline: tuple[TimelineEntry, ...]
    """Everything that happened in the window, in time order (first in every format)."""
    health: Health
    active_alerts: tuple[ActiveAlert, ...]
    metrics: tuple[MetricRow, ...]
    latency: tuple[LatencyRow, ...]
    distributions: tuple[Distribution, ...]
    phases: tuple[PhaseRow, ...]
    sla: tuple[SlaRow, ...]
    breaches: tuple[BreachRow, ...]
    channels: tuple[ChannelRow, ...]
    backlog: tuple[BacklogRow, ...]
    queues: tuple[QueueRow, ...]
    queue_gauges: tuple[GaugeRow, ...]
    """Sidekiq's other counters and SQS depths."""
    cloudwatch: tuple[GaugeRow, ...]
    error_lines: int
    """Error-level log lines in the window."""
    log_groups: tuple[LogGroup, ...]
    log_lines: tuple[LogLine, ...]
    """The newest error lines, oldest first."""
    sparks: tuple[Spark, ...]
    sources: tuple[SourceRow, ...]
