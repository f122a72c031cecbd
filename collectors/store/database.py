"""The SQLite ring buffer every process meets at: `Store`, the one handle on a database.

Contract:

* One writer per database file, enforced with an advisory lock beside it
  (`lock`); any number of readers in other processes (WAL mode, so they never
  block the writer and the writer never blocks them).
* `Store.write` takes batches from several sources and commits them in one
  transaction (`write`, `revisions`), then trims the ring (`retention`).
* The reads (`read`) answer in the plain values of `model`, which this module
  exports with `Store` so that callers import the store's vocabulary from one place.
* `Store.as_of` (a reader's setting, None = live) makes the "latest" reads,
  `series` and `source_statuses`, answer as they stood at a past moment (`as_of`;
  every series read once per moment), and keeps chart slots from reading a
  minute rollup finished after it (`read.points` with `raw_until`); the other
  window reads need no switch, their spans end by then.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sqlite3
import time
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Final, Literal

import aiosqlite

from collectors.base import SourceStatus
from collectors.errors import StoreError
from collectors.store import db_file, read
from collectors.store.as_of import oldest_raw, series_as_of, statuses_as_of
from collectors.store.lock import WriterHealth, WriterLock
from collectors.store.model import (
    DEFAULT_LATENCY_BUCKETS_MS,
    Bucket,
    BucketCount,
    SeriesInfo,
    SourceBatch,
    WindowStats,
)
from collectors.store.query import scalar
from collectors.store.read_memo import ReadMemo
from collectors.store.retention import Retention, trim
from collectors.store.schema import MIGRATIONS, SCHEMA_VERSION
from collectors.store.sealed_minutes import SealedMinutes
from collectors.store.window import KeptMerges
from collectors.store.write import Writer

__all__ = [
    "DEFAULT_LATENCY_BUCKETS_MS",
    "Bucket",
    "BucketCount",
    "SeriesInfo",
    "SourceBatch",
    "Store",
    "StoreError",
    "WindowStats",
    "WriterHealth",
]

_CHECKPOINT_EVERY: Final = 30.0
"""Seconds between passive WAL checkpoints."""


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
        self.as_of: float | None = None
        """Answer `series` and `source_statuses` as at this past moment (None: live).

        Set on a read-only store (a rewound view); writes are unaffected.
        """
        self._lock = lock
        self._write_lock = asyncio.Lock()
        self._writer = Writer(conn)
        self._sealed = SealedMinutes()
        self._kept = KeptMerges() if readonly else None  # a writer's commits keep its version
        self._slots = read.KeptSlots() if readonly else None
        self._then: tuple[tuple[float, int], list[SeriesInfo]] | None = None
        self._then_lock = asyncio.Lock()
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
            version = await scalar(self._conn, "PRAGMA user_version")
            await self._conn.execute("PRAGMA journal_mode = WAL")
            await self._conn.execute("PRAGMA synchronous = NORMAL")
            await self._conn.execute("PRAGMA journal_size_limit = 67108864")
            await self._migrate(version)
            if await scalar(self._conn, "PRAGMA application_id") != db_file.APPLICATION_ID:
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

    def memoize(self) -> ReadMemo:
        """A memo answering this reader's repeated reads while the database has not changed.

        See `read_memo`: inside its `reading()` windows only. For a reader (a TUI);
        the writer's reads inside a write must always reach the file.

        Raises:
            StoreError: the store is the writer.
        """
        if not self.readonly:
            raise StoreError(f"{self.path}: the writer's reads are never memoized")
        memo = ReadMemo(self._conn)
        memo.attach(self._conn)
        return memo

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
                inserted = await self._writer.write(batches)
                now = self._clock()
                await trim(self._conn, self.retention, now, inserted)
                oldest = now - self.retention.rollup_max_age
                await self._writer.cache.hours.seal(self._conn, now, oldest)
                await self._writer.cache.days.seal(self._conn, now, oldest)
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
        self._writer.cache.clear()
        # Always sent, not only when in_transaction says so: a cancelled write
        # may have queued its BEGIN without aiosqlite's thread having run it yet.
        # "No transaction is active" (SQLite rolled back by itself) is fine too.
        with contextlib.suppress(sqlite3.Error, ValueError):
            await asyncio.shield(self._conn.execute("ROLLBACK"))

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
        series" query of the overview. While `as_of` is set: the value as of
        then (from a minute rollup where the raw samples aged out, marked
        `from_rollup`), and only series that had data by then.
        """
        if self.as_of is None:
            return await read.series(self._conn, name, labels=labels, source=source)
        return [
            info
            for info in await self._series_then(self.as_of)
            if info.matches(name, labels=labels, source=source)
        ]

    async def _series_then(self, moment: float) -> list[SeriesInfo]:
        """Every series as of `moment`: read once per moment while no write comes between.

        A screen asks for several names at one moment (the latency screen ten
        times a refresh, its panels at once): one query answers them all, the
        others wait for it.
        """
        async with self._then_lock:
            version = await self.data_version()
            if self._then is None or self._then[0] != (moment, version):
                self._then = ((moment, version), await series_as_of(self._conn, moment))
            return self._then[1]

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

        See `read.points`: several series are combined per slot by `how`.
        While `as_of` is set, no slot holds data from after it. A reader keeps
        the whole-minute slots it has read while nothing is written
        (`read.KeptSlots`): a window stepped a slot reads only the new ones.
        """
        return await read.points(
            self._conn, series, start, end, width, how=how, raw_until=self.as_of, kept=self._slots
        )

    async def points_each_way(
        self,
        series: Sequence[SeriesInfo],
        start: float,
        end: float,
        width: int,
        hows: Sequence[read.Combine],
    ) -> list[list[float | None]]:
        """`points` once per way of `hows`, from one query (`read.points_each_way`)."""
        return await read.points_each_way(
            self._conn, series, start, end, width, hows, raw_until=self.as_of, kept=self._slots
        )

    async def window_stats(
        self,
        series: Sequence[SeriesInfo],
        start: float,
        end: float,
        *,
        buckets: Sequence[Bucket] = DEFAULT_LATENCY_BUCKETS_MS,
    ) -> WindowStats:
        """Count, mean, min, max, p50/p90/p95/p99 and bucket counts over `[start, end)`."""
        return await read.window_stats(
            self._conn, series, start, end, sealed=self._sealed, kept=self._kept, buckets=buckets
        )

    async def window_stats_each(
        self,
        series: Sequence[SeriesInfo],
        start: float,
        end: float,
        *,
        buckets: Sequence[Bucket] = DEFAULT_LATENCY_BUCKETS_MS,
    ) -> list[WindowStats]:
        """`window_stats` of each series alone, in the order given, read in one pass."""
        return await read.window_stats_each(
            self._conn, series, start, end, sealed=self._sealed, kept=self._kept, buckets=buckets
        )

    async def earliest(
        self, series: Sequence[SeriesInfo], start: float, end: float
    ) -> float | None:
        """When the series' data in `[start, end)` begins, to the minute; None without any."""
        return await read.earliest(self._conn, series, start, end)

    async def source_statuses(self) -> dict[str, SourceStatus]:
        """The current status of every source that has reported, by name.

        While `as_of` is set: each source's state as of then, from its recorded
        changes (sources that had not reported by then are left out).
        """
        if self.as_of is not None:
            return await statuses_as_of(self._conn, self.as_of)
        return await read.source_statuses(self._conn)

    async def data_version(self) -> int:
        """SQLite's `PRAGMA data_version`: it changes when another connection commits to the file.

        A reader may keep what it read for as long as it stays the same; a
        connection's own commits do not change it.
        """
        return int(await scalar(self._conn, "PRAGMA data_version"))

    async def raw_since(self) -> float | None:
        """The time of the oldest raw sample still in the ring (None when it is empty).

        Older spans are read from minute rollups, which a screen says.
        """
        return await oldest_raw(self._conn)

    async def status_history(self, source: str | None, since: float) -> list[SourceStatus]:
        """The state changes of one source (None: every source, in one read) since a time."""
        return await read.status_history(self._conn, source, since)

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
                await trim(self._conn, self.retention, self._clock(), 0)
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
        return await scalar(self._conn, f"SELECT count(*) FROM {table}")
