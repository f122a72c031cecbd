"""A simulated Chatwoot stack: every series the real sources write, with scripted incidents.

`wootwatch --demo` runs one source per part (chatwoot, sidekiq, pipeline, aws,
logs). Values are a pure function of the seed, the part and the time, so the
same clock gives the same screen. A scripted incident repeats every
`incident_every`, starting 10 s after the collector is created so that every
screen has something to show within 30 s:

* +0 s   API and pipeline latency spike (p95 past 5 s) and infrastructure CPU climbs;
* +20 s  queue backlog builds: Sidekiq enqueued and latency, pending and
  unassigned conversations (past seed 004's 20-pending red banner), SLA drops;
* +30 s  error burst in the logs and failed Sidekiq jobs;
* +150 s everything has recovered.

On its first poll a part also returns the last hour at one-minute spacing, so
sparklines and percentiles are filled from the start.

Sample config:

```yaml
sources:
  - type: demo
    name: chatwoot
    part: chatwoot      # chatwoot | sidekiq | pipeline | aws | logs
    interval: 5s
    seed: 7
    incident_every: 5m
```
"""

from __future__ import annotations

import math
import random
import time
from collections.abc import Callable
from typing import ClassVar, Literal, get_args

from pydantic import Field

from collectors.base import Duration, LogEvent, Record, Sample, SourceConfig

__all__ = [
    "COLLECTOR",
    "INCIDENT_DELAY",
    "DemoCollector",
    "DemoConfig",
    "demo_sources",
    "incident_levels",
]

INCIDENT_DELAY = 10.0
"""Seconds from start to the first scripted incident."""
_BACKFILL = 3600.0
_BACKFILL_STEP = 60.0


DemoPart = Literal["chatwoot", "sidekiq", "pipeline", "aws", "logs"]


class DemoConfig(SourceConfig):
    """A simulated part of the stack; `wootwatch --demo` runs one of each part."""

    type: Literal["demo"] = "demo"
    part: DemoPart = "chatwoot"
    """Which part of the simulated stack this source plays."""
    seed: int = 7
    """Seed of the simulation: the same seed and clock give the same series."""
    interval: Duration = 5.0
    incident_every: Duration = Field(default=300.0, ge=120.0)
    """How often the scripted incident (latency spike, backlog, error burst) repeats."""

    def writes(self, series: str) -> bool:
        """Whether this part writes `series`: those named after the part it plays."""
        return super().writes(series) or series.startswith(f"{self.part}.")


def demo_sources(seed: int = 7) -> list[DemoConfig]:
    """One source per part of the simulated stack: what `wootwatch --demo` runs."""
    return [DemoConfig(name=part, part=part, seed=seed) for part in get_args(DemoPart)]


def _trapezoid(phase: float, start: float, rise: float, fall_at: float, end: float) -> float:
    if phase < start or phase >= end:
        return 0.0
    if phase < start + rise:
        return (phase - start) / rise
    if phase < fall_at:
        return 1.0
    return (end - phase) / (end - fall_at)


def incident_levels(phase: float) -> tuple[float, float, float]:
    """Spike, backlog and error intensity (0..1) at `phase` seconds into an incident cycle."""
    spike = _trapezoid(phase, 0, 15, 75, 90)
    backlog = _trapezoid(phase, 20, 40, 100, 150)
    errors = _trapezoid(phase, 30, 5, 85, 100)
    return spike, backlog, errors


_ENDPOINT_MEDIAN_MS = {
    "health": 140.0,
    "conversations": 600.0,
    "conversations_meta": 300.0,
    "reports": 900.0,
}
_QUEUES = ("critical", "high", "default", "mailers", "low")
_INFO_LINES = (
    'Started GET "/api/v1/accounts/1/conversations" for 10.0.3.17',
    "Completed 200 OK in 412ms (Views: 0.4ms | ActiveRecord: 38.1ms)",
    "Conversations::ReopenSnoozedConversationsJob finished in 0.84s",
    "ActionCable broadcast to account_1 (RoomChannel)",
    "Webhooks::WebhookJob processed for inbox 4 in 0.31s",
)
_ERROR_LINES = (
    "PG::QueryCanceled: ERROR:  canceling statement due to statement timeout",
    "Net::ReadTimeout with #<TCPSocket:(closed)> in Webhooks::Trigger",
    "ActiveStorage::FileNotFoundError (ActiveStorage::FileNotFoundError)",
    "Sidekiq job Conversations::ActivityMessageJob failed: Redis::TimeoutError",
    "Rack::Timeout::RequestTimeoutException: Request waited 15002ms",
)


