"""The rows a window statistic is made of, for many groups of series in a few queries.

A window `[start, end)` of a group of series is, per series:

* the daily rollups of the whole UTC days inside it that the writer has sealed
  (`daily`), the hourly rollups of its other whole hours that it has sealed
  (`hourly`), and the minute rollups of the other whole minutes: those of the
  hours it covers only in part come merged from `SealedMinutes` (kept in memory
  where the hour is sealed, so a window stepped a minute reads one more);
* the raw samples of the partial minutes at either edge, or the edge minute's
  rollup when the ring has already dropped raw samples that old (judged by the
  oldest raw sample of the group, as a group's window always was).

`gather_window` answers for several groups at once (the latency table asks
for 150 series, each alone): one query for the oldest raw samples, one for the
daily and hourly rows (one snapshot: a day's row and its hours' never both
count), one for the partial hours and one for the minutes per distinct shape
of what is missing, one per raw range. Each aiosqlite call is a trip to its
thread, so the number of calls, not of series, is what a screen waits for.

A reader may keep what the rollups of each group's window merged to
(`KeptMerges`), for as long as nothing is written to the file: SQLite's
`PRAGMA data_version` changes when another connection commits, and a change
drops them all. A window read again with the same whole minutes (an hour's
window stepped a few seconds, a screen's window shown again) then reads only
its raw edges. A writer's own commits do not change its `data_version`: only a
read-only store keeps merges. It keeps whole hours' rows the same way
(`KeptHours`): a window stepped a slot reads only the hours entering it.
"""

from __future__ import annotations

import functools
import math
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Final

import aiosqlite

from collectors.sketch import LatencySketch
from collectors.store.hour_bins import HourBins
from collectors.store.kept_hours import KeptHours
from collectors.store.sealed_minutes import HourSpan, SealedMinutes, Slice

__all__ = ["KeptMerges", "Merged", "WindowParts", "gather_window"]

_MAX_RANGES: Final = 16
"""Minute ranges one query reads at most; more are read as one span, sealed hours dropped."""

_KEEP_MERGES: Final = 1024
"""Groups' merges kept, least recently used dropped first: two windows of 200 series, twice."""

_Range = tuple[int, int]
"""A range of minutes `[first, end)` (or of seconds, for raw samples)."""
_MergeKey = tuple[tuple[int, ...], _Range]
"""A group's series ids and the rollup minutes of its window."""


@dataclass(frozen=True, slots=True)
class Merged:
    """The rollup rows and slices of one group's window, merged (its raw edges not added)."""

    count: int
    totals: tuple[float, ...]
    """Every row's and minute's sum, for the caller's exact `math.fsum` with the raw values."""
    low: float
    high: float
    sketch: LatencySketch
    """Shared with later reads: never changed, a copy takes the raw values."""


class KeptMerges:
    """Groups' merged rollups, kept while the file's data version stays the same.

    Args:
        keep: merges kept at most, least recently used dropped first.
    """

    def __init__(self, keep: int = _KEEP_MERGES) -> None:
        self._keep = keep
        self._version: int | None = None
        self._kept: OrderedDict[_MergeKey, Merged] = OrderedDict()
        self.hours = KeptHours()
        """Whole hours' rows read under the same data version (dropped with the merges)."""

    def seen(self, version: int) -> None:
        """The file's data version, read now: what was kept under another one is dropped.

        Read before the rows a merge is made of: a commit in between changes
        the version the next read sees, so a merge is never kept past a write.
        """
        self.hours.seen(version)
        if version != self._version:
            self._version = version
            self._kept.clear()

    def get(self, version: int, key: _MergeKey) -> Merged | None:
        """The merge kept for `key` under `version`, if any."""
        if version != self._version:
            return None
        found = self._kept.get(key)
        if found is not None:
            self._kept.move_to_end(key)
        return found

    def put(self, version: int, key: _MergeKey, merged: Merged) -> None:
        """Keep a merge read under `version` (dropped if the file has changed since)."""
        if version != self._version:
            return
        self._kept[key] = merged
        if len(self._kept) > self._keep:
            self._kept.popitem(last=False)


@dataclass(slots=True)
class WindowParts:
    """What one group's window is made of: rollup rows and raw values."""

    rows: list[Sequence[object]] = field(default_factory=list)
    """Rollup rows (hourly and per minute): series id, hour or minute, count, sum, min, max,
    sketch."""
    values: list[float] = field(default_factory=list)
    """Raw values of the edges."""
    slices: list[Slice] = field(default_factory=list)
    """Minutes of the partial hours, merged."""
    merged: Merged | None = None
    """The rows and slices already merged (kept from an earlier read): then both are empty."""
    keep: Callable[[Merged], None] | None = None
    """Where to keep the merge of the rows and slices, once made (None: not kept)."""


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
        edges = [(start, end)]
    else:
        edges = [(start, first_full * 60.0), (last_full * 60.0, end)]
    minutes = [(first_full, last_full)] if first_full < last_full else []
    raw = []
    for edge_start, edge_end in edges:
        if edge_end <= edge_start:
            continue
        if edge_start >= raw_floor:
            raw.append((edge_start, edge_end))
        else:
            minute = math.floor(edge_start / 60)
            minutes.append((minute, minute + 1))
    if not minutes:
        return _Plan((0, 0), tuple(raw))
    return _Plan((min(m for m, _ in minutes), max(m for _, m in minutes)), tuple(raw))


