"""The key numbers of the overview and the incident view: which series, how to read them.

Contract:

* `KEY_METRICS` is the catalogue's key numbers (`collectors.series.KEY_NUMBERS`)
  that the overview, the incident view or an alert shows, most telling first:
  a spec names a series and a label subset, how several matching series
  reduce to one number (`latest`, `sum`, `max`, `min`, or `p95` over the last
  5 minutes) and how its sparkline combines them per slot (the peak for `max`
  and `p95`, so a spike shows). A `1/0` series reads as up or down.
* `read_metric` reads one spec for one source: its number, a sparkline of a
  window (rollups for slots of a minute or more), and whether a firing alert
  is about it. A number an alert is about shows the alert's own value (with
  the unit of the rule's series) and, beside it, the statistic and window the
  rule takes (`p95 5m`): the mark and the alert never disagree.
* `alert_targets` says which series the firing alerts are about, through the
  rules the TUI was given by name (the config's effective rules; the default
  pack when attached without a config). An alert of a rule it does not know
  marks no series.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final, Literal

from collectors.alerts.book import AlertRow
from collectors.alerts.rules import Rule
from collectors.alerts.state import AlertState
from collectors.series import CATALOGUE, KEY_NUMBERS, KeyNumber, Place, Reduce
from collectors.store.database import SeriesInfo, Store
from tui.data.alert_values import alert_value, measure
from tui.data.reader import StoreReader
from widgets.metric_row import MetricReading
from widgets.vocab import format_value

__all__ = [
    "KEY_METRICS",
    "Alarm",
    "AlertTarget",
    "MetricSpec",
    "alarm_for",
    "alert_targets",
    "firing_alerts",
    "read_metric",
    "series_by_source",
    "spec_for",
]

P95_WINDOW: Final = 300.0
"""Seconds a `p95` number looks back (the console summary's window too)."""

Labels = tuple[tuple[str, str], ...]


def compatible(left: Labels, right: Labels) -> bool:
    """Whether two label subsets can describe the same series (no label differs)."""
    theirs = dict(right)
    return all(theirs.get(key, value) == value for key, value in left)


@dataclass(frozen=True, slots=True)
class MetricSpec:
    """A key number: which series, how to reduce it, its label."""

    series: str
    label: str
    reduce: Reduce = "latest"
    labels: Labels = ()
    """Only series with these label values."""
    words: tuple[str, str] | None = None
    """How 0 and 1 read (a check that is down or up), instead of the number."""
    overview: bool = True
    """Shown on the overview; False for numbers shown only when an alert is about them."""
    headline: bool = False
    """One of the numbers the incident view charts after those the alerts are about."""

    def matches(self, info: SeriesInfo) -> bool:
        """Whether a stored series is one this number reads."""
        return info.name == self.series and all(info.labels.get(k) == v for k, v in self.labels)

    @property
    def spark(self) -> Literal["mean", "max", "sum"]:
        """How several series combine in one sparkline slot."""
        if self.reduce in ("max", "p95"):
            return "max"
        return "sum" if self.reduce == "sum" else "mean"


_UP_DOWN: Final = ("✖ down", "✔ up")
_UNITS: Final = {spec.name: spec.unit for spec in CATALOGUE}
_SCREENS: Final[frozenset[Place]] = frozenset({"overview", "incident", "alert"})


def _spec(number: KeyNumber) -> MetricSpec:
    return MetricSpec(
        number.series,
        number.label,
        number.reduce,
        number.labels,
        words=_UP_DOWN if _UNITS[number.series] == "1/0" else None,
        overview="overview" in number.shown,
        headline="incident" in number.shown,
    )


KEY_METRICS: Final[tuple[MetricSpec, ...]] = tuple(
    _spec(number) for number in KEY_NUMBERS if number.shown & _SCREENS
)
"""Every key number, most telling first; the overview shows those with `overview`."""


@dataclass(frozen=True, slots=True)
class Alarm:
    """The firing alert a key number is about, as its mark shows it."""

    value: str
    """The alert's value with its unit, e.g. `2.6s`."""
    measure: str
    """The statistic and window its rule takes, e.g. `p95 5m`."""


@dataclass(frozen=True, slots=True)
class AlertTarget:
    """What one firing alert is about: a series (and labels) of a source."""

    source: str | None
    """The source the alert is grouped by, or None when it covers every source."""
    series: str
    labels: Labels
    alarm: Alarm | None = field(default=None, compare=False)
    """The first (most severe) alert about it, as a mark shows it."""


async def firing_alerts(reader: StoreReader, now: float) -> list[AlertRow]:
    """The alerts firing now, most severe first, then oldest first (nearest the cause)."""
    firing = [a for a in await reader.book.visible(now) if a.state is AlertState.FIRING]
    firing.sort(key=lambda a: (-a.severity.rank, a.started_at, a.id))
    return firing


async def series_by_source(store: Store) -> dict[str, list[SeriesInfo]]:
    """Every stored series with its latest value, by source."""
    found: dict[str, list[SeriesInfo]] = defaultdict(list)
    for info in await store.series():
        found[info.source].append(info)
    return found


def alert_targets(alerts: Iterable[AlertRow], rules: Mapping[str, Rule]) -> list[AlertTarget]:
    """The series the alerts are about, in the alerts' order, without repeats.

    Args:
        alerts: the alerts.
        rules: the rules they come from, by name.
    """
    targets: list[AlertTarget] = []
    for alert in alerts:
        rule = rules.get(alert.rule)
        if rule is None:
            continue
        grouped = {k: v for k, v in alert.labels.items() if k != "source"}
        target = AlertTarget(
            alert.labels.get("source"),
            rule.series,
            tuple(sorted({**rule.labels, **grouped}.items())),
            Alarm(alert_value(alert, rules), measure(rule)),
        )
        if target not in targets:
            targets.append(target)
    return targets


def alarm_for(spec: MetricSpec, source: str, targets: Iterable[AlertTarget]) -> Alarm | None:
    """The most severe firing alert about this number of this source, or None."""
    return next(
        (
            t.alarm
            for t in targets
            if t.series == spec.series
            and t.source in (None, source)
            and compatible(spec.labels, t.labels)
        ),
        None,
    )


def spec_for(target: AlertTarget) -> MetricSpec:
    """The key number an alert is about; a plain one named after its series if none is."""
    for spec in KEY_METRICS:
        if spec.series == target.series and compatible(spec.labels, target.labels):
            return spec
    label = ".".join(target.series.split(".")[-2:])
    return MetricSpec(target.series, label, labels=target.labels)


async def read_metric(
    store: Store,
    spec: MetricSpec,
    series: Sequence[SeriesInfo],
    window: tuple[float, float],
    points: int,
    *,
    now: float,
    alarm: Alarm | None = None,
) -> MetricReading | None:
    """The number of `spec` at `now` and its sparkline over `window`, from the `series`.

    With an `alarm`, the number is the alert's own, noted with its statistic and window.

    Returns:
        None when no series matches or none has a value yet.
    """
    found = [s for s in series if spec.matches(s)]
    latest = [s.last_value for s in found if s.last_value is not None]
    if not latest:
        return None
    if alarm is not None:
        text = alarm.value  # the alert's own: no statistic of our own to read
    else:
        value: float | None
        if spec.reduce == "p95":
            value = (await store.window_stats(found, now - P95_WINDOW, now)).quantile(0.95)
        else:
            value = _reduce(spec.reduce, latest)
        if spec.words is not None and value is not None:
            text = spec.words[1 if value >= 0.5 else 0]
        else:
            text = format_value(value, found[0].unit)
    values = await store.points(found, *window, points, how=spec.spark)
    note = "" if alarm is None else alarm.measure
    return MetricReading(spec.label, text, tuple(values), alarm is not None, note)


def _reduce(how: str, values: list[float]) -> float:
    if how == "sum":
        return math.fsum(values)
    if how == "max":
        return max(values)
    if how == "min":
        return min(values)
    return values[0]
