"""The SQLite ring buffer every process meets at: schema, batched writes, window queries.

Contract:

* One writer per database file, enforced with an advisory lock beside it;
  any number of readers in other processes (WAL mode, so they never block the
  writer and the writer never blocks them).
* `Store.write` takes batches from several sources and commits them in one
  transaction: raw samples, per-minute rollups (count, sum, min, max and a
  `LatencySketch`), each series' latest value, log lines, source status.
* Every growing table is a ring: after each write the oldest rows beyond the
  age and row bounds of `Retention` are deleted by rowid range, a bounded chunk
  per transaction, so a writer never stalls on a large delete.
* Window statistics merge the rollups of whole minutes and read raw samples
  only for the partial minutes at the edges (the current minute, usually), so
  a 24-hour percentile is a merge of 1440 small sketches, never a sort.
"""

from __future__ import annotations

import asyncio
import bisect
import contextlib
import itertools
import json
import math
import os
import sqlite3
import time
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Final, Literal

import aiosqlite

from collectors.base import LogEvent, Record, Sample, SourceState, SourceStatus
from collectors.errors import StoreError
from collectors.sketch import LatencySketch
from collectors.store import db_file
from collectors.store.lock import WriterHealth, WriterLock
from collectors.store.retention import Retention
from collectors.store.schema import MIGRATIONS, SCHEMA_VERSION, labels_key, storable

__all__ = [
    "DEFAULT_LATENCY_BUCKETS_MS",
    "Bucket",
    "BucketCount",
    "Revision",
    "SeriesInfo",
    "SourceBatch",
    "Store",
    "StoreError",
    "WindowStats",
    "WriterHealth",
]

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
_TRIM_CHUNK: Final = 20_000
"""Rows one retention step may delete from one table, at the least."""
_CHECKPOINT_EVERY: Final = 30.0
"""Seconds between passive WAL checkpoints."""
_ROLLUP_CACHE_MINUTES: Final = 5
"""Minutes of open rollups the writer keeps in memory."""
_LOOKUP_CHUNK: Final = 400
"""(series, minute) pairs looked up per query; well under SQLite's variable limit."""
QUANTILES: Final = (0.5, 0.9, 0.95, 0.99)


@dataclass(frozen=True, slots=True)
class Bucket:
    """One bar of a latency distribution: values in `[low, high)`."""

    label: str
    low: float
    high: float


DEFAULT_LATENCY_BUCKETS_MS: Final = (
    Bucket("<1s", 0.0, 1000.0),
    Bucket("<2s", 1000.0, 2000.0),
    Bucket("<5s", 2000.0, 5000.0),
    Bucket("5-10s", 5000.0, 10000.0),
    Bucket("10-30s", 10000.0, 30000.0),
    Bucket(">30s", 30000.0, math.inf),
)
"""Seed 001's SLA buckets, in milliseconds: under 5 s is compliant."""


@dataclass(frozen=True, slots=True)
class BucketCount:
    """How many values of a window fell in one bucket."""

    bucket: Bucket
    count: float
    """Approximate where the bucket edge splits a sketch bin (within 1 % of the value)."""
    percent: float


@dataclass(frozen=True, slots=True)
class WindowStats:
    """Summary of one or more series over a time window."""

    count: int
    mean: float | None
    min: float | None
    max: float | None
    quantiles: Mapping[float, float]
    """Quantile (0.5, 0.9, 0.95, 0.99) to value; empty when there is no data."""
    buckets: tuple[BucketCount, ...]

    def quantile(self, q: float) -> float | None:
        """The value at quantile `q`, or None without data."""
        return self.quantiles.get(q)


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    """A stored series and its latest value."""

    id: int
    source: str
    name: str
    labels: Mapping[str, str]
    unit: str
    last_ts: float | None
    last_value: float | None


@dataclass(frozen=True, slots=True)
class SourceBatch:
    """What one poll of one source produced: records and the status after it."""

    source: str
    records: Sequence[Record] = ()
    status: SourceStatus | None = None


