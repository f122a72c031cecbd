"""The write path: one transaction's samples, rollups, latest values, log lines and status.

Samples are prepared a slice at a time, split into minutes a few series at a
time and inserted a slice at a time, yielding to the event loop in between, so
a large write never stalls the loop. `Writer.write` runs inside the
transaction `Store.write` opens; revisions go through `revisions`.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from typing import Final

import aiosqlite

from collectors.base import LogEvent, Record, Revision, Sample, SourceStatus
from collectors.sketch import LatencySketch
from collectors.store.model import SourceBatch
from collectors.store.query import first_row
from collectors.store.revisions import write_revisions
from collectors.store.rollup import (
    UPSERT_ROLLUP,
    Rollup,
    SeriesKey,
    WriterCache,
    rollup_lookup_sql,
    series_key,
)
from collectors.store.schema import storable

__all__ = ["Writer"]

_PREP_SLICE: Final = 1024
"""Samples prepared between two yields to the event loop, and rows per `executemany`.

Both keep the loop's lag low: aiosqlite's thread holds the GIL while it binds
each row, so the loop may wait for the rest of a running `executemany`.
"""
_SUMMARY_LOAD: Final = 4 * _PREP_SLICE
"""Samples split into minutes between two yields (a quarter of the work of preparing them)."""
_SERIES_COST: Final = 64
"""Splitting a series into minutes costs about as much as this many of its samples more."""
_ROW_COST: Final = 50
"""Serializing a rollup's sketch costs about as much as adding this many values to it."""
_ROLLUP_CACHE_MINUTES: Final = 5
"""Minutes of open rollups the writer keeps in memory."""
_LOOKUP_CHUNK: Final = 400
"""(series, minute) pairs looked up per query; well under SQLite's variable limit."""
_Row = tuple[int, float, float]
"""A raw sample row: series id, time, value."""


def _minute_of(ts: float) -> float:
    return ts // 60


def _finite(ts: float, value: float) -> bool:
    return math.isfinite(ts) and math.isfinite(value)


def _by_kind(records: Sequence[Record]) -> tuple[list[Sample], list[LogEvent], list[Revision]]:
    """Split records into plain samples, log lines and revisions."""
    samples = [record for record in records if type(record) is Sample]
    if len(samples) == len(records):  # the bulk of writes: samples only
        return samples, [], []
    samples, logs, revisions = [], [], []
    for record in records:
        if isinstance(record, Revision):
            revisions.append(record)
        elif isinstance(record, Sample):
            samples.append(record)
        elif isinstance(record, LogEvent):
            logs.append(record)
    return samples, logs, revisions


