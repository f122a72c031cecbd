"""What an alert's value is: its unit, the statistic and window its rule takes, the text.

Contract:

* An alert's value is written with the unit of its rule's series, taken
  from the series catalogue (`collectors.series`), through the one
  formatter (`widgets.vocab.format_value`): `44.3s`, not `44339`. A ratio
  reads as a percentage (`11.1%`), a baseline as a factor (`×2.10`), a
  1/0 check as `✖ down`/`✔ up`, its mean over a window as a share (`78.0%`).
* `measure` names the statistic and window the rule judges (`p95 5m`,
  `mean 15m`, `latest`), so that a mark beside a number says which number
  it is; `latest` is the newest poll.
* "since" is one thing everywhere: `since(alert)`, the first start of the
  alert's current episode (its row's start; a breach within the reopen
  window continues the same episode). The last state change is "changed".

No Textual, no store: the alerts screen, the overview, the incident view,
`wootwatch alerts` and the exports all take their alert figures from here.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Final

from collectors.alerts.book import AlertRow
from collectors.durations import format_duration
from collectors.series import by_name
from widgets.vocab import NO_VALUE, format_value

if TYPE_CHECKING:  # conditions are told apart by their `type`: `alerts --json` loads no pydantic
    from collectors.alerts.rules import Rule

__all__ = ["alert_value", "measure", "rule_figure", "rule_unit", "since"]

_CHECK: Final = "1/0"
_UP_DOWN: Final = ("✖ down", "✔ up")
_UNITS: Final = {name: spec.unit for name, spec in by_name().items()}


def since(alert: AlertRow) -> float:
    """When the alert's current episode first started: what "since" means everywhere."""
    return alert.started_at


def rule_unit(rule: Rule) -> str:
    """The unit of the raw value `rule` judges: its series' unit from the catalogue.

    `fraction` for a ratio or the mean of a 1/0 check (0.78 is 78 %), `factor`
    for a baseline, `count` for a count of samples, `` for an absence or a
    series the catalogue does not know.
    """
    condition = rule.condition
    if condition.type == "ratio":
        return "fraction"
    if condition.type == "baseline":
        return "factor"
    if condition.type == "absent":
        return ""
    if condition.type == "threshold" and condition.reduce == "count":
        return "count"
    unit = _UNITS.get(rule.series, "")
    shares = ("mean", "sum")
    if unit == _CHECK and condition.type == "threshold" and condition.reduce in shares:
        return "fraction"
    return unit


def measure(rule: Rule) -> str:
    """The statistic and window `rule` judges, short: `p95 5m`, `mean 15m`, `latest`."""
    condition = rule.condition
    if condition.type == "percentile":
        return f"p{round(condition.q * 100)} {format_duration(condition.window)}"
    if condition.type == "ratio":
        return f"ratio {format_duration(condition.window)}"
    if condition.type == "baseline":
        return f"vs {condition.days}d"
    if condition.type == "absent":
        return f"absent {format_duration(condition.after)}"
    if condition.reduce == "latest" or condition.window is None:
        return "latest"
    return f"{condition.reduce} {format_duration(condition.window)}"


def alert_value(alert: AlertRow, rules: Mapping[str, Rule]) -> str:
    """An alert's value with its unit, as its rule measures it; `–` without a value.

    Args:
        alert: the alert.
        rules: the rules in force by name; an alert of an unknown rule reads as a bare number.
    """
    return rule_figure(alert.value, rules.get(alert.rule))


def rule_figure(value: float | None, rule: Rule | None) -> str:
    """A value `rule` judged (an alert's, or one of its history's), with its unit.

    Args:
        value: the value.
        rule: the rule; None reads as a bare number.
    """
    if rule is not None and rule.condition.type == "absent":
        return "absent"
    if value is None:
        return NO_VALUE
    if rule is None:
        return format_value(value)
    unit = rule_unit(rule)
    if unit == "factor":
        return f"×{value:.2f}"
    if unit == _CHECK:
        return _UP_DOWN[1 if value >= 0.5 else 0]
    if unit == "fraction":
        return format_value(100.0 * value, "%")
    return format_value(value, unit)
