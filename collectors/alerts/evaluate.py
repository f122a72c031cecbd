"""Turning a rule into checks: one value and one breach verdict per alert group.

The arithmetic is the same live and in replay; only where the numbers come
from differs, behind `DataView`:

* live (`BatchView`): the latest values are those of the poll just written,
  windows and percentiles are the store's `window_stats` (a merge of minute
  sketches), the source's state is the poll's status;
* replay (`collectors.alerts.replay`): the same from stored history.

A value of None is a check without data (`missing_data` decides what it
counts as). A rule over a series the source is expected to write (its config
says so) but that was never stored gets one check without data for the
source's group, so a source that never answered is judged like one that
stopped; an `absent` rule there counts the data absent since the source was
first watched. Nothing here writes anything.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from collectors.alerts.rules import (
    AbsentCondition,
    BaselineCondition,
    PercentileCondition,
    RatioCondition,
    Rule,
    Severity,
    ThresholdCondition,
    compare,
)
from collectors.base import Sample, SourceState
from collectors.store.database import SeriesInfo, SourceBatch, Store, WindowStats

__all__ = ["BatchView", "DataView", "GroupCheck", "GroupKey", "RuleEvaluator", "group_key"]

_DAY = 86400.0
_EDGE = 1e-3
"""Windows end just after the check time, so samples stamped at it are inside."""

GroupKey = tuple[tuple[str, str], ...]


class DataView(Protocol):
    """Where a check's numbers come from."""

    async def series(
        self, name: str, labels: Mapping[str, str], source: str | None
    ) -> list[SeriesInfo]:
        """Stored series of a name with a label subset, of one source (or all)."""

    async def latest(self, series: SeriesInfo, t: float) -> float | None:
        """The series' value in the check at `t`, or None when that check has none."""

    async def stats(self, series: Sequence[SeriesInfo], start: float, end: float) -> WindowStats:
        """Count, mean, min, max and percentiles of the series over `[start, end)`."""

    async def last_seen(self, series: Sequence[SeriesInfo], t: float) -> float | None:
        """The newest sample time of the series at `t`, or None without any."""

    def source_down(self, source: str, t: float) -> bool:
        """Whether the source is down at `t`."""


@dataclass(frozen=True, slots=True)
class GroupCheck:
    """One check of one alert group of a rule."""

    labels: Mapping[str, str]
    """The group's label values (`source` and the rule's `group_by` labels)."""
    value: float | None
    """The value compared (None without data); for `absent`, the data's age in seconds."""
    breach: bool | None
    """True when the condition holds; None for a check without data."""
    severity: Severity
    """The rule's severity, escalated by the value."""


def group_key(info: SeriesInfo, group_by: Sequence[str]) -> GroupKey:
    """The alert group a series belongs to."""
    return tuple(
        (name, info.source if name == "source" else info.labels.get(name, "")) for name in group_by
    )


def _in_group(info: SeriesInfo, key: GroupKey) -> bool:
    for name, value in key:
        if name == "source":
            if info.source != value:
                return False
        elif name in info.labels and info.labels[name] != value:
            return False
    return True


def _reduce(stats: WindowStats, how: str) -> float | None:
    if how == "count":
        return float(stats.count)
    if stats.count == 0 or stats.mean is None:
        return None
    if how == "mean":
        return stats.mean
    if how == "min":
        return stats.min
    if how == "max":
        return stats.max
    if how == "sum":
        return stats.mean * stats.count
    return stats.quantile(int(how[1:]) / 100)


def _combine(values: list[float], how: str) -> float:
    if how == "sum":
        return math.fsum(values)
    if how == "min":
        return min(values)
    if how == "mean":
        return math.fsum(values) / len(values)
    return max(values)


