"""The rules in force as a Prometheus alerting-rules file over the `/metrics` names.

Contract:

* `prometheus_rules(rules, interval_of)` returns one rule group, `wootwatch`,
  as YAML text that `promtool check rules` accepts. Each rule becomes an
  alert of the same name whose expression reads the families
  `collectors.metrics` serves (`metric_name`), with thresholds in the base
  unit (milliseconds as seconds, percent as 0-1).
* `for:` is the hold: a duration as given, `N checks` as the time N polls
  take (`(N - 1) * interval_of(series)`, since the first breaching check
  starts the clock). An escalation is a second alert of the same name with
  the higher severity and threshold (Alertmanager inhibits the lower one).
* Labels: `severity` and the rule's own `labels` of the watched series;
  annotations: `summary`, `runbook_url` and `value` (with the unit).
  Alerts are grouped by the rule's `group_by` labels, as wootwatch groups.
* A rule that Prometheus cannot express the way wootwatch evaluates it
  (a baseline over previous days, `M of N` checks, absence, the latest
  sample of a latency histogram) is written as a comment saying why, so
  the file names every rule in force.

Pure: no store, no network, nothing from Textual.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping
from typing import Final

import yaml

from collectors.alerts.rules import (
    AbsentCondition,
    BaselineCondition,
    PercentileCondition,
    RatioCondition,
    Rule,
    ThresholdCondition,
)
from collectors.durations import format_duration
from collectors.metrics import MetricName, metric_name
from collectors.series import CATALOGUE

__all__ = ["Unexpressible", "prometheus_rules", "rule_expression"]

GROUP: Final = "wootwatch"

_OVER_TIME: Final[Mapping[str, str]] = {
    "mean": "avg_over_time",
    "min": "min_over_time",
    "max": "max_over_time",
    "sum": "sum_over_time",
    "count": "count_over_time",
}
_ACROSS: Final[Mapping[str, str]] = {"max": "max", "min": "min", "sum": "sum", "mean": "avg"}
_UNIT_WORD: Final[Mapping[str, str]] = {"ms": "s", "s": "s", "%": "", "bytes": "bytes"}


class Unexpressible(Exception):
    """A rule Prometheus cannot evaluate as wootwatch does; the message says why."""


def _duration(seconds: float) -> str:
    return format_duration(seconds).replace(" ", "")


def _selector(name: str, labels: Mapping[str, str]) -> str:
    if not labels:
        return name
    matchers = ",".join(f"{k}={json.dumps(v)}" for k, v in sorted(labels.items()))
    return f"{name}{{{matchers}}}"


def _exposed(series: str) -> tuple[MetricName, bool]:
    """The series' `/metrics` name and whether it is a histogram there."""
    spec = {s.name: s for s in CATALOGUE}.get(series)
    return metric_name(series, spec.unit if spec else ""), bool(spec and spec.buckets)


def rule_expression(rule: Rule, value: float) -> str:
    """The PromQL that is true (non-empty) while `rule` breaches at threshold `value`.

    Raises:
        Unexpressible: Prometheus cannot evaluate this rule as wootwatch does.
    """
    condition = rule.condition
    exposed, histogram = _exposed(rule.series)
    by = f" by ({', '.join(rule.group_by)})" if rule.group_by else ""
    threshold = f"{value * exposed.scale:g}"
    if isinstance(condition, BaselineCondition):
        raise Unexpressible(
            "a baseline compares with the median of the same hour on previous days; "
            "PromQL has `offset` but no median across several of them"
        )
    if isinstance(condition, AbsentCondition):
        raise Unexpressible(
            "/metrics shows the latest stored value, so absence there is the source's "
            "`wootwatch_source_up == 0` (rule source_down) or Prometheus's `up == 0`"
        )
    if isinstance(condition, PercentileCondition):
        window = _duration(condition.window)
        if histogram:
            rate = f"rate({_selector(exposed.name + '_bucket', rule.labels)}[{window}])"
            keep = ", ".join(["le", *rule.group_by])
            inner = f"histogram_quantile({condition.q:g}, sum by ({keep}) ({rate}))"
            return f"{inner} {condition.op} {threshold}"
        over = f"quantile_over_time({condition.q:g}, {_selector(exposed.name, rule.labels)}"
        return f"max{by} ({over}[{window}])) {condition.op} {threshold}"
    if isinstance(condition, RatioCondition):
        if histogram:
            raise Unexpressible("a ratio of latency histograms has no meaning in wootwatch")
        window, over = _duration(condition.window), _OVER_TIME[condition.reduce]
        ref = condition.denominator
        denominator, _ = _exposed(ref.series or rule.series)
        top = f"sum{by} ({over}({_selector(exposed.name, rule.labels)}[{window}]))"
        bottom = f"sum{by} ({over}({_selector(denominator.name, ref.labels)}[{window}]))"
        return f"{top} / {bottom} {condition.op} {threshold}"
    assert isinstance(condition, ThresholdCondition)
    if histogram:
        return _histogram_threshold(rule, condition, exposed.name, by, value * exposed.scale)
    selector = _selector(exposed.name, rule.labels)
    if condition.reduce != "latest" and condition.window is not None:
        selector = f"{_OVER_TIME[condition.reduce]}({selector}[{_duration(condition.window)}])"
    return f"{_ACROSS[condition.across]}{by} ({selector}) {condition.op} {threshold}"