class DemoCollector:
    """Plays one part of the simulated stack.

    Args:
        config: the demo source entry.
        clock: wall-clock time (fixed in snapshot tests).
    """

    config_model: ClassVar[type[SourceConfig]] = DemoConfig

    def __init__(self, config: SourceConfig, *, clock: Callable[[], float] = time.time) -> None:
        assert isinstance(config, DemoConfig)
        self._config = config
        self._clock = clock
        self._origin = clock() + INCIDENT_DELAY
        self._backfilled = False

    @property
    def notes(self) -> str | None:
        """The demo never fails in part."""
        return None

    async def collect(self) -> list[Record]:
        """Return this part's readings now, plus the last hour on the first poll."""
        now = self._clock()
        records: list[Record] = []
        if not self._backfilled:
            self._backfilled = True
            steps = int(_BACKFILL / _BACKFILL_STEP)
            for back in range(steps, 0, -1):
                records.extend(self.readings_at(now - back * _BACKFILL_STEP, _BACKFILL_STEP))
        records.extend(self.readings_at(now, self._config.interval))
        return records

    async def aclose(self) -> None:
        """Nothing to release."""

    def readings_at(self, ts: float, span: float) -> list[Record]:
        """What this part reads at `ts`, covering the last `span` seconds of activity."""
        config = self._config
        phase = (ts - self._origin) % config.incident_every
        tick = math.floor(ts / config.interval)
        rng = random.Random(f"{config.seed}:{config.part}:{tick}")
        simulate = _PARTS[config.part]
        return simulate(_Reading(ts, span, rng, *incident_levels(phase)))


class _Reading:
    """One instant of the simulation: the time, the noise source and the incident levels."""

    def __init__(
        self,
        ts: float,
        span: float,
        rng: random.Random,
        spike: float,
        backlog: float,
        errors: float,
    ) -> None:
        self.ts, self.span, self.rng = ts, span, rng
        self.spike, self.backlog, self.errors = spike, backlog, errors
        self.records: list[Record] = []

    def gauge(self, series: str, value: float, unit: str = "", **labels: str) -> None:
        self.records.append(Sample(series, round(value, 3), self.ts, labels, unit))

    def noisy(self, base: float, spread: float = 0.08) -> float:
        return max(0.0, base * (1 + self.rng.gauss(0, spread)))

    def latencies(self, median: float, n: int, sigma: float = 0.45) -> list[float]:
        return [median * math.exp(self.rng.gauss(0, sigma)) for _ in range(n)]

    def per_span(self, per_minute: float) -> int:
        """A Poisson-ish count of events over the span at a rate per minute."""
        expected = per_minute * self.span / 60
        return max(0, round(expected + self.rng.gauss(0, math.sqrt(expected + 0.01))))


def _chatwoot(r: _Reading) -> list[Record]:
    r.gauge("chatwoot.up", 1.0, check="api")
    r.gauge("chatwoot.up", 1.0, check="health")
    for endpoint, median in _ENDPOINT_MEDIAN_MS.items():
        for value in r.latencies(median * (1 + 9 * r.spike), 12):
            r.gauge("chatwoot.api.latency_ms", value, "ms", endpoint=endpoint)
    pending = 4 + 24 * r.backlog
    for status, base in (("open", 38 + 30 * r.backlog), ("pending", pending), ("snoozed", 3.0)):
        r.gauge("chatwoot.conversations", round(r.noisy(base)), "count", status=status)
    r.gauge("chatwoot.conversations", 212 + r.ts % 86400 / 600, "count", status="resolved")
    r.gauge("chatwoot.conversations.unassigned", round(r.noisy(3 + 14 * r.backlog)), "count")
    r.gauge("chatwoot.conversations.unattended", round(r.noisy(5 + 18 * r.backlog)), "count")
    r.gauge("chatwoot.conversations.new_per_hour", round(r.noisy(24 + 30 * r.backlog)), "count")
    for waited in r.latencies(240 * (1 + 5 * r.backlog), 3, sigma=0.7):
        r.gauge("chatwoot.first_response_s", waited, "s")
    r.gauge("chatwoot.sla.compliance_pct", min(100.0, r.noisy(97 - 22 * r.backlog, 0.01)), "%")
    for status, base in (("online", 6.0), ("busy", 2 + 3 * r.backlog), ("offline", 4.0)):
        r.gauge("chatwoot.agents", round(base), "count", status=status)
    return r.records


