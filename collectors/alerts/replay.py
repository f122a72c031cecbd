"""Replaying stored history through the rules: how often each rule would have fired.

`wootwatch rules test` uses this to try rules on real data before trusting
them. It reads the store only (a read-only store is enough) and writes
nothing.

Contract:

* Each source's history is stepped through at the source's poll interval
  (from the config; 60 s for a source the config does not name), and each
  step is one check, as live. The same `RuleEvaluator` and `Tracker` decide,
  so `for`, `missing_data` and flapping behave as they do live.
* The latest value of a step is the mean of the series' samples in it;
  a step without samples is a check without data. Window statistics and
  percentiles are taken over windows ending on the minute (a merge of
  minute rollups, so a day of history replays in seconds); baselines on the
  ten minutes. The source's state comes from its recorded status changes.
* Raw samples are kept for `retention.raw_max_age` (24 h by default):
  further back, steps are at least a minute long and latest values come
  from the minute rollups.
* A source's replay starts at its first sample in the window: before it
  there was nothing to watch, which is not missing data.
* A rule "fires" each time one of its alerts enters `firing`.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

from collectors.alerts.evaluate import GroupKey, RuleEvaluator
from collectors.alerts.rules import Rule
from collectors.alerts.state import AlertState, Tracker
from collectors.base import SourceState
from collectors.store.database import SeriesInfo, Store, WindowStats

__all__ = ["ReplayResult", "replay"]

_STATS_STEP = 60.0
_BASELINE_STEP = 600.0
_MAX_STEPS = 200_000
"""Most checks one source's replay takes; longer histories get longer steps."""


@dataclass(frozen=True, slots=True)
class ReplayResult:
    """What a rule would have done over the replayed history."""

    rule: Rule
    fired: int
    """How many times one of its alerts entered `firing`."""
    checks: int
    """Checks made (every group, every step)."""
    missing: int
    """Checks without data."""
    groups: int
    """Alert groups seen (sources, `group_by` values)."""


class _HistoryView:
    """A `DataView` over stored history of one source, stepped at a fixed interval."""

    def __init__(
        self,
        store: Store,
        source: str,
        start: float,
        step: float,
        steps: int,
        states: list[tuple[float, SourceState]],
    ) -> None:
        self._store = store
        self._source = source
        self._start = start
        self._step = step
        self._steps = steps
        self._state_times = [ts for ts, _ in states]
        self._states = [state for _, state in states]
        self._slots: dict[int, list[float | None]] = {}
        self._seen: dict[int, list[float | None]] = {}
        self._stats: dict[tuple[tuple[int, ...], float, float], WindowStats] = {}
        self._series: dict[tuple[str, tuple[tuple[str, str], ...], str | None], list[SeriesInfo]]
        self._series = {}

    async def series(
        self, name: str, labels: Mapping[str, str], source: str | None
    ) -> list[SeriesInfo]:
        key = (name, tuple(sorted(labels.items())), source)
        if key not in self._series:
            self._series[key] = await self._store.series(name, labels=labels, source=source)
        return self._series[key]

    async def _slot_values(self, series: SeriesInfo) -> list[float | None]:
        if series.id not in self._slots:
            end = self._start + self._steps * self._step
            values = await self._store.points([series], self._start, end, self._steps)
            self._slots[series.id] = values
            seen: list[float | None] = []
            last: float | None = None
            for index, value in enumerate(values):
                if value is not None:
                    last = self._start + (index + 1) * self._step
                seen.append(last)
            self._seen[series.id] = seen
        return self._slots[series.id]

    async def first_data(self, series: Sequence[SeriesInfo]) -> int | None:
        """The first step (1-based) in which any of the series has a sample."""
        firsts = []
        for info in series:
            values = await self._slot_values(info)
            index = next((i for i, v in enumerate(values) if v is not None), None)
            if index is not None:
                firsts.append(index + 1)
        return min(firsts) if firsts else None

    def _slot(self, t: float) -> int:
        return round((t - self._start) / self._step) - 1

    async def latest(self, series: SeriesInfo, t: float) -> float | None:
        values = await self._slot_values(series)
        index = self._slot(t)
        return values[index] if 0 <= index < len(values) else None

    async def stats(self, series: Sequence[SeriesInfo], start: float, end: float) -> WindowStats:
        span = end - start
        end = math.floor(end / _STATS_STEP) * _STATS_STEP
        key = (tuple(s.id for s in series), end - span, end)
        if key not in self._stats:
            if len(self._stats) > 200_000:
                self._stats.clear()
            self._stats[key] = await self._store.window_stats(series, end - span, end, buckets=())
        return self._stats[key]

    async def last_seen(self, series: Sequence[SeriesInfo], t: float) -> float | None:
        index = self._slot(t)
        times = []
        for info in series:
            await self._slot_values(info)
            seen = self._seen[info.id]
            if 0 <= index < len(seen) and seen[index] is not None:
                times.append(seen[index])
        present = [x for x in times if x is not None]
        return max(present) if present else None

    def source_down(self, source: str, t: float) -> bool:
        at = bisect.bisect_right(self._state_times, t) - 1
        return at >= 0 and self._states[at] is SourceState.DOWN


