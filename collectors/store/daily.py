"""Daily rollups: a UTC day's hourly rollups of one series merged once, by the writer.

A week is then about seven day rows plus the hours and minutes at its edges,
not 168 hours. The rule is the hourly one (`hourly`), a level up: a row of
`rollups_daily`, when present, equals the merge of the minute rows of its
series and day as they are now. So:

* any change to a minute row (a late write, a revision, the trim) deletes the
  row of its day, in the same statement: the schema's triggers on `rollups`;
* `seal` merges a day once it is over and every hour of it holding minutes has
  its hourly row (so the day is the merge of those rows): the day just over,
  the days a write touched, and (one per write) older ones, newest first, so
  that a migrated database gains rows for its history without a long write. A
  day whose hours are not all sealed yet waits for a later write.

A reader takes a day's row where there is one and its hours and minutes
otherwise, so a day not yet sealed is only slower to read, never different.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import Iterable, Sequence
from typing import Final

import aiosqlite

from collectors.store.hourly import merge_rows
from collectors.store.query import first_row

__all__ = ["DaySealer"]

_DAYS_PER_WRITE: Final = 1
"""Older days sealed in one write at most, besides the day just over and the touched ones."""

_UNSEALED = (
    "SELECT id FROM series AS s WHERE NOT EXISTS "
    "(SELECT 1 FROM rollups_daily AS d WHERE d.series_id = s.id AND d.day = ?)"
)
"""The series without a row for the day (those with no minutes in it too)."""

_UNSEALED_HOUR = (
    "WITH RECURSIVE h(hour) AS (SELECT ? UNION ALL SELECT hour + 1 FROM h WHERE hour < ?) "
    f"SELECT 1 FROM ({_UNSEALED}) AS s, h "
    "WHERE NOT EXISTS (SELECT 1 FROM rollups_hourly AS r "
    "WHERE r.series_id = s.id AND r.hour = h.hour) "
    "AND EXISTS (SELECT 1 FROM rollups AS m "
    "WHERE m.series_id = s.id AND m.minute >= h.hour * 60 AND m.minute < h.hour * 60 + 60) "
    "LIMIT 1"
)
"""An hour of the day with minutes and no hourly row, of a series to seal: an index search
per series-hour."""

_HOURS = (
    "SELECT series_id, count, sum, min, max, sketch FROM rollups_hourly "
    f"WHERE series_id IN ({_UNSEALED}) AND hour >= ? AND hour < ?"
)
"""The hourly rows of the day of the series to seal."""

_INSERT_DAY = (
    "INSERT OR REPLACE INTO rollups_daily (series_id, day, count, sum, min, max, sketch) "
    "VALUES (?, ?, ?, ?, ?, ?, ?)"
)

_Part = tuple[int, int, float, float, float, bytes]


class DaySealer:
    """Which days the writer has sealed, and which it should seal next.

    Kept in memory by the writer, after its `HourSealer` (a day waits for its
    hours); `forget` after a rollback.
    """

    def __init__(self) -> None:
        self._sealed: set[int] = set()
        self._dirty: set[int] = set()
        self._forward: int | None = None
        """The next day to seal once it is over; None before the first seal."""
        self._backfill: int | None = None
        """The next older day to seal; None before the first seal."""

    def forget(self) -> None:
        """Forget what was sealed: the next seals check again (after a rollback)."""
        self._dirty |= self._sealed
        self._sealed.clear()
        self._forward = self._backfill = None

    def touched(self, minutes: Iterable[tuple[int, int]]) -> None:
        """The days of these (series id, minute) pairs changed: seal them again once due.

        Their rows are gone already (the triggers on `rollups`); the days not
        over yet are sealed when they are, as every day is.
        """
        days = {minute // 1440 for _, minute in minutes}
        self._sealed -= days
        self._dirty |= days

    async def seal(self, conn: aiosqlite.Connection, now: float, oldest_ts: float) -> int:
        """Seal the days that are over and due (see the module docstring); return how many.

        `oldest_ts` is the trim's cutoff: days starting before it are left to
        their hours and minutes (the trim deletes some of their minutes).
        """
        current = math.floor(now / 86400)
        floor = math.ceil(oldest_ts / 86400)
        if self._forward is None or self._backfill is None:
            self._forward, self._backfill = current - 1, current - 2
        self._dirty -= {day for day in self._dirty if day < floor}
        due = {day for day in self._dirty if day < current} - self._sealed
        while self._forward < current:  # the day just over (several after a pause)
            due.add(self._forward)
            self._forward += 1
        sealed = 0
        for day in sorted(due, reverse=True):
            if await self._seal_day(conn, day):
                sealed += 1
            else:
                self._dirty.add(day)  # its hours first: again next write
        budget = _DAYS_PER_WRITE
        oldest = await self._oldest(conn, current) if self._backfill >= floor else current
        while self._backfill >= max(floor, oldest) and budget:  # older ones, newest first
            day = self._backfill
            if day not in self._sealed and day not in self._dirty:
                if not await self._seal_day(conn, day):
                    break  # its hours are not all sealed yet: this day again next write
                sealed += 1
                budget -= 1
            self._backfill -= 1
        return sealed

    @staticmethod
    async def _oldest(conn: aiosqlite.Connection, current: int) -> int:
        """The day of the oldest hourly row, where the backfill stops for now (an index end).

        Asked on every write of the backfill: the hours' own backfill may reach
        further back meanwhile (a database migrated from before hourly rollups).
        """
        row = await first_row(conn, "SELECT min(hour) FROM rollups_hourly")
        return current if row is None or row[0] is None else int(row[0]) // 24

    async def _seal_day(self, conn: aiosqlite.Connection, day: int) -> bool:
        """Seal one day if every hour of it holding minutes is sealed; whether it was.

        Only the series without a row for it are merged (one, after a late write).
        """
        first_hour = day * 24
        if await first_row(conn, _UNSEALED_HOUR, (first_hour, first_hour + 23, day)) is not None:
            return False
        rows: Sequence[_Part] = await conn.execute_fetchall(  # type: ignore[assignment]
            _HOURS, (day, first_hour, first_hour + 24)
        )
        if rows:
            # Merging thousands of hourly sketches takes a while: off the event loop.
            merged = await asyncio.to_thread(merge_rows, rows)
            await conn.executemany(
                _INSERT_DAY,
                [(series_id, day, *part) for series_id, part in sorted(merged.items())],
            )
        self._sealed.add(day)
        self._dirty.discard(day)
        return True