class _PreparedSamples:
    """Raw rows, per-minute values and latest values of the samples of one write.

    Samples are not made into row tuples (or any object per sample): `add`
    appends each time and value to a flat list per series, `summarize` checks
    and splits each series into minutes and moves it into three columns, and
    `rows` zips the columns while SQLite binds them. A write of many series
    with one sample each so allocates a few objects per series, which keeps
    the garbage collector quiet.
    """

    def __init__(self) -> None:
        self.by_series: dict[int, list[float]] = {}
        """Per series, `[ts, value, ts, value, ...]` as given; emptied by `summarize`."""
        self.by_minute: dict[tuple[int, int], list[float]] = {}
        self.latest: dict[int, tuple[float, float]] = {}
        self._ids: list[int] = []
        self._times: list[float] = []
        self._values: list[float] = []

    @property
    def count(self) -> int:
        """How many samples `summarize` kept."""
        return len(self._ids)

    def add(
        self, source: str, samples: Sequence[Sample], series_ids: Mapping[SeriesKey, int]
    ) -> list[tuple[SeriesKey, Sample]]:
        """Append the samples of known series; return those of series not seen yet."""
        missing: list[tuple[SeriesKey, Sample]] = []
        isfinite, lookup, by_series = math.isfinite, series_ids.get, self.by_series
        # Nothing else runs during this loop, and the samples keep their label
        # mappings alive, so a mapping's identity stands for its content here:
        # the samples of a series that share one mapping build its key once.
        seen: dict[tuple[str, int], Callable[[float], None]] = {}
        seen_get = seen.get
        for sample in samples:
            identity = (sample.series, id(sample.labels))
            append = seen_get(identity)
            if append is None:
                key = series_key(source, sample)
                series_id = lookup(key)
                if series_id is None:
                    if isfinite(sample.value) and isfinite(sample.ts):  # no series for nothing
                        missing.append((key, sample))
                    continue
                append = seen[identity] = by_series.setdefault(series_id, []).append
            append(sample.ts)
            append(sample.value)
        return missing

    def summarize(self, series_id: int) -> int:
        """Move one series into the columns, without NaN and infinities, and into its minutes.

        Returns how many samples it had.
        """
        flat = self.by_series.pop(series_id)
        times, values = flat[0::2], flat[1::2]
        # A NaN or an infinity makes a sum NaN or infinite: one pass in C per
        # column instead of two isfinite() calls per sample. (So can an overflow;
        # then the filter merely finds nothing to drop.)
        if not (math.isfinite(sum(times)) and math.isfinite(sum(values))):
            kept = [(t, v) for t, v in zip(times, values, strict=True) if _finite(t, v)]
            times, values = [t for t, _ in kept], [v for _, v in kept]
            if not times:
                return len(flat) // 2
        if len(times) > 1 and times != sorted(times):  # rare: samples out of time order
            # A stable sort: of equal times, the last given stays last (and latest).
            order = sorted(range(len(times)), key=times.__getitem__)
            times, values = [times[i] for i in order], [values[i] for i in order]
        first, last = times[0] // 60, times[-1] // 60
        if first == last:  # the usual poll: one minute
            self.by_minute.setdefault((series_id, int(first)), []).extend(values)
        else:
            start = 0
            while start < len(times):
                minute = times[start] // 60
                end = bisect.bisect_right(times, minute, lo=start, key=_minute_of)
                self.by_minute.setdefault((series_id, int(minute)), []).extend(values[start:end])
                start = end
        self.latest[series_id] = (times[-1], values[-1])
        self._ids += itertools.repeat(series_id, len(times))
        self._times += times
        self._values += values
        return len(flat) // 2

    def rows(self) -> Iterator[_Row]:
        """The raw rows of the write, series by series (once every series is summarized)."""
        return zip(self._ids, self._times, self._values, strict=True)


