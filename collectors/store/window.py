"""The rows a window statistic is made of, for many groups of series in a few queries.

A window `[start, end)` of a group of series is, per series:

* the hourly rollups of the whole hours inside it that the writer has sealed
  (`hourly`), and the minute rollups of the other whole minutes;
* the raw samples of the partial minutes at either edge, or the edge minute's
  rollup when the ring has already dropped raw samples that old (judged by the
  oldest raw sample of the group, as a group's window always was).

`gather_window` answers for several groups at once (the latency table asks
for 150 series, each alone): one query for the oldest raw samples, one for the
hourly rows and one for the minutes per distinct shape of what is missing, one
per raw range. Each aiosqlite call is a trip to its thread, so the number of
calls, not of series, is what a screen waits for.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Final

import aiosqlite

__all__ = ["WindowParts", "gather_window"]

_MAX_RANGES: Final = 16
"""Minute ranges one query reads at most; more are read as one span, sealed hours dropped."""

_Range = tuple[int, int]
"""A range of minutes `[first, end)` (or of seconds, for raw samples)."""


@dataclass(slots=True)
class WindowParts:
    """What one group's window is made of: rollup rows and raw values."""

    rows: list[Sequence[object]] = field(default_factory=list)
    """Rollup rows (hourly and per minute): series id, hour or minute, count, sum, min, max,
    sketch."""
    values: list[float] = field(default_factory=list)
    """Raw values of the edges."""


@dataclass(frozen=True, slots=True)
class _Plan:
    """The rollup minutes `[first, end)` and the raw ranges of one group."""

    minutes: _Range
    raw: tuple[tuple[float, float], ...]


def _plan(start: float, end: float, raw_floor: float) -> _Plan:
    """Which minutes come from rollups and which spans from raw samples."""
    first_full = math.ceil(start / 60)
    last_full = math.floor(end / 60)  # exclusive
    if first_full > last_full:  # no minute boundary inside: all of it is an edge
        minutes: set[int] = set()
        edges = [(start, end)]
    else:
        minutes = set(range(first_full, last_full))
        edges = [(start, first_full * 60.0), (last_full * 60.0, end)]
    raw = []
    for edge_start, edge_end in edges:
        if edge_end <= edge_start:
            continue
        if edge_start >= raw_floor:
            raw.append((edge_start, edge_end))
        else:
            minutes.add(math.floor(edge_start / 60))
    if not minutes:
        return _Plan((0, 0), tuple(raw))
    return _Plan((min(minutes), max(minutes) + 1), tuple(raw))


async def gather_window(
    conn: aiosqlite.Connection, groups: Sequence[Sequence[int]], start: float, end: float
) -> list[WindowParts]:
    """The parts of each group's window (a group: series ids whose values are pooled)."""
    parts = [WindowParts() for _ in groups]
    if end <= start:
        return parts
    floors = await _oldest_raw(conn, sorted({i for group in groups for i in group}))
    plans = [
        _plan(start, end, min((floors[i] for i in group), default=math.inf)) for group in groups
    ]
    by_minutes: dict[_Range, set[int]] = {}
    by_raw: dict[tuple[float, float], set[int]] = {}
    for group, plan in zip(groups, plans, strict=True):
        if plan.minutes[0] < plan.minutes[1]:
            by_minutes.setdefault(plan.minutes, set()).update(group)
        for span in plan.raw:
            by_raw.setdefault(span, set()).update(group)
    rollups: dict[tuple[_Range, int], list[Sequence[object]]] = {}
    for minutes, ids in by_minutes.items():
        for series_id, rows in (await _rollups(conn, sorted(ids), minutes)).items():
            rollups[minutes, series_id] = rows
    raw: dict[tuple[tuple[float, float], int], list[float]] = {}
    for span, ids in by_raw.items():
        for series_id, values in (await _raw(conn, sorted(ids), span)).items():
            raw[span, series_id] = values
    for group, plan, found in zip(groups, plans, parts, strict=True):
        for series_id in group:
            found.rows += rollups.get((plan.minutes, series_id), ())
        for span in plan.raw:
            for series_id in group:
                found.values.extend(raw.get((span, series_id), ()))
    return parts


