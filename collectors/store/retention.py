"""How much history the store keeps: the ring-buffer bounds, and the trim that enforces them.

Every growing table is a ring: after each write the oldest rows beyond the age
and row bounds are deleted by rowid range, a bounded chunk per transaction, so
a writer never stalls on a large delete.
"""

from __future__ import annotations

import math
from typing import Final

import aiosqlite
from pydantic import BaseModel, ConfigDict, Field

from collectors.base import Duration
from collectors.store.hourly import trim_hours
from collectors.store.query import first_row

__all__ = ["Retention", "trim"]

_TRIM_CHUNK: Final = 20_000
"""Rows one retention step may delete from one table, at the least."""


class Retention(BaseModel):
    """Bounds on every growing table; the oldest rows go first, a chunk at a time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    raw_max_age: Duration = 24 * 3600.0
    """Raw samples older than this are deleted."""
    raw_max_rows: int = Field(default=5_000_000, ge=1000)
    """At most this many raw samples are kept (about 40 bytes each on disk)."""
    rollup_max_age: Duration = 35 * 86400.0
    """Per-minute rollups (count, sum, min, max, sketch) are kept this long (30-day uptime)."""
    log_max_age: Duration = 7 * 86400.0
    """Cached log lines older than this are deleted."""
    log_max_rows: int = Field(default=1_000_000, ge=1000)
    """At most this many cached log lines are kept."""
    status_max_age: Duration = 35 * 86400.0
    """Source status history is kept this long."""


async def trim(conn: aiosqlite.Connection, keep: Retention, now: float, inserted: int) -> None:
    """Delete the rows beyond the bounds from every ring table, a bounded chunk each.

    Runs inside the caller's transaction; `inserted` is how many rows it wrote.
    One trip reads the ends of every table; a table inside its bounds (almost
    every write) costs nothing more.
    """
    # Deleting at least twice what was inserted keeps a steady ingest inside
    # the bounds; a larger backlog (bounds just lowered) drains over writes.
    budget = max(_TRIM_CHUNK, 2 * inserted)
    rings = (
        ("samples", "ts", now - keep.raw_max_age, keep.raw_max_rows),
        ("rollups", "minute * 60", now - keep.rollup_max_age, None),
        ("log_lines", "ts", now - keep.log_max_age, keep.log_max_rows),
        ("source_status", "ts", now - keep.status_max_age, None),
    )
    # Sub-selects: SQLite answers a lone min() or max() from the index end,
    # but `SELECT min(id), max(id)` scans the whole table.
    ends = await first_row(
        conn,
        "SELECT "
        + ", ".join(
            f"(SELECT min(id) FROM {table}), (SELECT max(id) FROM {table}), "
            f"(SELECT {ts_expr} FROM {table} ORDER BY id LIMIT 1)"
            for table, ts_expr, _, _ in rings
        )
        + ", (SELECT min(hour) FROM rollups_hourly)",
    )
    assert ends is not None  # a SELECT without FROM always has its one row
    for index, (table, ts_expr, oldest_ts, max_rows) in enumerate(rings):
        first, last, first_ts = ends[3 * index : 3 * index + 3]
        if first is not None:
            ends_of = (int(first), int(last), float(first_ts))
            await _trim_table(conn, table, ts_expr, ends_of, oldest_ts, max_rows, budget)
    oldest_hour = ends[3 * len(rings)]
    if oldest_hour is not None and oldest_hour < math.ceil(rings[1][2] / 3600):
        await trim_hours(conn, rings[1][2])


async def _trim_table(
    conn: aiosqlite.Connection,
    table: str,
    ts_expr: str,
    ends: tuple[int, int, float],
    oldest_ts: float,
    max_rows: int | None,
    budget: int,
) -> None:
    """Delete, oldest first, the rows beyond the bounds: at most a chunk per call.

    `ends` are the table's first and last rowids and the first row's time.
    Rowids grow with insertion, so the rows to drop are the rowid range below
    a cutoff: found by counting for the row bound and by binary search over
    rowids (timestamps grow with them, give or take late data) for the age.
    """
    first, last, first_ts = ends
    limit = first + budget
    if max_rows is not None and last - first + 1 > max_rows:
        cutoff = min(last - max_rows + 1, limit)
        await conn.execute(f"DELETE FROM {table} WHERE id < ?", (cutoff,))
        first = cutoff
        first_ts = await _ts_at_or_after(conn, table, ts_expr, first)
    if first_ts >= oldest_ts:
        return
    # Timestamps only roughly follow rowids (a backfill writes old times late),
    # so the search merely bounds the range and the age test decides per row:
    # a wrong guess keeps old rows a little longer, it never drops fresh ones.
    cutoff = await _first_id_not_older(conn, table, ts_expr, first, last + 1, oldest_ts)
    await conn.execute(
        f"DELETE FROM {table} WHERE id < ? AND {ts_expr} < ?",
        (min(cutoff, limit), oldest_ts),
    )


async def _ts_at_or_after(
    conn: aiosqlite.Connection, table: str, ts_expr: str, rowid: int
) -> float:
    row = await first_row(
        conn, f"SELECT {ts_expr} FROM {table} WHERE id >= ? ORDER BY id LIMIT 1", (rowid,)
    )
    return float(row[0]) if row else math.inf


async def _first_id_not_older(
    conn: aiosqlite.Connection, table: str, ts_expr: str, low: int, high: int, oldest_ts: float
) -> int:
    while low < high:
        middle = (low + high) // 2
        if await _ts_at_or_after(conn, table, ts_expr, middle) < oldest_ts:
            low = middle + 1
        else:
            high = middle
    return low