async def gather_window(
    conn: aiosqlite.Connection,
    groups: Sequence[Sequence[int]],
    start: float,
    end: float,
    sealed: SealedMinutes,
    kept: KeptMerges | None = None,
) -> list[WindowParts]:
    """The parts of each group's window (a group: series ids whose values are pooled).

    `sealed` keeps the minutes of sealed hours between reads (the store's own);
    `kept`, the merged rollups of groups read before (a read-only store's own).
    """
    parts = [WindowParts() for _ in groups]
    if end <= start:
        return parts
    floors, stamp = await _oldest_raw(conn, sorted({i for group in groups for i in group}))
    version = 0 if stamp is None else stamp
    if kept is not None and stamp is None:
        kept = None  # no series stored: nothing read, nothing to keep
    elif kept is not None:
        kept.seen(version)
    plans = [
        _plan(start, end, min((floors[i] for i in group), default=math.inf)) for group in groups
    ]
    by_minutes: dict[_Range, set[int]] = {}
    by_raw: dict[tuple[float, float], set[int]] = {}
    for group, plan, part in zip(groups, plans, parts, strict=True):
        if kept is not None:
            key = (tuple(group), plan.minutes)
            part.merged = kept.get(version, key)
            if part.merged is None:
                part.keep = functools.partial(kept.put, version, key)
        if part.merged is None and plan.minutes[0] < plan.minutes[1]:
            by_minutes.setdefault(plan.minutes, set()).update(group)
        for span in plan.raw:
            by_raw.setdefault(span, set()).update(group)
    rollups: dict[tuple[_Range, int], list[Sequence[object]]] = {}
    slices: dict[tuple[_Range, int], list[Slice]] = {}
    for minutes, ids in by_minutes.items():
        hours = None if kept is None else (kept.hours, version)
        read, merged = await _rollups(conn, sorted(ids), minutes, sealed, hours)
        for series_id, rows in read.items():
            rollups[minutes, series_id] = rows
            slices[minutes, series_id] = merged[series_id]
    raw: dict[tuple[tuple[float, float], int], list[float]] = {}
    for span, ids in by_raw.items():
        for series_id, values in (await _raw(conn, sorted(ids), span)).items():
            raw[span, series_id] = values
    for group, plan, found in zip(groups, plans, parts, strict=True):
        for series_id in group if found.merged is None else ():
            found.rows += rollups.get((plan.minutes, series_id), ())
            found.slices += slices.get((plan.minutes, series_id), ())
        for span in plan.raw:
            for series_id in group:
                found.values.extend(raw.get((span, series_id), ()))
    return parts


def _marks(ids: Sequence[int]) -> str:
    return ",".join("?" * len(ids))


async def _oldest_raw(
    conn: aiosqlite.Connection, ids: Sequence[int]
) -> tuple[dict[int, float], int | None]:
    """The time of each series' oldest raw sample (infinity without any), in one query.

    And the file's data version (`KeptMerges`), read in the same statement
    (None when no series is stored under `ids`).
    """
    rows = list(
        await conn.execute_fetchall(
            "SELECT s.id, (SELECT ts FROM samples WHERE series_id = s.id ORDER BY ts LIMIT 1), "
            "(SELECT data_version FROM pragma_data_version()) "
            f"FROM series AS s WHERE s.id IN ({_marks(ids)})",
            ids,
        )
    )
    found = {int(series_id): float(ts) for series_id, ts, _ in rows if ts is not None}
    version = int(rows[0][2]) if rows else None
    return {series_id: found.get(series_id, math.inf) for series_id in ids}, version