def _marks(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


async def _oldest_raw(conn: aiosqlite.Connection, ids: Sequence[int]) -> dict[int, float]:
    """The time of each series' oldest raw sample (infinity without any), in one query."""
    rows = await conn.execute_fetchall(
        "SELECT s.id, (SELECT ts FROM samples WHERE series_id = s.id ORDER BY ts LIMIT 1) "
        f"FROM series AS s WHERE s.id IN ({_marks(ids)})",
        ids,
    )
    found = {int(series_id): float(ts) for series_id, ts in rows if ts is not None}
    return {series_id: found.get(series_id, math.inf) for series_id in ids}


async def _rollups(
    conn: aiosqlite.Connection, ids: Sequence[int], minutes: _Range
) -> dict[int, list[Sequence[object]]]:
    """Each series' rollup rows over the minutes: hourly where sealed, else per minute."""
    first_hour, end_hour = math.ceil(minutes[0] / 60), minutes[1] // 60
    found: dict[int, list[Sequence[object]]] = {series_id: [] for series_id in ids}
    covered: set[tuple[int, int]] = set()
    if first_hour < end_hour:
        for row in await conn.execute_fetchall(
            "SELECT series_id, hour, count, sum, min, max, sketch FROM rollups_hourly "
            f"WHERE series_id IN ({_marks(ids)}) AND hour >= ? AND hour < ?",
            [*ids, first_hour, end_hour],
        ):
            found[row[0]].append(row)
            covered.add((row[0], row[1]))
    # The minutes still to read, per series; series missing the same ranges share a query.
    by_ranges: dict[tuple[_Range, ...], list[int]] = {}
    for series_id in ids:
        ranges = _missing(series_id, minutes, first_hour, end_hour, covered)
        if ranges:
            by_ranges.setdefault(ranges, []).append(series_id)
    for ranges, members in by_ranges.items():
        if len(ranges) > _MAX_RANGES:
            ranges = ((ranges[0][0], ranges[-1][1]),)
        one = (
            "SELECT series_id, minute, count, sum, min, max, sketch FROM rollups "
            f"WHERE series_id IN ({_marks(members)}) AND minute >= ? AND minute < ?"
        )
        params = [value for first, last in ranges for value in (*members, first, last)]
        for row in await conn.execute_fetchall(" UNION ALL ".join([one] * len(ranges)), params):
            if (row[0], row[1] // 60) not in covered:
                found[row[0]].append(row)
    return found


def _missing(
    series_id: int,
    minutes: _Range,
    first_hour: int,
    end_hour: int,
    covered: set[tuple[int, int]],
) -> tuple[_Range, ...]:
    """The minute ranges of `minutes` a series has no hourly row for, consecutive ones joined."""
    if first_hour >= end_hour:
        return (minutes,)
    ranges: list[_Range] = []

    def take(first: int, last: int) -> None:
        if first >= last:
            return
        if ranges and ranges[-1][1] == first:
            ranges[-1] = (ranges[-1][0], last)
        else:
            ranges.append((first, last))

    take(minutes[0], first_hour * 60)
    for hour in range(first_hour, end_hour):
        if (series_id, hour) not in covered:
            take(hour * 60, hour * 60 + 60)
    take(end_hour * 60, minutes[1])
    return tuple(ranges)


async def _raw(
    conn: aiosqlite.Connection, ids: Sequence[int], span: tuple[float, float]
) -> dict[int, list[float]]:
    """Each series' raw values in `[start, end)`."""
    found: dict[int, list[float]] = {}
    for series_id, value in await conn.execute_fetchall(
        f"SELECT series_id, value FROM samples WHERE series_id IN ({_marks(ids)}) "
        "AND ts >= ? AND ts < ?",
        [*ids, *span],
    ):
        found.setdefault(series_id, []).append(float(value))
    return found
