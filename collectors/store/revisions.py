"""Late datapoints: a `Revision` replaces what its series holds at its timestamp.

The raw samples of the series at that exact time are deleted, the revisions
given for it inserted, and the rollup of that minute rebuilt from the raw
samples the ring still holds, so re-reading a window never duplicates a point.
Runs inside the writer's transaction.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import aiosqlite

from collectors.base import Revision
from collectors.store.rollup import UPSERT_ROLLUP, Rollup, WriterCache, series_key

__all__ = ["write_revisions"]


async def write_revisions(
    conn: aiosqlite.Connection, cache: WriterCache, revisions: Sequence[tuple[str, Revision]]
) -> int:
    """Apply the revisions of a write, each with its source; return how many rows went in."""
    keyed = [(series_key(source, r), r) for source, r in revisions if math.isfinite(r.value)]
    if not keyed:
        return 0
    missing = [(key, r) for key, r in keyed if key not in cache.series_ids]
    if missing:
        await cache.create_series(conn, missing)
    points: dict[tuple[int, float], list[float]] = {}
    latest: dict[int, tuple[float, float]] = {}
    for key, r in keyed:
        series_id = cache.series_ids[key]
        points.setdefault((series_id, r.ts), []).append(r.value)
        known = latest.get(series_id)
        if known is None or r.ts >= known[0]:
            latest[series_id] = (r.ts, r.value)
    await conn.executemany("DELETE FROM samples WHERE series_id = ? AND ts = ?", list(points))
    rows = [(sid, ts, value) for (sid, ts), values in points.items() for value in values]
    await conn.executemany("INSERT INTO samples (series_id, ts, value) VALUES (?, ?, ?)", rows)
    await conn.executemany(
        "UPDATE series SET last_ts = ?, last_value = ? "
        "WHERE id = ? AND (last_ts IS NULL OR last_ts <= ?)",
        [(ts, value, sid, ts) for sid, (ts, value) in latest.items()],
    )
    minutes = sorted({(sid, int(ts // 60)) for sid, ts in points})
    for series_id, minute in minutes:
        await _rebuild_rollup(conn, cache, series_id, minute)
    await cache.hours.invalidate(conn, minutes)
    cache.days.touched(minutes)
    return len(rows)


async def _rebuild_rollup(
    conn: aiosqlite.Connection, cache: WriterCache, series_id: int, minute: int
) -> None:
    """Recompute one minute's rollup from the raw samples the ring still holds."""
    stored = await conn.execute_fetchall(
        "SELECT value FROM samples WHERE series_id = ? AND ts >= ? AND ts < ?",
        (series_id, minute * 60.0, (minute + 1) * 60.0),
    )
    values = [float(v) for (v,) in stored]
    if not values:
        cache.rollups.pop((series_id, minute), None)
        await conn.execute(
            "DELETE FROM rollups WHERE series_id = ? AND minute = ?", (series_id, minute)
        )
        return
    rollup = Rollup()
    rollup.add_many(values)
    cache.rollups[series_id, minute] = rollup
    await conn.execute(UPSERT_ROLLUP, rollup.row(series_id, minute))
