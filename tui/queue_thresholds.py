"""When the Queues screen marks a queue: the thresholds of the default rule pack.

Contract:

* Depth: `queue_depth_high` (more than 50 jobs is a warning, more than 100
  an error). The rule watches the sum over every Sidekiq queue; the screen
  marks that total with it, and each queue (Sidekiq or SQS) on its own too,
  so the deep one stands out.
* Wait: `pipeline_queue_wait_high` (a message waiting more than 5 s before a
  worker takes it). The screen applies it to Sidekiq's queue latency and to
  SQS's oldest message age, which measure the same wait.
* Failures: `webhook_delivery_failed` (more than 10 % of Sidekiq jobs
  failing), applied to the latest failed and processed per minute.

A mark is an icon and a word (`▲ deep`, `✖ deep`, `▲ slow`, `✖ failing`),
never colour alone. The numbers come from `collectors.rules.default_rules`,
so moving a default there moves the mark here.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from collectors.rules import RatioCondition, Rule, ThresholdCondition, default_rules
from widgets.reading_cell import Level

__all__ = ["QueueThresholds", "default_thresholds"]

_ICONS: dict[Level, str] = {"ok": "", "warning": "▲", "error": "✖"}


@dataclass(frozen=True, slots=True)
class QueueThresholds:
    """The numbers behind the marks."""

    depth_warning: float
    """More jobs than this waiting is a warning."""
    depth_error: float | None
    """More than this is an error (None: never)."""
    wait_warning_s: float
    """The oldest waiting longer than this (seconds) is a warning."""
    failed_share: float
    """Failed jobs above this share of processed ones (0.1 = 10 %) is an error."""

    def depth(self, value: float | None) -> tuple[Level, str]:
        """The level and mark of a queue depth."""
        level: Level = "ok"
        if value is not None and value > self.depth_warning:
            level = "warning"
            if self.depth_error is not None and value > self.depth_error:
                level = "error"
        return level, _mark(level, "deep")

    def wait(self, seconds: float | None) -> tuple[Level, str]:
        """The level and mark of how long the oldest job or message has waited."""
        level: Level = "warning" if seconds is not None and seconds > self.wait_warning_s else "ok"
        return level, _mark(level, "slow")

    def failures(self, failed: float | None, processed: float | None) -> tuple[Level, str]:
        """The level and mark of failed jobs per minute against processed ones."""
        level: Level = "ok"
        if failed is not None and processed and failed / processed > self.failed_share:
            level = "error"
        return level, _mark(level, "failing")


def _mark(level: Level, word: str) -> str:
    return f"{_ICONS[level]} {word}" if level != "ok" else ""


@cache
def default_thresholds() -> QueueThresholds:
    """The thresholds of the default rule pack."""
    rules = {rule.name: rule for rule in default_rules()}
    depth = _threshold(rules["queue_depth_high"])
    wait = _threshold(rules["pipeline_queue_wait_high"])
    failed = rules["webhook_delivery_failed"].condition
    assert isinstance(failed, RatioCondition)
    errors = [step.value for step in rules["queue_depth_high"].escalate]
    return QueueThresholds(
        depth_warning=depth,
        depth_error=min(errors, default=None),
        wait_warning_s=wait / 1000.0,  # the rule watches pipeline.phase_ms
        failed_share=failed.value,
    )


def _threshold(rule: Rule) -> float:
    condition = rule.condition
    assert isinstance(condition, ThresholdCondition), rule.name
    return condition.value