async def _rollups(
    conn: aiosqlite.Connection,
    ids: Sequence[int],
    minutes: _Range,
    sealed: SealedMinutes,
    kept: tuple[KeptHours, int] | None,
) -> tuple[dict[int, list[Sequence[object]]], dict[int, list[Slice]]]:
    """Each series' rollups over the minutes: rows and slices.

    Rows of the whole hours (hourly where sealed, else per minute), slices of
    the hours covered in part (or their minute rows where not sealed). With
    `kept` (a read-only store's, and the data version read), whole hours kept
    are not read again.
    """
    first_hour, end_hour = math.ceil(minutes[0] / 60), minutes[1] // 60
    lead_end = min(first_hour * 60, minutes[1])
    spans = [HourSpan.of(minutes[0], lead_end)] if minutes[0] < lead_end else []
    if first_hour <= end_hour and end_hour * 60 < minutes[1]:
        spans.append(HourSpan.of(end_hour * 60, minutes[1]))
    merged, found = await sealed.read(conn, ids, spans)
    # Each series' whole hours read from a daily or an hourly row.
    covered: dict[int, set[int]] = {series_id: set() for series_id in ids}
    if first_hour < end_hour:
        days, hours = await _whole(conn, ids, (first_hour, end_hour), sealed.hours, kept)
        for row in days:
            found[row[0]].append(row)
            covered[row[0]].update(range(row[1] * 24, row[1] * 24 + 24))
        for row in hours:
            found[row[0]].append(row)
            covered[row[0]].add(row[1])
    # The minutes still to read, per series; series missing the same ranges share a query.
    by_ranges: dict[tuple[_Range, ...], list[int]] = {}
    for series_id in ids:
        ranges = _missing(first_hour, end_hour, covered[series_id])
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
            if row[1] // 60 not in covered[row[0]]:
                found[row[0]].append(row)
    return found, merged


async def _whole(
    conn: aiosqlite.Connection,
    ids: Sequence[int],
    hours: _Range,
    bins: HourBins,
    kept: tuple[KeptHours, int] | None,
) -> tuple[list[Any], Sequence[Sequence[Any]]]:
    """The rows of the whole `hours`: daily where sealed, else hourly (their sketches decoded).

    The daily rows of the whole days inside and the hourly rows of the other
    hours, in one statement (one snapshot of the file): an hour of a whole day
    is read where its series has no row for that day. Without a whole day
    inside, and with `kept`, only the hours not kept are read.
    """
    first_hour, end_hour = hours
    first_day, end_day = -(-first_hour // 24), end_hour // 24
    if first_day >= end_day:
        if kept is None:
            return [], bins.decoded(await _hourly(conn, ids, [hours]))

        async def fetch(runs: Sequence[_Range]) -> Sequence[Sequence[Any]]:
            return bins.decoded(await _hourly(conn, ids, runs))

        return [], await kept[0].read(kept[1], ids, hours, fetch)
    marks = _marks(ids)
    hourly = _HOURLY.format(marks=marks)
    # The hours of the whole days without a row: a search per series and day.
    sql = (
        "WITH RECURSIVE d(day) AS (SELECT ? UNION ALL SELECT day + 1 FROM d WHERE day < ?) "
        "SELECT 0, series_id, day, count, sum, min, max, sketch FROM rollups_daily "
        f"WHERE series_id IN ({marks}) AND day >= ? AND day < ? "
        f"UNION ALL {hourly} UNION ALL {hourly} UNION ALL "
        "SELECT 1, h.series_id, h.hour, h.count, h.sum, h.min, h.max, h.sketch "
        "FROM series AS s, d, rollups_hourly AS h "
        f"WHERE s.id IN ({marks}) AND NOT EXISTS (SELECT 1 FROM rollups_daily AS x "
        "WHERE x.series_id = s.id AND x.day = d.day) "
        "AND h.series_id = s.id AND h.hour >= d.day * 24 AND h.hour < d.day * 24 + 24"
    )
    params = [
        first_day,
        end_day - 1,
        *ids,
        first_day,
        end_day,
        *ids,
        first_hour,
        first_day * 24,
        *ids,
        end_day * 24,
        end_hour,
        *ids,
    ]
    days: list[Any] = []
    found: list[Any] = []
    for kind, *row in await conn.execute_fetchall(sql, params):
        (found if kind else days).append(row)
    return days, bins.decoded(found)


_HOURLY: Final = (
    "SELECT 1, series_id, hour, count, sum, min, max, sketch FROM rollups_hourly "
    "WHERE series_id IN ({marks}) AND hour >= ? AND hour < ?"
)


async def _hourly(
    conn: aiosqlite.Connection, ids: Sequence[int], runs: Sequence[_Range]
) -> list[Sequence[Any]]:
    """The hourly rows of `ids` over runs of hours, in one statement."""
    one = _HOURLY.format(marks=_marks(ids))
    params = [value for first, end in runs for value in (*ids, first, end)]
    rows = await conn.execute_fetchall(" UNION ALL ".join([one] * len(runs)), params)
    return [row[1:] for row in rows]


def _missing(first_hour: int, end_hour: int, covered: set[int]) -> tuple[_Range, ...]:
    """The whole hours not `covered` (a series' hours read from rows), as minute ranges.

    Consecutive hours are joined; `covered` holds hours of `[first_hour, end_hour)` only.
    """
    if len(covered) == end_hour - first_hour:
        return ()
    ranges: list[_Range] = []
    for hour in range(first_hour, end_hour):
        if hour in covered:
            continue
        if ranges and ranges[-1][1] == hour * 60:
            ranges[-1] = (ranges[-1][0], hour * 60 + 60)
        else:
            ranges.append((hour * 60, hour * 60 + 60))
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