# ------------------------------------------------ revisions (late datapoints)


@dataclass(frozen=True, slots=True)
class Revision(Sample):
    """A sample that replaces what its series holds at its exact timestamp.

    Upstreams that publish late and re-aggregate (CloudWatch: a minute's
    datapoint appears or changes for a few minutes) send every point of the
    window they re-read as a `Revision`. `Store.write` deletes the series' raw
    samples at that timestamp, inserts the revisions given for it and rebuilds
    the rollup of that minute from the raw samples, so re-reading never
    duplicates a point. Revisions of one series and timestamp in one write
    replace as a set.
    """


# ------------------------------------------------------------------ rollups


@dataclass(slots=True)
class _Rollup:
    count: int = 0
    total: float = 0.0
    low: float = math.inf
    high: float = -math.inf
    sketch: LatencySketch = field(default_factory=LatencySketch)

    def add_many(self, values: list[float]) -> None:
        self.count += len(values)
        self.total += math.fsum(values)
        self.low = min(self.low, min(values))
        self.high = max(self.high, max(values))
        self.sketch.add_many(values)

    def row(self, series_id: int, minute: int) -> tuple[object, ...]:
        return (
            series_id,
            minute,
            self.count,
            self.total,
            self.low,
            self.high,
            self.sketch.to_bytes(),
        )


def _rollup_lookup_sql(pairs: int) -> str:
    """The stored rollups of `pairs` (series_id, minute) parameter pairs.

    A join from the listed pairs, so each is one search of the unique index;
    `(series_id, minute) IN (VALUES ...)` made SQLite scan the whole table.
    """
    keys = ",".join("(?, ?)" for _ in range(pairs))
    return (
        "SELECT r.series_id, r.minute, r.count, r.sum, r.min, r.max, r.sketch "
        f"FROM (VALUES {keys}) AS k CROSS JOIN rollups AS r "
        "ON r.series_id = k.column1 AND r.minute = k.column2"
    )


_SeriesKey = tuple[str, str, tuple[tuple[str, str], ...]]
"""Source, series name and label pairs in the sample's order: how the writer caches series ids.

Not sorted, so a sample costs no sort; the same labels in another order are one
more key for the same id (`_create_series` finds the existing row).
"""
_Row = tuple[int, float, float]
"""A raw sample row: series id, time, value."""


def _series_key(source: str, sample: Sample) -> _SeriesKey:
    labels = sample.labels
    return (source, sample.series, tuple(labels.items()) if labels else ())


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
        self, source: str, samples: Sequence[Sample], series_ids: Mapping[_SeriesKey, int]
    ) -> list[tuple[_SeriesKey, Sample]]:
        """Append the samples of known series; return those of series not seen yet."""
        missing: list[tuple[_SeriesKey, Sample]] = []
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
                key = _series_key(source, sample)
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