class Writer:
    """The writer connection's write path, with the caches its commits leave behind."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn
        self.cache = WriterCache()
        """Series ids and open rollups; clear it when a transaction rolls back."""

    async def write(self, batches: Sequence[SourceBatch]) -> int:
        """Insert everything; return how many rows went into the ring tables.

        Samples are prepared a slice at a time, then split into minutes a few
        series at a time, then inserted a slice at a time, so the event loop
        runs in between. (Overlapping inserts with preparation was measured
        slower: the two threads fight over the GIL.)
        """
        prepared = _PreparedSamples()
        log_rows: list[tuple[object, ...]] = []
        revisions: list[tuple[str, Revision]] = []
        for batch in batches:
            samples, logs, batch_revisions = _by_kind(batch.records)
            revisions.extend((batch.source, r) for r in batch_revisions)
            for start in range(0, len(samples), _PREP_SLICE):
                missing = prepared.add(
                    batch.source, samples[start : start + _PREP_SLICE], self.cache.series_ids
                )
                if missing:
                    await self.cache.create_series(self._conn, missing)
                    prepared.add(batch.source, [s for _, s in missing], self.cache.series_ids)
                await asyncio.sleep(0)
            log_rows.extend(
                (
                    r.ts,
                    batch.source,
                    storable(r.group),
                    storable(r.stream),
                    storable(r.level),
                    None if r.event_id is None else storable(r.event_id),
                    storable(r.message),
                )
                for r in logs
                if math.isfinite(r.ts)
            )
        load = 0
        for series_id in list(prepared.by_series):
            load += prepared.summarize(series_id) + _SERIES_COST
            if load >= _SUMMARY_LOAD:
                load = 0
                await asyncio.sleep(0)
        # One iterator, a slice per call: each executemany binds the next
        # _PREP_SLICE rows, and aiosqlite's thread runs the calls in order.
        rows = prepared.rows()
        for _ in range(0, prepared.count, _PREP_SLICE):
            await self._insert_samples(itertools.islice(rows, _PREP_SLICE))
        if prepared.latest:
            await self._conn.executemany(
                "UPDATE series SET last_ts = ?, last_value = ? "
                "WHERE id = ? AND (last_ts IS NULL OR last_ts <= ?)",
                [(ts, value, sid, ts) for sid, (ts, value) in prepared.latest.items()],
            )
            await self._write_rollups(prepared.by_minute)
        if log_rows:
            await self._conn.executemany(
                "INSERT OR IGNORE INTO log_lines "
                "(ts, source, log_group, stream, level, event_id, message) "
                "VALUES (?, ?, ?, ?, ?, ?, ?)",
                log_rows,
            )
        revised = await write_revisions(self._conn, self.cache, revisions)
        for batch in batches:
            if batch.status is not None:
                await self._write_status(batch.status)
        return prepared.count + len(log_rows) + revised

    async def _insert_samples(self, rows: Iterable[_Row]) -> object:
        return await self._conn.executemany(
            "INSERT INTO samples (series_id, ts, value) VALUES (?, ?, ?)", rows
        )

    async def _write_rollups(self, by_minute: dict[tuple[int, int], list[float]]) -> None:
        unknown = [key for key in by_minute if key not in self.cache.rollups]
        for key in unknown:
            self.cache.rollups[key] = Rollup()
        for start in range(0, len(unknown), _LOOKUP_CHUNK):
            chunk = unknown[start : start + _LOOKUP_CHUNK]
            stored = await self._conn.execute_fetchall(
                rollup_lookup_sql(len(chunk)), [value for key in chunk for value in key]
            )
            for series_id, minute, count, total, low, high, blob in stored:
                self.cache.rollups[series_id, minute] = Rollup(
                    count, total, low, high, LatencySketch.from_bytes(blob)
                )
        rows = []
        budget = _PREP_SLICE
        for key, values in by_minute.items():
            rollup = self.cache.rollups[key]
            rollup.add_many(values)
            rows.append(rollup.row(*key))
            budget -= len(values) + _ROW_COST
            if budget <= 0:  # about as much work as preparing a slice of samples
                budget = _PREP_SLICE
                await asyncio.sleep(0)
        await self._conn.executemany(UPSERT_ROLLUP, rows)
        await self.cache.hours.invalidate(self._conn, by_minute)
        self.cache.days.touched(by_minute)
        newest = max(minute for _, minute in by_minute)
        for key in [k for k in self.cache.rollups if k[1] < newest - _ROLLUP_CACHE_MINUTES]:
            del self.cache.rollups[key]

    async def _write_status(self, status: SourceStatus) -> None:
        previous = await first_row(
            self._conn, "SELECT state, last_error FROM sources WHERE name = ?", (status.source,)
        )
        await self._conn.execute(
            "INSERT INTO sources (name, state, checked_at, last_success, last_error, "
            "consecutive_failures, note) VALUES (?, ?, ?, ?, ?, ?, ?) "
            "ON CONFLICT (name) DO UPDATE SET state = excluded.state, "
            "checked_at = excluded.checked_at, last_success = excluded.last_success, "
            "last_error = excluded.last_error, "
            "consecutive_failures = excluded.consecutive_failures, note = excluded.note",
            (
                status.source,
                status.state.value,
                status.checked_at,
                status.last_success,
                status.last_error,
                status.consecutive_failures,
                status.note,
            ),
        )
        if previous is None or tuple(previous) != (status.state.value, status.last_error):
            await self._conn.execute(
                "INSERT INTO source_status (source, ts, state, last_error, "
                "consecutive_failures) VALUES (?, ?, ?, ?, ?)",
                (
                    status.source,
                    status.checked_at,
                    status.state.value,
                    status.last_error,
                    status.consecutive_failures,
                ),
            )

    # ------------------------------------------------ revisions (late datapoints)
