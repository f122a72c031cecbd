"""The thresholds every screen, banner, gauge, mark and export colours a number against.

Contract:

* Every number comes from the rules in force: the default pack merged with
  the config's `rules:` (`collectors.alerts.rules.effective_rules`), read here and
  nowhere else. Overriding `queue_depth_high` in the config moves the Queues
  marks, the export's status column and its health score together.
* A rule's own threshold is the warning level and its first escalation the
  critical one (`chatwoot_pending_backlog`: more than 10 pending is a
  backlog, more than 20 urgent). A rule that starts at `error` or
  `critical` and does not escalate gives only the critical level.
* A rule the config disables still lends its default numbers: the screens
  keep colouring the figure; only the alert is off.
* The one number no rule carries is seed 004's compliance target (95 %, the
  green band of the SLA gauge); the floor below it is
  `chatwoot_sla_compliance_low`, and a floor above the target lifts the target.
* The export's API p95 (degraded, then critical), message p95 and mean and
  the API check's uptime (`api_error_rate_high`, in percent) come from their
  rules too. ECS memory keeps seed 000's levels: its only rule watches the
  worker service alone, the export every service.

No Textual, no store: plain values for widgets and the export to take.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from typing import Final, Literal

from collectors.alerts.rules import (
    PercentileCondition,
    RatioCondition,
    Rule,
    ThresholdCondition,
    default_rules,
)
from collectors.alerts.terms import Severity, compare

__all__ = [
    "SLA_TARGET",
    "Band",
    "Limit",
    "QueueMarks",
    "Thresholds",
    "default_thresholds",
    "gauge_bands",
    "thresholds",
]

Band = Literal["ok", "warning", "critical"]
"""Where a figure stands against a `Limit`."""
Mark = Literal["ok", "warning", "error"]
"""A queue mark's level, as the Queues screen's cells take it."""

SLA_TARGET: Final = 95.0
"""Seed 004: first-response compliance at or above this is on target (green)."""

_BAND_MARKS: Final[dict[Band, Mark]] = {"ok": "ok", "warning": "warning", "critical": "error"}


@dataclass(frozen=True, slots=True)
class Limit:
    """The warning and critical levels of one figure, and the rule they come from."""

    rule: str
    """The rule that sets them, e.g. `queue_depth_high`."""
    op: str
    """How the figure is compared with them (`>`, `>=`, `<`, `<=`), as the rule does."""
    warn: float | None
    """Past this is a warning (None: no warning level)."""
    crit: float | None
    """Past this is critical (None: no critical level)."""

    @property
    def higher_is_better(self) -> bool:
        """True when a figure below the levels is the bad side (compliance, uptime)."""
        return self.op in ("<", "<=")

    def band(self, value: float | None) -> Band | None:
        """The band of `value`; None without a (finite) value."""
        if value is None or not math.isfinite(value):
            return None
        if self.crit is not None and compare(self.op, value, self.crit):
            return "critical"
        if self.warn is not None and compare(self.op, value, self.warn):
            return "warning"
        return "ok"


@dataclass(frozen=True, slots=True)
class QueueMarks:
    """When the Queues screen marks a queue (it draws the level as an icon and a word)."""

    depth: Limit
    """Jobs or messages waiting (`queue_depth_high`)."""
    wait_s: float | None
    """Waiting longer than this many seconds is a warning (`pipeline_queue_wait_high`)."""
    failed_share: float | None
    """Failed jobs above this share of processed ones is an error (`webhook_delivery_failed`)."""

    def depth_level(self, value: float | None) -> Mark:
        """The level of a queue depth."""
        return _BAND_MARKS[self.depth.band(value) or "ok"]

    def wait_level(self, seconds: float | None) -> Mark:
        """The level of how long the oldest job or message has waited."""
        late = seconds is not None and self.wait_s is not None and seconds > self.wait_s
        return "warning" if late else "ok"

    def failures_level(self, failed: float | None, processed: float | None) -> Mark:
        """The level of failed jobs per minute against processed ones."""
        failing = (
            failed is not None
            and bool(processed)
            and self.failed_share is not None
            and failed / (processed or 1.0) > self.failed_share
        )
        return "error" if failing else "ok"


@dataclass(frozen=True, slots=True)
class Thresholds:
    """Every threshold the screens and exports use, from one set of rules."""

    backlog: Limit
    """Pending conversations: a backlog, then urgent (`chatwoot_pending_backlog`)."""
    sla: Limit
    """First-response compliance: the target, then the floor (`chatwoot_sla_compliance_low`)."""
    message_sla: Limit
    """Messages within 5 s, in percent (`pipeline_sla_compliance_low`)."""
    queue_wait_ms: Limit
    """The wait from queue to worker, in milliseconds (`pipeline_queue_wait_high`)."""
    queues: QueueMarks
    """The Queues screen's marks (queue depth, wait, failing jobs)."""
    api_p95: Limit
    """Chatwoot API p95 in ms: degraded, then critical (`chatwoot_response_time_degraded`,
    `chatwoot_response_time_critical`)."""
    message_p95: Limit
    """A message's p95 from queue to Chatwoot in ms (`pipeline_p95_latency_high`)."""
    message_mean: Limit
    """A message's mean from queue to Chatwoot in ms (`pipeline_mean_latency_high`)."""
    uptime: Limit
    """The API check's uptime in percent (`api_error_rate_high`, whose levels are fractions)."""