async def replay(
    rules: Sequence[Rule],
    store: Store,
    *,
    start: float,
    end: float,
    intervals: Mapping[str, float],
    raw_max_age: float = 86400.0,
    default_interval: float = 60.0,
) -> list[ReplayResult]:
    """Check every rule over `[start, end)` of stored history.

    Args:
        rules: the rules to try.
        store: the store to read (read-only is enough).
        start: where the replay begins (unix time).
        end: where it ends, usually now.
        intervals: poll interval of each source by name.
        raw_max_age: how far back raw samples reach (the writer's retention).
        default_interval: the step for a source `intervals` does not name.
    """
    by_source: dict[str, list[tuple[int, Rule]]] = {}
    for position, rule in enumerate(rules):
        for info in await store.series(rule.series, labels=rule.labels):
            entries = by_source.setdefault(info.source, [])
            if not entries or entries[-1][0] != position:
                entries.append((position, rule))
    tallies = {position: _Tally() for position in range(len(rules))}
    for source, entries in sorted(by_source.items()):
        step = intervals.get(source, default_interval)
        if start < end - raw_max_age:
            step = max(step, 60.0)
        step = max(step, (end - start) / _MAX_STEPS)
        steps = int((end - start) // step)
        if steps <= 0:
            continue
        history = await store.status_history(source, 0.0)
        states = [(s.checked_at, s.state) for s in history]
        # One view per source: rules on the same series share its window statistics.
        view = _HistoryView(store, source, start, step, steps, states)
        for position, rule in entries:
            await _replay_rule(rule, view, source, start, step, steps, tallies[position])
    return [
        ReplayResult(rule, t.fired, t.checks, t.missing, len(t.groups))
        for rule, t in zip(rules, tallies.values(), strict=True)
    ]


@dataclass
class _Tally:
    fired: int = 0
    checks: int = 0
    missing: int = 0
    groups: set[tuple[str, GroupKey]] = field(default_factory=set)


async def _replay_rule(
    rule: Rule,
    view: _HistoryView,
    source: str,
    start: float,
    step: float,
    steps: int,
    tally: _Tally,
) -> None:
    evaluator = RuleEvaluator(baseline_step=_BASELINE_STEP)
    trackers: dict[GroupKey, Tracker] = {}
    # Before the source's first sample there was nothing to watch, not missing data.
    first = await view.first_data(await view.series(rule.series, rule.labels, source))
    for index in range(first or steps + 1, steps + 1):
        t = start + index * step
        for group in await evaluator.check(rule, view, source, t):
            key = tuple(sorted(group.labels.items()))
            tally.groups.add((source, key))
            tracker = trackers.get(key)
            if tracker is None:
                tracker = trackers[key] = Tracker(rule.hold, rule.missing_data)
            tally.checks += 1
            tally.missing += group.breach is None
            changes = tracker.observe(t, group.breach)
            tally.fired += sum(
                c.kind == "transition" and c.to_state is AlertState.FIRING for c in changes
            )