@dataclass
class RuleEvaluator:
    """Computes checks; keeps the baselines of previous days, which change slowly.

    Args:
        baseline_step: previous-day windows end on a multiple of this many
            seconds, so one baseline serves every check in that step.
    """

    baseline_step: float = 60.0
    _baselines: dict[tuple[str, GroupKey, int], float | None] = field(default_factory=dict)

    async def check(
        self,
        rule: Rule,
        view: DataView,
        source: str,
        t: float,
        *,
        watched_since: float | None = None,
    ) -> list[GroupCheck]:
        """Check every group of `rule` that `source` writes, at time `t`.

        Args:
            rule: the rule.
            view: where the numbers come from.
            source: the source whose poll this check follows.
            t: the check's time.
            watched_since: set when `source` is configured to write the rule's
                series: since when it has been polled. Without any stored
                series, its group is then checked as missing data.
        """
        infos = await view.series(rule.series, rule.labels, source)
        groups: dict[GroupKey, list[SeriesInfo]] = {}
        for info in infos:
            groups.setdefault(group_key(info, rule.group_by), []).append(info)
        if not groups and watched_since is not None:
            unwritten = tuple(
                (name, source if name == "source" else rule.labels.get(name, ""))
                for name in rule.group_by
            )
            groups[unwritten] = []
        checks = []
        for key, members in groups.items():
            value, breach = await self._value(rule, view, source, key, members, t, watched_since)
            severity = rule.severity_for(value) if breach else rule.severity
            checks.append(GroupCheck(dict(key), value, breach, severity))
        return checks

    async def _value(
        self,
        rule: Rule,
        view: DataView,
        source: str,
        key: GroupKey,
        members: list[SeriesInfo],
        t: float,
        watched_since: float | None = None,
    ) -> tuple[float | None, bool | None]:
        condition = rule.condition
        if isinstance(condition, AbsentCondition):
            last = await view.last_seen(members, t)
            down = view.source_down(source, t)
            if last is None and watched_since is not None:  # never written: absent since then
                return None, down or t - watched_since > condition.after
            age = None if last is None else max(0.0, t - last)
            return age, down or age is None or age > condition.after
        value: float | None
        if isinstance(condition, ThresholdCondition):
            if condition.reduce == "latest":
                latest = [await view.latest(m, t) for m in members]
                present = [v for v in latest if v is not None]
                value = _combine(present, condition.across) if present else None
            else:
                assert condition.window is not None
                stats = await view.stats(members, t - condition.window, t + _EDGE)
                value = _reduce(stats, condition.reduce)
        elif isinstance(condition, PercentileCondition):
            stats = await view.stats(members, t - condition.window, t + _EDGE)
            value = stats.quantile(condition.q) if stats.count else None
        elif isinstance(condition, RatioCondition):
            value = await self._ratio(rule, condition, view, source, key, members, t)
        else:
            value = await self._baseline(rule, condition, view, key, members, t)
        if value is None or math.isnan(value):
            return None, None
        return value, compare(condition.op, value, condition.value)

    async def _ratio(
        self,
        rule: Rule,
        condition: RatioCondition,
        view: DataView,
        source: str,
        key: GroupKey,
        members: list[SeriesInfo],
        t: float,
    ) -> float | None:
        start, end = t - condition.window, t + _EDGE
        numerator = _reduce(await view.stats(members, start, end), condition.reduce)
        ref = condition.denominator
        others = await view.series(ref.series or rule.series, ref.labels, source)
        others = [info for info in others if _in_group(info, key)]
        denominator = _reduce(await view.stats(others, start, end), condition.reduce)
        if numerator is None or not denominator:
            return None
        return numerator / denominator

    async def _baseline(
        self,
        rule: Rule,
        condition: BaselineCondition,
        view: DataView,
        key: GroupKey,
        members: list[SeriesInfo],
        t: float,
    ) -> float | None:
        now = _reduce(await view.stats(members, t - condition.window, t + _EDGE), condition.reduce)
        if now is None:
            return None
        step = int(t // self.baseline_step)
        cache_key = (rule.name, key, step)
        if cache_key not in self._baselines:
            anchor = step * self.baseline_step
            previous = []
            for day in range(1, condition.days + 1):
                end = anchor - day * _DAY
                stats = await view.stats(members, end - condition.window, end)
                value = _reduce(stats, condition.reduce) if stats.count else None
                if value is not None:
                    previous.append(value)
            base = statistics.median(previous) if len(previous) >= condition.min_days else None
            if len(self._baselines) > 10_000:
                self._baselines.clear()
            self._baselines[cache_key] = base
        base = self._baselines[cache_key]
        if not base:
            return None
        return now / base


class BatchView:
    """The live view of a check: the poll just written, and the store behind it.

    Args:
        store: the store the poll was written to.
        batch: the poll: its samples are the latest values, its status says
            whether the source is down.
    """

    def __init__(self, store: Store, batch: SourceBatch) -> None:
        self._store = store
        self._batch = batch
        self._source_series: list[SeriesInfo] | None = None
        self._latest: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[float, list[float]]] = {}
        for record in batch.records:
            if not isinstance(record, Sample) or not math.isfinite(record.value):
                continue
            series_key = (record.series, tuple(sorted(record.labels.items())))
            newest = self._latest.get(series_key)
            if newest is None or record.ts > newest[0]:
                self._latest[series_key] = (record.ts, [record.value])
            elif record.ts == newest[0]:
                newest[1].append(record.value)

    async def series(
        self, name: str, labels: Mapping[str, str], source: str | None
    ) -> list[SeriesInfo]:
        """The store's series (those of the batch's source read once per view)."""
        if source != self._batch.source:
            return await self._store.series(name, labels=labels, source=source)
        if self._source_series is None:
            self._source_series = await self._store.series(source=source)
        return [
            info
            for info in self._source_series
            if info.name == name and all(info.labels.get(k) == v for k, v in labels.items())
        ]

    async def latest(self, series: SeriesInfo, t: float) -> float | None:
        """The mean of the series' samples at the newest time in this poll."""
        found = self._latest.get((series.name, tuple(sorted(series.labels.items()))))
        if found is None:
            return None
        return math.fsum(found[1]) / len(found[1])

    async def stats(self, series: Sequence[SeriesInfo], start: float, end: float) -> WindowStats:
        """The store's window statistics (without latency buckets: no rule reads them)."""
        return await self._store.window_stats(series, start, end, buckets=())

    async def last_seen(self, series: Sequence[SeriesInfo], t: float) -> float | None:
        """The newest `last_ts` of the series (fresh from the store)."""
        times = [s.last_ts for s in series if s.last_ts is not None]
        return max(times) if times else None

    def source_down(self, source: str, t: float) -> bool:
        """Whether this poll left the source down."""
        status = self._batch.status
        return status is not None and status.state is SourceState.DOWN