def gauge_bands(limit: Limit) -> tuple[float, float]:
    """A compliance limit as a gauge's (target, floor): one level serves as both when alone.

    A limit with neither level (a rule turned into a non-threshold condition)
    gives (0, 0): every figure is on target.
    """
    target = limit.warn if limit.warn is not None else limit.crit
    floor = limit.crit if limit.crit is not None else limit.warn
    return (target or 0.0, floor or 0.0)


def thresholds(rules: Iterable[Rule] = ()) -> Thresholds:
    """The thresholds of `rules` (the rules in force); the default pack fills any gap.

    Args:
        rules: the effective rules (`config.effective_rules`); empty for the default pack.
    """
    given = tuple(rules)
    if not given:
        return default_thresholds()
    return _build({**_default_by_name(), **{rule.name: rule for rule in given}})


@cache
def default_thresholds() -> Thresholds:
    """The thresholds of the default rule pack."""
    return _build(_default_by_name())


def _default_by_name() -> dict[str, Rule]:
    return {rule.name: rule for rule in default_rules()}


def _build(rules: Mapping[str, Rule]) -> Thresholds:
    floor = _limit(rules["chatwoot_sla_compliance_low"])
    target = SLA_TARGET if floor.crit is None else max(SLA_TARGET, floor.crit)
    wait = _limit(rules["pipeline_queue_wait_high"])
    failed = _limit(rules["webhook_delivery_failed"])
    degraded = _limit(rules["chatwoot_response_time_degraded"])
    slow = _limit(rules["chatwoot_response_time_critical"])
    up = _limit(rules["api_error_rate_high"])
    return Thresholds(
        backlog=_limit(rules["chatwoot_pending_backlog"]),
        sla=Limit(floor.rule, floor.op, target, floor.crit),
        message_sla=_limit(rules["pipeline_sla_compliance_low"]),
        queue_wait_ms=wait,
        queues=QueueMarks(
            depth=_limit(rules["queue_depth_high"]),
            wait_s=None if wait.warn is None else wait.warn / 1000.0,
            failed_share=failed.crit if failed.crit is not None else failed.warn,
        ),
        api_p95=Limit(f"{degraded.rule}, {slow.rule}", degraded.op, degraded.warn, slow.crit),
        message_p95=_limit(rules["pipeline_p95_latency_high"]),
        message_mean=_limit(rules["pipeline_mean_latency_high"]),
        uptime=Limit(up.rule, up.op, _percent(up.warn), _percent(up.crit)),
    )


def _percent(fraction: float | None) -> float | None:
    return None if fraction is None else 100.0 * fraction


def _limit(rule: Rule) -> Limit:
    """A rule's threshold as the warning level, its first escalation as the critical one."""
    condition = rule.condition
    if not isinstance(condition, ThresholdCondition | PercentileCondition | RatioCondition):
        return Limit(rule.name, ">", None, None)
    if rule.escalate:
        return Limit(rule.name, condition.op, condition.value, rule.escalate[0].value)
    if rule.severity.rank >= Severity.ERROR.rank:
        return Limit(rule.name, condition.op, None, condition.value)
    return Limit(rule.name, condition.op, condition.value, None)
