"""The read side: series, downsampled points, window statistics and source states.

Window statistics merge the rollups of whole minutes and read raw samples only
for the partial minutes at the edges (the current minute, usually), so a
24-hour percentile is a merge of 1440 small sketches, never a sort. Every
function takes the connection; `Store` offers them as methods. Reads that run on
every refresh fetch in one trip to aiosqlite's thread (`execute_fetchall`), not
through a cursor's three or more.
"""

from __future__ import annotations

import asyncio
import functools
import itertools
import json
import math
from collections.abc import Iterator, Mapping, Sequence
from typing import Final, Literal

import aiosqlite

from collectors.base import SourceState, SourceStatus
from collectors.sketch import QUANTILES, LatencySketch
from collectors.store.model import (
    DEFAULT_LATENCY_BUCKETS_MS,
    Bucket,
    BucketCount,
    SeriesInfo,
    WindowStats,
    labels_match,
)
from collectors.store.query import first_row, scalar
from collectors.store.runs import consecutive_runs
from collectors.store.sealed_minutes import SealedMinutes
from collectors.store.window import KeptMerges, Merged, WindowParts, gather_window

__all__ = [
    "KeptSlots",
    "earliest",
    "points",
    "points_each_way",
    "series",
    "source_statuses",
    "status_history",
    "window_stats",
    "window_stats_each",
]


async def series(
    conn: aiosqlite.Connection,
    name: str | None = None,
    *,
    labels: Mapping[str, str] | None = None,
    source: str | None = None,
) -> list[SeriesInfo]:
    """Stored series matching a name, a label subset and a source (all optional).

    Each comes with its latest value, so this is also the "latest value per
    series" query of the overview.
    """
    where, params = series_filter(name, source)
    found = []
    for row in await conn.execute_fetchall(
        "SELECT id, source, name, labels, unit, last_ts, last_value FROM series "
        f"{where} ORDER BY source, name, labels",
        params,
    ):
        row_labels = dict(_parsed_labels(row[3]))
        if not labels_match(row_labels, labels):
            continue
        found.append(SeriesInfo(row[0], row[1], row[2], row_labels, row[4], row[5], row[6]))
    return found


Combine = Literal["mean", "max", "sum"]
"""How the series of a slot make one value: the mean, the peak, or the sum of their means."""

_COMBINE: Final = {"mean": "avg(mean)", "max": "max(peak)", "sum": "sum(mean)"}


async def points(
    conn: aiosqlite.Connection,
    series: Sequence[SeriesInfo],
    start: float,
    end: float,
    width: int,
    *,
    how: Combine = "mean",
    raw_until: float | None = None,
    kept: KeptSlots | None = None,
) -> list[float | None]:
    """A window downsampled to `width` points (None where a slot has no data).

    Slots of a minute or longer are read from the rollups, shorter ones from
    raw samples. Several series are combined per slot the same way (`sum`
    adds them, e.g. the queue sizes of every queue). With `raw_until` (a
    rewound view's moment), the minute it falls in is read from its raw
    samples up to it, as one more row of that minute: its rollup also holds
    what came after. With `kept` (a read-only store), slots already read
    are taken from it while nothing is written (see `KeptSlots`).
    """
    (values,) = await points_each_way(
        conn, series, start, end, width, (how,), raw_until=raw_until, kept=kept
    )
    return values


class KeptSlots:
    """Slots `points` has read, kept while the file's data version stays the same.

    A sparkline stepped back a slot (`[` on a rewound screen) shows the slots
    it showed, shifted by one: only the new ones are read. Kept are slots of
    whole minutes in a window that starts on a multiple of its slot, by their
    place in time (a slot is then the same rollup minutes whichever window
    holds it), never the one a rewound view's moment falls in or any after it
    (read partly raw, up to the moment); only for reads of many rollups (a
    line over every latency series), where the rows saved outweigh the extra
    trips. A change of the file's data version (another connection
    committed) drops them all, as `KeptMerges` does.

    Args:
        lines: lines (series, way, slot length) kept at most; past it, all are dropped.
        slots: slots kept per line at most; past it, the line's are dropped.
    """

    def __init__(self, lines: int = 1024, slots: int = 4096) -> None:
        self._most = (lines, slots)
        self._version: int | None = None
        self._lines: dict[tuple[tuple[int, ...], Combine, float], dict[int, float | None]] = {}

    def seen(self, version: int) -> None:
        """The file's data version, read before the slots: another one drops every slot."""
        if version != self._version:
            self._version = version
            self._lines.clear()

    def line(self, series: tuple[int, ...], how: Combine, step: float) -> dict[int, float | None]:
        """The kept slots of one line, by their place in time (start / step): read and add to it."""
        lines, slots = self._most
        if len(self._lines) >= lines:
            self._lines.clear()
        found = self._lines.setdefault((series, how, step), {})
        if len(found) >= slots:
            found.clear()
        return found