def _sidekiq(r: _Reading) -> list[Record]:
    for queue in _QUEUES:
        heavy = queue in ("default", "high")
        size = r.noisy(3 + (380 if heavy else 25) * r.backlog, 0.15)
        r.gauge("sidekiq.queue.size", round(size), "count", queue=queue)
        r.gauge("sidekiq.queue.latency_s", r.noisy(0.4 + 140 * r.backlog, 0.2), "s", queue=queue)
    r.gauge("sidekiq.scheduled", round(r.noisy(31)), "count")
    r.gauge("sidekiq.retries", round(2 + 45 * r.errors), "count")
    r.gauge("sidekiq.dead", 7 + math.floor(r.ts / 86400) % 5, "count")
    r.gauge("sidekiq.busy", round(min(10, r.noisy(3 + 7 * r.backlog))), "count")
    r.gauge("sidekiq.processes", 2, "count")
    r.gauge("sidekiq.processed_per_min", round(r.noisy(620 - 300 * r.backlog)), "count")
    r.gauge("sidekiq.failed_per_min", round(r.noisy(1 + 70 * r.errors)), "count")
    return r.records


def _pipeline(r: _Reading) -> list[Record]:
    messages = r.latencies(1250 * (1 + 5 * r.spike + 3 * r.backlog), 10, sigma=0.6)
    for value in messages:
        r.gauge("pipeline.latency_ms", value, "ms")
    under_5s = sum(1 for v in messages if v < 5000)
    r.gauge("pipeline.sla_pct", 100.0 * under_5s / len(messages), "%")
    phases = {
        "queue_to_worker": 250 + 4000 * r.backlog,
        "worker_processing": 1200 + 1500 * r.spike,
        "worker_to_chatwoot": 400 + 2500 * r.spike,
    }
    for phase, base in phases.items():
        r.gauge("pipeline.phase_ms", r.noisy(base), "ms", phase=phase)
    partial = r.per_span(0.5 + 6 * r.errors)
    r.gauge("pipeline.messages", len(messages), "count", kind="complete")
    r.gauge("pipeline.messages", partial, "count", kind="partial")
    return r.records


def _aws(r: _Reading) -> list[Record]:
    for service, cpu, memory in (("web", 35.0, 58.0), ("worker", 28.0, 71.0)):
        r.gauge("aws.ecs.cpu_pct", min(100, r.noisy(cpu + 50 * r.spike)), "%", service=service)
        r.gauge(
            "aws.ecs.memory_pct",
            min(100, r.noisy(memory + 15 * r.backlog, 0.02)),
            "%",
            service=service,
        )
    r.gauge("aws.rds.cpu_pct", min(100, r.noisy(24 + 55 * r.spike)), "%", db="chatwoot-prod")
    r.gauge("aws.rds.connections", round(r.noisy(42 + 70 * r.backlog)), "count", db="chatwoot-prod")
    r.gauge("aws.rds.read_latency_ms", r.noisy(1.8 + 25 * r.spike), "ms", db="chatwoot-prod")
    r.gauge("aws.rds.write_latency_ms", r.noisy(2.6 + 18 * r.spike), "ms", db="chatwoot-prod")
    r.gauge("aws.sqs.oldest_age_s", r.noisy(2 + 300 * r.backlog, 0.1), "s", queue="chatwoot-events")
    return r.records


def _logs(r: _Reading) -> list[Record]:
    counts = {
        "info": r.per_span(12),
        "warning": r.per_span(1 + 6 * r.backlog),
        "error": r.per_span(0.3 + 40 * r.errors),
    }
    for level, count in counts.items():
        lines = _ERROR_LINES if level == "error" else _INFO_LINES
        for index in range(count):
            text = r.rng.choice(lines)
            if level == "warning":
                text = f"Slow request: {text}"
            r.records.append(
                LogEvent(
                    ts=r.ts - r.rng.uniform(0, r.span),
                    message=text,
                    group="/aws/ecs/chatwoot-prod-web",
                    stream=f"web/{r.rng.choice(('a1f3', 'b7c2'))}",
                    level=level,
                    event_id=f"{r.ts:.3f}:{level}:{index}",
                )
            )
        r.gauge("logs.lines_per_min", count * 60 / max(r.span, 1), "count", level=level)
    return r.records


_PARTS: dict[str, Callable[[_Reading], list[Record]]] = {
    "chatwoot": _chatwoot,
    "sidekiq": _sidekiq,
    "pipeline": _pipeline,
    "aws": _aws,
    "logs": _logs,
}

COLLECTOR = DemoCollector
"""The registry entry of this source."""