class Store:
    """The database of one wootwatch deployment; open it with `Store.open`."""

    def __init__(
        self,
        conn: aiosqlite.Connection,
        path: Path,
        *,
        retention: Retention,
        readonly: bool,
        lock: WriterLock | None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._conn = conn
        self._clock = clock
        self.path = path
        """Where the database file is."""
        self.retention = retention
        """The ring bounds this writer enforces."""
        self.readonly = readonly
        """True for a reader (`--attach`, `export`): writes raise StoreError."""
        self._lock = lock
        self._write_lock = asyncio.Lock()
        self._series_ids: dict[_SeriesKey, int] = {}
        self._rollups: dict[tuple[int, int], _Rollup] = {}
        self._last_checkpoint = time.monotonic()

    @classmethod
    async def open(
        cls,
        path: str | os.PathLike[str],
        *,
        retention: Retention | None = None,
        readonly: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> Store:
        """Open (and, for a writer, create and migrate) the database at `path`.

        `clock` is the wall-clock time that retention measures ages against
        (fixed when a test records a history).

        Raises:
            StoreError: the file cannot be opened, is not a wootwatch database,
                was made by a newer wootwatch, or already has a writer.
        """
        db_path = Path(path).expanduser()
        lock: WriterLock | None = None
        try:
            if not readonly:
                db_path.parent.mkdir(parents=True, exist_ok=True)
            conn = await db_file.connect(db_path, mode="ro" if readonly else "rwc")
        except OSError as exc:
            raise StoreError(db_file.describe_failure(db_path, exc, writing=True)) from None
        except db_file.DatabaseFileError as exc:
            raise StoreError(str(exc)) from None
        if not readonly:
            lock = WriterLock(db_path)
            try:
                lock.acquire()
            except (OSError, StoreError) as exc:
                await conn.close()
                if isinstance(exc, StoreError):
                    raise
                raise StoreError(db_file.describe_failure(db_path, exc, writing=True)) from exc
        store = cls(
            conn,
            db_path,
            retention=retention or Retention(),
            readonly=readonly,
            lock=lock,
            clock=clock,
        )
        try:
            await store._prepare()
        except BaseException:
            await store.close()
            raise
        return store

    async def _prepare(self) -> None:
        if self.readonly:
            return  # `db_file.connect` has checked the file is ours, at our schema
        try:
            version = await self._scalar("PRAGMA user_version")
            await self._conn.execute("PRAGMA journal_mode = WAL")
            await self._conn.execute("PRAGMA synchronous = NORMAL")
            await self._conn.execute("PRAGMA journal_size_limit = 67108864")
            await self._migrate(version)
            if await self._scalar("PRAGMA application_id") != db_file.APPLICATION_ID:
                # A file made before wootwatch set its application_id: stamp it.
                await self._conn.execute(f"PRAGMA application_id = {db_file.APPLICATION_ID}")
        except sqlite3.DatabaseError as exc:
            raise StoreError(db_file.describe_failure(self.path, exc, writing=True)) from exc

    async def _migrate(self, version: int) -> None:
        for target in range(version + 1, SCHEMA_VERSION + 1):
            script = MIGRATIONS[target - 1]
            await self._conn.executescript(
                f"BEGIN IMMEDIATE;\n{script}\nPRAGMA user_version = {target};\n"
                f"PRAGMA application_id = {db_file.APPLICATION_ID};\nCOMMIT;"
            )

    async def close(self) -> None:
        """Checkpoint (writer only), close the connection and release the writer lock."""
        async with self._write_lock:  # never under a write in progress
            try:
                if not self.readonly:
                    # Truncate the WAL only if no reader is using it right now:
                    # waiting for attached readers would hang a stopping collector.
                    # A WAL left behind is replayed on the next open.
                    with contextlib.suppress(sqlite3.Error):
                        await self._conn.execute("PRAGMA busy_timeout = 0")
                        await self._conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
                await self._conn.close()
            finally:
                if self._lock is not None:
                    self._lock.release()

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def _scalar(self, sql: str, params: Sequence[object] = ()) -> int:
        row = await self._first_row(sql, params)
        return int(row[0]) if row and row[0] is not None else 0

    async def _first_row(self, sql: str, params: Sequence[object] = ()) -> sqlite3.Row | None:
        """The first row of a query, in one trip to aiosqlite's thread (a cursor takes three)."""
        rows = await self._conn.execute_fetchall(sql, params)
        return next(iter(rows), None)

    # ------------------------------------------------------------------ writes

    async def write(self, batches: Sequence[SourceBatch]) -> None:
        """Commit the batches of one or more sources in one transaction.

        Raises:
            StoreError: the write failed (disk full, read-only file); nothing of
                the batches was stored, so the caller may retry them.
        """
        if self.readonly:
            raise StoreError(f"{self.path}: opened read-only")
        async with self._write_lock:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                inserted = await self._write_in_transaction(batches)
                await self._trim(inserted)
                await self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                await self._rollback()
                raise StoreError(f"{self.path}: write failed: {exc}") from exc
            except BaseException:
                await self._rollback()
                raise
            await self._maybe_checkpoint()

    async def _rollback(self) -> None:
        # What the cancelled transaction put in the caches is not in the file.
        self._series_ids.clear()
        self._rollups.clear()
        # Always sent, not only when in_transaction says so: a cancelled write
        # may have queued its BEGIN without aiosqlite's thread having run it yet.
        # "No transaction is active" (SQLite rolled back by itself) is fine too.
        with contextlib.suppress(sqlite3.Error, ValueError):
            await asyncio.shield(self._conn.execute("ROLLBACK"))

    async def _write_in_transaction(self, batches: Sequence[SourceBatch]) -> int:
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
                    batch.source, samples[start : start + _PREP_SLICE], self._series_ids
                )
                if missing:
                    await self._create_series(missing)
                    prepared.add(batch.source, [s for _, s in missing], self._series_ids)
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
        revised = await self._write_revisions(revisions)
        for batch in batches:
            if batch.status is not None:
                await self._write_status(batch.status)
        return prepared.count + len(log_rows) + revised

    async def _insert_samples(self, rows: Iterable[_Row]) -> object:
        return await self._conn.executemany(
            "INSERT INTO samples (series_id, ts, value) VALUES (?, ?, ?)", rows
        )

    async def _create_series(self, missing: Sequence[tuple[_SeriesKey, Sample]]) -> None:
        """Insert the series first seen in this write and cache their ids."""
        new = {key: sample.unit for key, sample in missing}
        rows = [
            (src, storable(name), labels_key(dict(pairs)), storable(unit))
            for (src, name, pairs), unit in new.items()
        ]
        await self._conn.executemany(
            "INSERT OR IGNORE INTO series (source, name, labels, unit) VALUES (?, ?, ?, ?)", rows
        )
        for key, row in zip(new, rows, strict=True):
            found = await self._first_row(
                "SELECT id FROM series WHERE source = ? AND name = ? AND labels = ?", row[:3]
            )
            assert found is not None  # inserted just above, in this transaction
            self._series_ids[key] = int(found[0])

    async def _write_rollups(self, by_minute: dict[tuple[int, int], list[float]]) -> None:
        unknown = [key for key in by_minute if key not in self._rollups]
        for key in unknown:
            self._rollups[key] = _Rollup()
        for start in range(0, len(unknown), _LOOKUP_CHUNK):
            chunk = unknown[start : start + _LOOKUP_CHUNK]
            stored = await self._conn.execute_fetchall(
                _rollup_lookup_sql(len(chunk)), [value for key in chunk for value in key]
            )
            for series_id, minute, count, total, low, high, blob in stored:
                self._rollups[series_id, minute] = _Rollup(
                    count, total, low, high, LatencySketch.from_bytes(blob)
                )
        rows = []
        budget = _PREP_SLICE
        for key, values in by_minute.items():
            rollup = self._rollups[key]
            rollup.add_many(values)
            rows.append(rollup.row(*key))
            budget -= len(values) + _ROW_COST
            if budget <= 0:  # about as much work as preparing a slice of samples
                budget = _PREP_SLICE
                await asyncio.sleep(0)
        await self._conn.executemany(
            "INSERT INTO rollups (series_id, minute, count, sum, min, max, sketch) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (series_id, minute) DO UPDATE SET "
            "count = excluded.count, sum = excluded.sum, min = excluded.min, "
            "max = excluded.max, sketch = excluded.sketch",
            rows,
        )
        newest = max(minute for _, minute in by_minute)
        for key in [k for k in self._rollups if k[1] < newest - _ROLLUP_CACHE_MINUTES]:
            del self._rollups[key]

    async def _write_status(self, status: SourceStatus) -> None:
        previous = await self._first_row(
            "SELECT state, last_error FROM sources WHERE name = ?", (status.source,)
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

    async def _write_revisions(self, revisions: Sequence[tuple[str, Revision]]) -> int:
        """Apply the revisions of a write, each with its source; return how many rows went in."""
        keyed = [(_series_key(source, r), r) for source, r in revisions if math.isfinite(r.value)]
        if not keyed:
            return 0
        missing = [(key, r) for key, r in keyed if key not in self._series_ids]
        if missing:
            await self._create_series(missing)
        points: dict[tuple[int, float], list[float]] = {}
        latest: dict[int, tuple[float, float]] = {}
        for key, r in keyed:
            series_id = self._series_ids[key]
            points.setdefault((series_id, r.ts), []).append(r.value)
            known = latest.get(series_id)
            if known is None or r.ts >= known[0]:
                latest[series_id] = (r.ts, r.value)
        await self._conn.executemany(
            "DELETE FROM samples WHERE series_id = ? AND ts = ?", list(points)
        )
        rows = [(sid, ts, value) for (sid, ts), values in points.items() for value in values]
        await self._conn.executemany(
            "INSERT INTO samples (series_id, ts, value) VALUES (?, ?, ?)", rows
        )
        await self._conn.executemany(
            "UPDATE series SET last_ts = ?, last_value = ? "
            "WHERE id = ? AND (last_ts IS NULL OR last_ts <= ?)",
            [(ts, value, sid, ts) for sid, (ts, value) in latest.items()],
        )
        for series_id, minute in sorted({(sid, int(ts // 60)) for sid, ts in points}):
            await self._rebuild_rollup(series_id, minute)
        return len(rows)

    async def _rebuild_rollup(self, series_id: int, minute: int) -> None:
        """Recompute one minute's rollup from the raw samples the ring still holds."""
        stored = await self._conn.execute_fetchall(
            "SELECT value FROM samples WHERE series_id = ? AND ts >= ? AND ts < ?",
            (series_id, minute * 60.0, (minute + 1) * 60.0),
        )
        values = [float(v) for (v,) in stored]
        if not values:
            self._rollups.pop((series_id, minute), None)
            await self._conn.execute(
                "DELETE FROM rollups WHERE series_id = ? AND minute = ?", (series_id, minute)
            )
            return
        rollup = _Rollup()
        rollup.add_many(values)
        self._rollups[series_id, minute] = rollup
        await self._conn.execute(
            "INSERT INTO rollups (series_id, minute, count, sum, min, max, sketch) "
            "VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (series_id, minute) DO UPDATE SET "
            "count = excluded.count, sum = excluded.sum, min = excluded.min, "
            "max = excluded.max, sketch = excluded.sketch",
            rollup.row(series_id, minute),
        )

    # --------------------------------------------------------------- retention

    async def _trim(self, inserted: int) -> None:
        # Deleting at least twice what was inserted keeps a steady ingest inside
        # the bounds; a larger backlog (bounds just lowered) drains over writes.
        budget = max(_TRIM_CHUNK, 2 * inserted)
        now = self._clock()
        keep = self.retention
        await self._trim_table("samples", "ts", now - keep.raw_max_age, keep.raw_max_rows, budget)
        await self._trim_table("rollups", "minute * 60", now - keep.rollup_max_age, None, budget)
        await self._trim_table("log_lines", "ts", now - keep.log_max_age, keep.log_max_rows, budget)
        await self._trim_table("source_status", "ts", now - keep.status_max_age, None, budget)

    async def _trim_table(
        self, table: str, ts_expr: str, oldest_ts: float, max_rows: int | None, budget: int
    ) -> None:
        """Delete, oldest first, the rows beyond the bounds: at most a chunk per call.

        Rowids grow with insertion, so the rows to drop are the rowid range below
        a cutoff: found by counting for the row bound and by binary search over
        rowids (timestamps grow with them, give or take late data) for the age.
        """
        # Sub-selects: SQLite answers a lone min() or max() from the index end,
        # but `SELECT min(id), max(id)` scans the whole table.
        row = await self._first_row(
            f"SELECT (SELECT min(id) FROM {table}), (SELECT max(id) FROM {table}), "
            f"(SELECT {ts_expr} FROM {table} ORDER BY id LIMIT 1)"
        )
        if row is None or row[0] is None:
            return
        first, last, first_ts = int(row[0]), int(row[1]), float(row[2])
        limit = first + budget
        if max_rows is not None and last - first + 1 > max_rows:
            cutoff = min(last - max_rows + 1, limit)
            await self._conn.execute(f"DELETE FROM {table} WHERE id < ?", (cutoff,))
            first = cutoff
            first_ts = await self._ts_at_or_after(table, ts_expr, first)
        if first_ts >= oldest_ts:
            return
        # Timestamps only roughly follow rowids (a backfill writes old times late),
        # so the search merely bounds the range and the age test decides per row:
        # a wrong guess keeps old rows a little longer, it never drops fresh ones.
        cutoff = await self._first_id_not_older(table, ts_expr, first, last + 1, oldest_ts)
        await self._conn.execute(
            f"DELETE FROM {table} WHERE id < ? AND {ts_expr} < ?",
            (min(cutoff, limit), oldest_ts),
        )

    async def _ts_at_or_after(self, table: str, ts_expr: str, rowid: int) -> float:
        row = await self._first_row(
            f"SELECT {ts_expr} FROM {table} WHERE id >= ? ORDER BY id LIMIT 1", (rowid,)
        )
        return float(row[0]) if row else math.inf

    async def _first_id_not_older(
        self, table: str, ts_expr: str, low: int, high: int, oldest_ts: float
    ) -> int:
        while low < high:
            middle = (low + high) // 2
            if await self._ts_at_or_after(table, ts_expr, middle) < oldest_ts:
                low = middle + 1
            else:
                high = middle
        return low

    async def _maybe_checkpoint(self) -> None:
        if time.monotonic() - self._last_checkpoint < _CHECKPOINT_EVERY:
            return
        self._last_checkpoint = time.monotonic()
        with contextlib.suppress(sqlite3.Error):  # a busy one is retried next interval
            await self._conn.execute("PRAGMA wal_checkpoint(PASSIVE)")

    async def checkpoint(self) -> None:
        """Run a passive WAL checkpoint now (the writer does it every 30 s anyway)."""
        self._last_checkpoint = 0.0
        await self._maybe_checkpoint()

    # ------------------------------------------------------------------- reads

    async def series(
        self,
        name: str | None = None,
        *,
        labels: Mapping[str, str] | None = None,
        source: str | None = None,
    ) -> list[SeriesInfo]:
        """Stored series matching a name, a label subset and a source (all optional).

        Each comes with its latest value, so this is also the "latest value per
        series" query of the overview.
        """
        clauses, params = [], []
        if name is not None:
            clauses.append("name = ?")
            params.append(name)
        if source is not None:
            clauses.append("source = ?")
            params.append(source)
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        found = []
        async with self._conn.execute(
            "SELECT id, source, name, labels, unit, last_ts, last_value FROM series "
            f"{where} ORDER BY source, name, labels",
            params,
        ) as cursor:
            async for row in cursor:
                row_labels: dict[str, str] = json.loads(row[3])
                if labels and any(row_labels.get(k) != v for k, v in labels.items()):
                    continue
                found.append(SeriesInfo(row[0], row[1], row[2], row_labels, row[4], row[5], row[6]))
        return found

    async def points(
        self,
        series: Sequence[SeriesInfo],
        start: float,
        end: float,
        width: int,
        *,
        how: Literal["mean", "max", "sum"] = "mean",
    ) -> list[float | None]:
        """A window downsampled to `width` points (None where a slot has no data).

        Slots of a minute or longer are read from the rollups, shorter ones from
        raw samples. Several series are combined per slot the same way (`sum`
        adds them, e.g. the queue sizes of every queue).
        """
        if width <= 0 or end <= start or not series:
            return []
        step = (end - start) / width
        ids = [s.id for s in series]
        marks = ",".join("?" * len(ids))
        if step >= 60:
            slot, mean, peak = "minute * 60", "sum(sum) / sum(count)", "max(max)"
            table, where = "rollups", "minute >= ? AND minute < ?"
            params: list[object] = [start, step, *ids, math.ceil(start / 60), math.ceil(end / 60)]
        else:
            slot, mean, peak = "ts", "avg(value)", "max(value)"
            table, where = "samples", "ts >= ? AND ts < ?"
            params = [start, step, *ids, start, end]
        # Each series is reduced per slot first (its mean, or its peak), then the
        # series are combined: `sum` adds the means of several series (queue sizes
        # of every queue); it never adds one series' samples over time.
        inner = peak if how == "max" else mean
        outer = {"mean": "avg(v)", "max": "max(v)", "sum": "sum(v)"}[how]
        sql = (
            f"SELECT slot, {outer} FROM (SELECT CAST(({slot} - ?) / ? AS INTEGER) AS slot, "
            f"{inner} AS v FROM {table} WHERE series_id IN ({marks}) AND {where} "
            "GROUP BY series_id, slot) GROUP BY slot"
        )
        values: list[float | None] = [None] * width
        async with self._conn.execute(sql, params) as cursor:
            async for slot, value in cursor:
                if 0 <= slot < width and value is not None:
                    values[slot] = float(value)
        return values

    async def window_stats(
        self,
        series: Sequence[SeriesInfo],
        start: float,
        end: float,
        *,
        buckets: Sequence[Bucket] = DEFAULT_LATENCY_BUCKETS_MS,
    ) -> WindowStats:
        """Count, mean, min, max, p50/p90/p95/p99 and bucket counts over `[start, end)`.

        Whole minutes come from the rollups; the partial minutes at either edge
        from raw samples, or from their rollup when the ring has already dropped
        those raw samples.
        """
        ids = [s.id for s in series]
        if not ids or end <= start:
            return _stats(0, 0.0, math.inf, -math.inf, LatencySketch(), buckets)
        first_full = math.ceil(start / 60)
        last_full = math.floor(end / 60)  # exclusive
        if first_full > last_full:  # no minute boundary inside: all of it is an edge
            rollup_minutes: set[int] = set()
            edges = [(start, end)]
        else:
            rollup_minutes = set(range(first_full, last_full))
            edges = [(start, first_full * 60.0), (last_full * 60.0, end)]
        marks = ",".join("?" * len(ids))
        count, total, low, high = 0, 0.0, math.inf, -math.inf
        blobs: list[bytes] = []
        raw_ranges = []
        raw_floor = await self._oldest_raw_ts(ids)
        for edge_start, edge_end in edges:
            if edge_end <= edge_start:
                continue
            if edge_start >= raw_floor:
                raw_ranges.append((edge_start, edge_end))
            else:
                rollup_minutes.add(math.floor(edge_start / 60))
        async with self._conn.execute(
            f"SELECT count, sum, min, max, sketch FROM rollups WHERE series_id IN ({marks}) "
            "AND minute >= ? AND minute < ?",
            [*ids, min(rollup_minutes, default=0), max(rollup_minutes, default=-1) + 1],
        ) as cursor:
            async for row_count, row_sum, row_min, row_max, blob in cursor:
                count += row_count
                total += row_sum
                low, high = min(low, row_min), max(high, row_max)
                blobs.append(blob)
        sketch = LatencySketch.merged(blobs)
        for raw_start, raw_end in raw_ranges:
            async with self._conn.execute(
                f"SELECT value FROM samples WHERE series_id IN ({marks}) AND ts >= ? AND ts < ?",
                [*ids, raw_start, raw_end],
            ) as cursor:
                values = [float(v) for (v,) in await cursor.fetchall()]
            if values:
                count += len(values)
                total += math.fsum(values)
                low, high = min(low, min(values)), max(high, max(values))
                sketch.add_many(values)
        return _stats(count, total, low, high, sketch, buckets)

    async def earliest(
        self, series: Sequence[SeriesInfo], start: float, end: float
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
        first = await self._first_row(
            f"SELECT MIN(minute) FROM rollups WHERE series_id IN ({marks}) "
            "AND minute >= ? AND minute < ?",
            [*ids, math.floor(start / 60), math.ceil(end / 60)],
        )
        if first is None or first[0] is None:
            return None
        return max(start, float(first[0]) * 60.0)

    async def _oldest_raw_ts(self, ids: Sequence[int]) -> float:
        oldest = math.inf
        for series_id in ids:
            async with self._conn.execute(
                "SELECT ts FROM samples WHERE series_id = ? ORDER BY ts LIMIT 1", (series_id,)
            ) as cursor:
                row = await cursor.fetchone()
            if row is not None:
                oldest = min(oldest, float(row[0]))
        return oldest

    async def source_statuses(self) -> dict[str, SourceStatus]:
        """The current status of every source that has reported, by name."""
        statuses = {}
        async with self._conn.execute(
            "SELECT name, state, checked_at, last_success, last_error, consecutive_failures, "
            "note FROM sources ORDER BY name"
        ) as cursor:
            async for row in cursor:
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

    async def status_history(self, source: str, since: float) -> list[SourceStatus]:
        """The state changes of one source since a time, oldest first."""
        async with self._conn.execute(
            "SELECT ts, state, last_error, consecutive_failures FROM source_status "
            "WHERE source = ? AND ts >= ? ORDER BY ts",
            (source, since),
        ) as cursor:
            rows = await cursor.fetchall()
        return [
            SourceStatus(source, SourceState(state), ts, None, error, failures)
            for ts, state, error, failures in rows
        ]

    def report_health(self, health: WriterHealth) -> None:
        """Publish the writer's health for readers (writer only; see `WriterHealth`)."""
        if self._lock is not None:
            self._lock.publish(health)

    def writer_health(self) -> WriterHealth:
        """The health the writer of this database last published (all well for the writer).

        Only meaningful while `has_writer()` says a collector writes: a writer
        that died left its last words behind. A view asks `has_writer()` once
        per refresh and reads this only then, so the lock file is checked once.
        """
        return WriterLock(self.path).read_health() if self.readonly else WriterHealth()

    async def trim(self) -> None:
        """Apply the retention bounds now, in a transaction of their own.

        The scheduler calls it while writes fail, so the ring still sheds its
        oldest rows (and SQLite reuses their pages) when inserts cannot commit.

        Raises:
            StoreError: the trim failed too.
        """
        if self.readonly:
            raise StoreError(f"{self.path}: opened read-only")
        async with self._write_lock:
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                await self._trim(0)
                await self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                await self._rollback()
                raise StoreError(f"{self.path}: trim failed: {exc}") from exc
            except BaseException:
                await self._rollback()
                raise

    def has_writer(self) -> bool:
        """Whether a collector is writing this database now (always True for the writer).

        A reader's source states are only as fresh as the last write: when this
        is False, nothing updates them, however `ok` they look.
        """
        return not self.readonly or WriterLock(self.path).held_elsewhere()

    async def count_rows(self, table: Literal["samples", "rollups", "log_lines"]) -> int:
        """How many rows a ring table holds now (for status lines and tests)."""
        return await self._scalar(f"SELECT count(*) FROM {table}")


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
    quantiles = {}
    for q in QUANTILES:
        value = sketch.quantile(q)
        if value is not None:
            # The sketch's estimate can stray past the exact extremes by its error.
            quantiles[q] = min(max(value, low), high)
    return WindowStats(
        count=count,
        mean=total / count,
        min=low,
        max=high,
        quantiles=quantiles,
        buckets=tuple(_bucket_counts(sketch, buckets)),
    )


def _bucket_counts(sketch: LatencySketch, buckets: Sequence[Bucket]) -> Iterator[BucketCount]:
    total = sketch.count
    for bucket in buckets:
        below_high = total if math.isinf(bucket.high) else sketch.count_below(bucket.high)
        below_low = 0.0 if bucket.low <= 0 else sketch.count_below(bucket.low)
        count = max(below_high - below_low, 0.0)
        yield BucketCount(bucket, count, 100.0 * count / total if total else 0.0)