def _histogram_threshold(
    rule: Rule, condition: ThresholdCondition, name: str, by: str, seconds: float
) -> str:
    if condition.window is None or condition.reduce not in ("mean", "max"):
        raise Unexpressible(
            f"{rule.series} is a histogram in /metrics: it counts samples per bucket, "
            f"so a single poll's {'value' if condition.reduce == 'latest' else condition.reduce}"
            " is not there"
        )
    window = _duration(condition.window)
    if condition.reduce == "mean":
        total = f"sum{by} (rate({_selector(name + '_sum', rule.labels)}[{window}]))"
        count = f"sum{by} (rate({_selector(name + '_count', rule.labels)}[{window}]))"
        return f"{total} / {count} {condition.op} {seconds:g}"
    spec = {s.name: s for s in CATALOGUE}[rule.series]
    if condition.op not in (">", ">=") or seconds not in spec.buckets:
        raise Unexpressible(
            f"the maximum of a histogram is only known as 'above a bucket bound' "
            f"({', '.join(f'{b:g}' for b in spec.buckets)} s)"
        )
    above = {**rule.labels, "le": "+Inf"}
    at_most = {**rule.labels, "le": f"{seconds:g}"}
    return (
        f"sum{by} (increase({_selector(name + '_bucket', above)}[{window}])) - "
        f"sum{by} (increase({_selector(name + '_bucket', at_most)}[{window}])) > 0"
    )


def _hold(rule: Rule, interval: float) -> str | None:
    hold = rule.hold
    if hold.seconds is not None:
        return _duration(hold.seconds)
    if hold.of is not None:
        raise Unexpressible(
            f"`for: {hold}` counts breaching checks among the last {hold.of}; "
            "Prometheus's `for` needs the condition to hold without a break"
        )
    return _duration((hold.checks - 1) * interval) if hold.checks > 1 else None


def _alert(rule: Rule, interval: float) -> list[dict[str, object]]:
    exposed, _ = _exposed(rule.series)
    spec = {s.name: s for s in CATALOGUE}.get(rule.series)
    unit = _UNIT_WORD.get(spec.unit, "") if spec else ""
    value = "{{ $value | humanize }}" + (f" {unit}" if unit else "")
    if exposed.scale == 0.01:
        value = "{{ $value | humanizePercentage }}"
    hold = _hold(rule, interval)
    steps = [(rule.severity, getattr(rule.condition, "value", 0.0))]
    steps += [(step.severity, step.value) for step in rule.escalate]
    alerts: list[dict[str, object]] = []
    for severity, threshold in steps:
        alert: dict[str, object] = {"alert": rule.name, "expr": rule_expression(rule, threshold)}
        if hold:
            alert["for"] = hold
        alert["labels"] = {**rule.labels, "severity": str(severity)}
        annotations = {"summary": rule.summary or rule.name, "value": value}
        if rule.runbook:
            annotations["runbook_url"] = rule.runbook
        alert["annotations"] = annotations
        alerts.append(alert)
    return alerts


def prometheus_rules(rules: Iterable[Rule], interval_of: Callable[[str], float]) -> str:
    """The rules as a Prometheus rule file; `interval_of(series)` is its poll interval in s."""
    lines = [
        "# wootwatch's rules in force as Prometheus alerting rules over its /metrics.",
        "# Written by `wootwatch rules export --format prometheus`; rules Prometheus",
        "# cannot evaluate as wootwatch does are comments that say why.",
        "groups:",
        f"  - name: {GROUP}",
        "    rules:",
    ]
    for rule in rules:
        interval = interval_of(rule.series)
        try:
            alerts = _alert(rule, interval)
        except Unexpressible as why:
            lines.append(f"      # {rule.name}: not expressed: {why}")
            continue
        note = f" (a check is a poll, every {_duration(interval)})" if rule.hold.checks > 1 else ""
        lines.append(
            f"      # {rule.name}: {rule.series} {rule.condition.type}, for {rule.hold}{note}"
        )
        text = yaml.safe_dump(alerts, sort_keys=False, allow_unicode=False, width=1000)
        lines += ["      " + line for line in text.rstrip("\n").splitlines()]
    return "\n".join(lines) + "\n"