_KEEP_FROM: Final = 1000 * 60.0
"""Slots are kept for reads of this many minute rollups (times 60) or more: for fewer, the
trips to read the data version and each run of new slots cost more than the rows saved."""


async def points_each_way(
    conn: aiosqlite.Connection,
    series: Sequence[SeriesInfo],
    start: float,
    end: float,
    width: int,
    hows: Sequence[Combine],
    *,
    raw_until: float | None = None,
    kept: KeptSlots | None = None,
) -> list[list[float | None]]:
    """`points` once per way of `hows`, from one query: a chart's mean and peak lines.

    With `kept`, the slots kept already are not read again (`KeptSlots`): each
    run of the others is read alone.
    """
    if width <= 0 or end <= start or not series:
        return [[] for _ in hows]
    step = (end - start) / width
    if kept is None or step % 60 or start % step or len(series) * width * step < _KEEP_FROM:
        return await _slots(conn, series, start, end, width, hows, raw_until)
    kept.seen(await scalar(conn, "PRAGMA data_version"))
    ids = tuple(s.id for s in series)
    lines = [kept.line(ids, how, step) for how in hows]
    first = round(start / step)
    # Slots that end after the minute a rewound view's moment falls in are read each time.
    settled = width if raw_until is None else int((math.floor(raw_until / 60) * 60 - start) // step)
    found: list[list[float | None]] = [[None] * width for _ in hows]
    missing = []
    for slot in range(width):
        if slot < settled and all(first + slot in line for line in lines):
            for values, line in zip(found, lines, strict=True):
                values[slot] = line[first + slot]
        else:
            missing.append(slot)
    for lo, hi in consecutive_runs(missing):
        read = await _slots(
            conn, series, start + lo * step, start + hi * step, hi - lo, hows, raw_until
        )
        for values, line, got in zip(found, lines, read, strict=True):
            values[lo:hi] = got
            line.update((first + slot, got[slot - lo]) for slot in range(lo, min(hi, settled)))
    return found


async def _slots(
    conn: aiosqlite.Connection,
    series: Sequence[SeriesInfo],
    start: float,
    end: float,
    width: int,
    hows: Sequence[Combine],
    raw_until: float | None,
) -> list[list[float | None]]:
    """The slots of `[start, end)` read from the store, one query for every way of `hows`."""
    step = (end - start) / width
    ids = [s.id for s in series]
    marks = ",".join("?" * len(ids))
    if step >= 60:
        last = math.ceil(end / 60) if raw_until is None else math.floor(raw_until / 60)
        rows = (
            "SELECT series_id, minute * 60 AS at, sum AS total, count AS n, max AS peak "
            f"FROM rollups WHERE series_id IN ({marks}) AND minute >= ? AND minute < ?"
        )
        params: list[object] = [*ids, math.ceil(start / 60), min(math.ceil(end / 60), last)]
        if raw_until is not None and end > last * 60:
            rows += (
                " UNION ALL SELECT series_id, ? AS at, sum(value), count(*), max(value) "
                f"FROM samples WHERE series_id IN ({marks}) AND ts >= ? AND ts < ? AND ts <= ? "
                "GROUP BY series_id"
            )
            params += [last * 60.0, *ids, last * 60.0, end, raw_until]
    else:
        rows = (
            "SELECT series_id, ts AS at, value AS total, 1 AS n, value AS peak "
            f"FROM samples WHERE series_id IN ({marks}) AND ts >= ? AND ts < ?"
        )
        params = [*ids, start, end]
    # Each series is reduced per slot first (its mean, and its peak), then the
    # series are combined: `sum` adds the means of several series (queue sizes
    # of every queue); it never adds one series' samples over time.
    sql = (
        f"SELECT slot, {', '.join(_COMBINE[how] for how in hows)} FROM (SELECT "
        "CAST((at - ?) / ? AS INTEGER) AS slot, sum(total) / sum(n) AS mean, max(peak) AS peak "
        f"FROM ({rows}) GROUP BY series_id, slot) GROUP BY slot"
    )
    found: list[list[float | None]] = [[None] * width for _ in hows]
    for slot, *values in await conn.execute_fetchall(sql, [start, step, *params]):
        if 0 <= slot < width:
            for line, value in zip(found, values, strict=True):
                if value is not None:
                    line[slot] = float(value)
    return found


async def window_stats(
    conn: aiosqlite.Connection,
    series: Sequence[SeriesInfo],
    start: float,
    end: float,
    *,
    sealed: SealedMinutes,
    kept: KeptMerges | None = None,
    buckets: Sequence[Bucket] = DEFAULT_LATENCY_BUCKETS_MS,
) -> WindowStats:
    """Count, mean, min, max, p50/p90/p95/p99 and bucket counts over `[start, end)`.

    Whole hours come from the hourly rollups where the writer has sealed them,
    whole minutes from the minute rollups (kept in `sealed` between reads where
    their hour is sealed); the partial minutes at either edge from raw samples,
    or from their rollup when the ring has already dropped those raw samples.
    With `kept` (a read-only store), the merged rollups are kept while nothing
    is written, and a window with the same whole minutes reads only its edges.
    """
    groups = [[s.id for s in series]]
    (stats,) = await _window_stats(groups, conn, start, end, sealed, kept, buckets)
    return stats


async def window_stats_each(
    conn: aiosqlite.Connection,
    series: Sequence[SeriesInfo],
    start: float,
    end: float,
    *,
    sealed: SealedMinutes,
    kept: KeptMerges | None = None,
    buckets: Sequence[Bucket] = DEFAULT_LATENCY_BUCKETS_MS,
) -> list[WindowStats]:
    """`window_stats` of each series alone, in the order given, read in one pass.

    The same figures as one `window_stats([s], ...)` per series, with a few
    queries for all of them instead of a few per series.
    """
    groups = [[s.id] for s in series]
    return await _window_stats(groups, conn, start, end, sealed, kept, buckets)


async def earliest(
    conn: aiosqlite.Connection, series: Sequence[SeriesInfo], start: float, end: float
) -> float | None:
    """When the series' data in `[start, end)` begins, to the minute; None without any.

    Read from the rollups (kept as long as any window is asked for), so the
    answer is the start of the first minute holding a sample, but never
    before `start`.
    """
    ids = [s.id for s in series]
    if not ids or end <= start:
        return None
    marks = ",".join("?" * len(ids))
    first = await first_row(
        conn,
        f"SELECT MIN(minute) FROM rollups WHERE series_id IN ({marks}) "
        "AND minute >= ? AND minute < ?",
        [*ids, math.floor(start / 60), math.ceil(end / 60)],
    )
    if first is None or first[0] is None:
        return None
    return max(start, float(first[0]) * 60.0)


async def source_statuses(conn: aiosqlite.Connection) -> dict[str, SourceStatus]:
    """The current status of every source that has reported, by name."""
    statuses = {}
    for row in await conn.execute_fetchall(
        "SELECT name, state, checked_at, last_success, last_error, consecutive_failures, "
        "note FROM sources ORDER BY name"
    ):
        statuses[row[0]] = SourceStatus(
            source=row[0],
            state=SourceState(row[1]),
            checked_at=row[2],
            last_success=row[3],
            last_error=row[4],
            consecutive_failures=row[5],
            note=row[6],
        )
    return statuses


async def status_history(
    conn: aiosqlite.Connection, source: str | None, since: float
) -> list[SourceStatus]:
    """The state changes of one source (None: of every source) since a time, oldest first."""
    chosen = "" if source is None else "source = ? AND "
    rows = await conn.execute_fetchall(
        "SELECT source, ts, state, last_error, consecutive_failures FROM source_status "
        f"WHERE {chosen}ts >= ? ORDER BY ts",
        (since,) if source is None else (source, since),
    )
    return [
        SourceStatus(name, SourceState(state), ts, None, error, failures)
        for name, ts, state, error, failures in rows
    ]


@functools.lru_cache(maxsize=4096)
def _parsed_labels(text: str) -> tuple[tuple[str, str], ...]:
    """A series' stored labels, parsed once: every refresh reads every series again."""
    return tuple(json.loads(text).items())


def series_filter(name: str | None, source: str | None) -> tuple[str, list[object]]:
    """The `WHERE` clause (maybe empty) and parameters choosing series by name and source."""
    clauses: list[str] = []
    params: list[object] = []
    if name is not None:
        clauses.append("name = ?")
        params.append(name)
    if source is not None:
        clauses.append("source = ?")
        params.append(source)
    return (f"WHERE {' AND '.join(clauses)}" if clauses else ""), params


_MERGE_OFF_LOOP: Final = 2000
"""Sketches merged in a thread from this many on: a week of 150 series takes a while."""


async def _window_stats(
    groups: Sequence[Sequence[int]],
    conn: aiosqlite.Connection,
    start: float,
    end: float,
    sealed: SealedMinutes,
    kept: KeptMerges | None,
    buckets: Sequence[Bucket],
) -> list[WindowStats]:
    parts = await gather_window(conn, groups, start, end, sealed, kept)
    if sum(len(part.rows) + len(part.slices) for part in parts) < _MERGE_OFF_LOOP:
        done = [_merged(part, buckets) for part in parts]
    else:
        done = await asyncio.to_thread(lambda: [_merged(part, buckets) for part in parts])
    for part, (_, rollups) in zip(parts, done, strict=True):
        if part.keep is not None:  # here, on the loop: a read beside this one may keep some too
            part.keep(rollups)
    return [stats for stats, _ in done]


def _rollups(parts: WindowParts) -> Merged:
    """The rollup rows and slices of a window merged (the sum is exact, whatever their order)."""
    slices = parts.slices
    columns = zip(*parts.rows, strict=True) if parts.rows else iter(((),) * 7)
    _, _, counts, totals, lows, highs, blobs = columns
    return Merged(
        sum(counts) + sum(part.count for part in slices),
        tuple(itertools.chain(totals, *(part.totals for part in slices))),
        min(itertools.chain(lows, (part.low for part in slices)), default=math.inf),
        max(itertools.chain(highs, (part.high for part in slices)), default=-math.inf),
        LatencySketch.merged(itertools.chain(blobs, (part.blob for part in slices))),
    )


def _merged(parts: WindowParts, buckets: Sequence[Bucket]) -> tuple[WindowStats, Merged]:
    """The statistics of a window from its parts, and the merge of its rollups."""
    rollups = parts.merged or _rollups(parts)
    values = parts.values
    sketch = rollups.sketch
    if values:
        sketch = LatencySketch()
        sketch.merge(rollups.sketch)  # the merge may be kept: the raw values go to a copy
        sketch.add_many(values)
    stats = _stats(
        rollups.count + len(values),
        math.fsum(itertools.chain(rollups.totals, values)),
        min(rollups.low, *values) if values else rollups.low,
        max(rollups.high, *values) if values else rollups.high,
        sketch,
        buckets,
    )
    return stats, rollups


def _stats(
    count: int,
    total: float,
    low: float,
    high: float,
    sketch: LatencySketch,
    buckets: Sequence[Bucket],
) -> WindowStats:
    if count == 0:
        empty = tuple(BucketCount(b, 0.0, 0.0) for b in buckets)
        return WindowStats(0, None, None, None, {}, empty)
    # One sorted pass over the bins for the percentiles and the buckets' bounds
    # (none asked for by a table of percentiles).
    bounds = [b for bucket in buckets for b in (bucket.low, bucket.high)]
    estimates, below = sketch.summary(QUANTILES, bounds)
    quantiles = {}
    for q, value in zip(QUANTILES, estimates, strict=True):
        if value is not None:
            # The sketch's estimate can stray past the exact extremes by its error.
            quantiles[q] = min(max(value, low), high)
    return WindowStats(
        count=count,
        mean=total / count,
        min=low,
        max=high,
        quantiles=quantiles,
        buckets=tuple(_bucket_counts(sketch, dict(zip(bounds, below, strict=True)), buckets)),
    )


def _bucket_counts(
    sketch: LatencySketch, below: Mapping[float, float], buckets: Sequence[Bucket]
) -> Iterator[BucketCount]:
    """Each bucket's count and share, from the count of values below each of its bounds."""
    if not buckets:  # asked for none (a table of percentiles): the sketch is not counted
        return
    total = sketch.count
    for bucket in buckets:
        below_high = total if math.isinf(bucket.high) else below[bucket.high]
        below_low = 0.0 if bucket.low <= 0 else below[bucket.low]
        count = max(below_high - below_low, 0.0)
        yield BucketCount(bucket, count, 100.0 * count / total if total else 0.0)
