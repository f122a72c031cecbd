"""Hourly rollups: an hour's minute rollups of one series merged once, by the writer.

A long window is then a merge of hourly sketches (168 for a week) plus the
minutes at its edges, not a merge of every minute. The one rule the readers
rely on: a row of `rollups_hourly`, when present, equals the merge of the minute
rows of its series and hour as they are now. So, all in the transaction that
changes the minutes:

* a write to a minute of an hour already sealed deletes that hour's row
  (`HourSealer.invalidate`), and `seal` merges it again on a later write;
* the trim deletes the rows of every hour it may have cut (`trim_hours`);
* `seal` merges the hours that are over and have no row yet: the last one, the
  ones invalidated, and (a few per write) older ones, newest first, so that a
  migrated database gains rows for its history without a long write.

A reader takes an hour's row where there is one and the minutes otherwise, so
an hour not yet sealed is only slower to read, never different.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Sequence
from typing import Final

import aiosqlite

from collectors.sketch import LatencySketch
from collectors.store.query import first_row

__all__ = ["HourSealer", "merge_rows", "trim_hours"]

_HOURS_PER_WRITE: Final = 3
"""Hours sealed in one write at most, besides the invalidated ones (one, usually)."""

_UNSEALED_MINUTES = (
    "SELECT r.series_id, r.count, r.sum, r.min, r.max, r.sketch FROM rollups AS r "
    "WHERE r.series_id IN (SELECT id FROM series) AND r.minute >= ? AND r.minute < ? "
    "AND NOT EXISTS (SELECT 1 FROM rollups_hourly AS h "
    "WHERE h.series_id = r.series_id AND h.hour = ?)"
)
"""The minute rollups of an hour whose series has no hourly row for it (an index search each)."""

_OLDEST_MINUTE = (
    "SELECT min((SELECT minute FROM rollups WHERE series_id = s.id ORDER BY minute LIMIT 1)) "
    "FROM series AS s"
)
"""The oldest minute stored: an index end per series (the first row by rowid need not be the
oldest: history written after the present, as the benchmarks' database is)."""

_INSERT_HOUR = (
    "INSERT OR REPLACE INTO rollups_hourly (series_id, hour, count, sum, min, max, sketch) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)

_Part = tuple[int, int, float, float, float, bytes]
"""A rollup row: series id, count, sum, min, max, sketch blob."""


def merge_rows(rows: Iterable[_Part]) -> dict[int, tuple[int, float, float, float, bytes]]:
    """Merge rollup rows per series: count, sum, min, max and the merged sketch blob.

    The sum is exact (`math.fsum`), whatever the order of the rows; the blob is
    the sketch's dense layout, which a long window merges fastest.
    """
    parts: dict[int, tuple[list[int], list[float], list[float], list[float], list[bytes]]] = {}
    for series_id, count, total, low, high, blob in rows:
        found = parts.get(series_id)
        if found is None:
            found = parts[series_id] = ([], [], [], [], [])
        found[0].append(count)
        found[1].append(total)
        found[2].append(low)
        found[3].append(high)
        found[4].append(blob)
    return {
        series_id: (
            sum(counts),
            math.fsum(totals),
            min(lows),
            max(highs),
            LatencySketch.merged(blobs).to_dense_bytes(),
        )
        for series_id, (counts, totals, lows, highs, blobs) in parts.items()
    }


async def trim_hours(conn: aiosqlite.Connection, oldest_ts: float) -> None:
    """Delete the hourly rows of every hour starting before `oldest_ts`.

    The trim deletes the minutes older than `oldest_ts`: an hour starting
    before it may lose some of them, so its row would no longer be their merge.
    """
    await conn.execute("DELETE FROM rollups_hourly WHERE hour < ?", (math.ceil(oldest_ts / 3600),))


class HourSealer:
    """Which hours the writer has sealed, and which it should seal next.

    Kept in memory by the writer; `forget` after a rollback (the rows it
    counted as written are not in the file).
    """

    def __init__(self) -> None:
        self._sealed: set[int] = set()
        self._dirty: set[int] = set()
        self._forward: int | None = None
        """The next hour to seal once it is over; None before the first seal."""
        self._backfill: int | None = None
        """The next older hour to seal; None before the first seal."""
        self._oldest: int | None = None
        """The hour of the oldest minute stored, where the backfill stops."""
        self._highest: int | None = None
        """The newest hour with a row; None until read from the file."""

    def forget(self) -> None:
        """Forget what was sealed: the next seals check again (after a rollback)."""
        self._dirty |= self._sealed
        self._sealed.clear()
        self._forward = self._backfill = self._oldest = self._highest = None

    async def invalidate(
        self, conn: aiosqlite.Connection, minutes: Iterable[tuple[int, int]]
    ) -> None:
        """Delete the hourly rows of the hours these (series id, minute) pairs fall in.

        Called for every minute rollup written; only hours up to the newest
        sealed one can have a row, so the usual write (this hour's minutes)
        deletes nothing. The hours are sealed again by a later `seal`.
        """
        if self._highest is None:
            row = await first_row(conn, "SELECT max(hour) FROM rollups_hourly")
            self._highest = -1 if row is None or row[0] is None else int(row[0])
        pairs = {(sid, minute // 60) for sid, minute in minutes if minute // 60 <= self._highest}
        if not pairs:
            return
        await conn.executemany(
            "DELETE FROM rollups_hourly WHERE series_id = ? AND hour = ?", sorted(pairs)
        )
        for _, hour in pairs:
            self._sealed.discard(hour)
            self._dirty.add(hour)

    async def seal(self, conn: aiosqlite.Connection, now: float, oldest_ts: float) -> int:
        """Seal the hours that are over and due (see the module docstring); return how many.

        `oldest_ts` is the trim's cutoff: hours starting before it are left to
        the minutes (the trim deletes their rows).
        """
        current = math.floor(now / 3600)
        floor = math.ceil(oldest_ts / 3600)
        if self._forward is None or self._backfill is None or self._oldest is None:
            self._forward, self._backfill = current - 1, current - 2
            row = await first_row(conn, _OLDEST_MINUTE)
            self._oldest = current if row is None or row[0] is None else int(row[0]) // 60
        due = {hour for hour in self._dirty if floor <= hour < current}
        self._dirty -= due | {hour for hour in self._dirty if hour < floor}
        budget = _HOURS_PER_WRITE
        while self._forward < current and budget:  # the hours just over (several after a pause)
            due.add(self._forward)
            self._forward += 1
            budget -= 1
        while self._backfill >= max(floor, self._oldest) and budget:  # older ones, newest first
            due.add(self._backfill)
            self._backfill -= 1
            budget -= 1
        due = {hour for hour in due if hour >= floor and hour not in self._sealed}
        for hour in sorted(due, reverse=True):
            await self._seal_hour(conn, hour)
            self._sealed.add(hour)
            self._highest = max(hour, -1 if self._highest is None else self._highest)
        return len(due)

    async def _seal_hour(self, conn: aiosqlite.Connection, hour: int) -> None:
        rows: Sequence[_Part] = await conn.execute_fetchall(  # type: ignore[assignment]
            _UNSEALED_MINUTES, (hour * 60, hour * 60 + 60, hour)
        )
        if not rows:
            return
        # Merging thousands of sketches takes a while: off the event loop.
        merged = await asyncio.to_thread(merge_rows, rows)
        await conn.executemany(
            _INSERT_HOUR,
            [(series_id, hour, *part) for series_id, part in sorted(merged.items())],
        )
