"""Daily rollups: windows of whole days read through them give the figures the minutes give."""

from __future__ import annotations

import math
import random
import sqlite3
from pathlib import Path

from collectors.base import Revision, Sample
from collectors.sketch import LatencySketch
from collectors.store import schema
from collectors.store.database import SourceBatch, Store
from collectors.store.retention import Retention
from tests.collectors import test_store_hourly as hourly
from tests.collectors.test_store_hourly import Clock, assert_same

LATENCY = "chatwoot.api.latency_ms"
HOUR = 3600.0
DAY = 86400.0
DAY0 = math.floor(1_780_000_000 / DAY) * DAY
"""A UTC day's start (tests never depend on today's date); the recording starts 5 h before."""
ENDPOINTS = 2


def samples(start: float, end: float, rng: random.Random) -> list[Sample]:
    """A sample a minute per endpoint, lognormal latencies."""
    found = []
    ts = start
    while ts < end:
        for e in range(ENDPOINTS):
            value = rng.lognormvariate(6.4, 0.7)
            found.append(Sample(LATENCY, value, ts + 7 * e, {"endpoint": f"e{e}"}, "ms"))
        ts += 60.0
    return found


async def record(path: Path, *, retention: Retention | None = None) -> Clock:
    """60 hours from 5 h before DAY0, an hour a write: days DAY0 - 1 (its last 5 h), DAY0 and
    DAY0 + 1 are over by the end."""
    rng = random.Random(7)
    start = DAY0 - 5 * HOUR
    clock = Clock(start)
    async with await Store.open(path, clock=clock, retention=retention) as store:
        for k in range(60):
            clock.now = start + (k + 1) * HOUR
            await store.write([SourceBatch("api", samples(clock.now - HOUR, clock.now, rng))])
    return clock


def daily_rows(path: Path) -> list[tuple[int, int]]:
    """(series id, day) of every daily row."""
    with sqlite3.connect(path) as raw:
        return raw.execute("SELECT series_id, day FROM rollups_daily ORDER BY 1, 2").fetchall()


WINDOWS = (
    (DAY0 - 3 * HOUR + 10, DAY0 + 50 * HOUR - 7),  # ragged edges, two whole days inside
    (DAY0, DAY0 + 2 * DAY),  # whole days only
    (DAY0 + 0.5 * HOUR + 0.5, DAY0 + 47.5 * HOUR),  # whole hours, no whole day
    (DAY0 - 2 * DAY, DAY0 + 4 * DAY),  # beyond the data on both sides
)


async def compare(path: Path, tmp_path: Path) -> None:
    """Every window of days, pooled and each series alone, answers as from the minutes only."""
    await hourly.compare(path, tmp_path, WINDOWS, ENDPOINTS)


def assert_rows_are_their_minutes(path: Path) -> None:
    """Each daily row is the merge of its series' minute rows of that day, as they are now."""
    with sqlite3.connect(path) as raw:
        for series_id, day, count, low, high, blob in raw.execute(
            "SELECT series_id, day, count, min, max, sketch FROM rollups_daily"
        ).fetchall():
            minutes = raw.execute(
                "SELECT count, min, max, sketch FROM rollups "
                "WHERE series_id = ? AND minute >= ? AND minute < ?",
                (series_id, day * 1440, day * 1440 + 1440),
            ).fetchall()
            assert count == sum(m[0] for m in minutes)
            assert (low, high) == (min(m[1] for m in minutes), max(m[2] for m in minutes))
            assert LatencySketch.from_bytes(blob) == LatencySketch.merged(m[3] for m in minutes)


async def test_a_week_of_whole_days_is_read_from_daily_rollups_with_the_minutes_figures(
    tmp_path: Path,
) -> None:
    path = tmp_path / "d.db"
    await record(path)
    day0 = int(DAY0 // DAY)
    # Every day over is sealed, for each series: the part-day before DAY0 too.
    assert daily_rows(path) == [(s, d) for s in (1, 2) for d in (day0 - 1, day0, day0 + 1)]
    assert_rows_are_their_minutes(path)
    await compare(path, tmp_path)
    with sqlite3.connect(path) as raw:  # one series' day not sealed: read from its hours
        raw.execute("DELETE FROM rollups_daily WHERE series_id = 2 AND day = ?", (day0,))
    await compare(path, tmp_path)


async def test_a_late_write_into_a_sealed_day_is_seen_and_the_day_sealed_again(
    tmp_path: Path,
) -> None:
    path = tmp_path / "d.db"
    clock = await record(path)
    async with (
        await Store.open(path, readonly=True) as reader,
        await Store.open(path, clock=clock) as writer,
    ):
        series = await reader.series(LATENCY)
        week = (DAY0 - 2 * DAY, DAY0 + 4 * DAY)
        before = await reader.window_stats(series, *week)
        late = [Sample(LATENCY, 99_999.0, DAY0 + 3 * HOUR + 30, {"endpoint": "e0"}, "ms")]
        revised = [Revision(LATENCY, 0.5, DAY0 + DAY + 20 * HOUR + 7, {"endpoint": "e1"}, "ms")]
        await writer.write([SourceBatch("api", [*late, *revised])])
        after = await reader.window_stats(series, *week)
    assert (after.count, after.max, after.min) == (before.count + 1, 99_999.0, 0.5)
    assert len(daily_rows(path)) == 3 * ENDPOINTS  # unsealed by the write, sealed again in it
    assert_rows_are_their_minutes(path)
    await compare(path, tmp_path)


async def test_the_trim_never_leaves_a_day_row_over_trimmed_minutes(tmp_path: Path) -> None:
    path = tmp_path / "d.db"
    # By the end the rollups start 15 h into DAY0: DAY0 - 1 and DAY0 lose minutes.
    await record(path, retention=Retention(rollup_max_age="40h", raw_max_age="1h"))
    assert daily_rows(path) == [(s, int(DAY0 // DAY) + 1) for s in (1, 2)]
    assert_rows_are_their_minutes(path)
    await compare(path, tmp_path)


async def test_a_database_of_schema_6_migrated_answers_the_same_and_gains_daily_rows(
    tmp_path: Path,
) -> None:
    """A database of the schema before daily rollups: read from hours until sealed."""
    path = tmp_path / "d.db"
    clock = await record(path)
    old = tmp_path / "old.db"
    with sqlite3.connect(path) as raw, sqlite3.connect(old) as out:
        raw.backup(out)
    with sqlite3.connect(old) as raw:
        raw.executescript(
            "DROP TRIGGER rollups_daily_ai; DROP TRIGGER rollups_daily_au; "
            "DROP TRIGGER rollups_daily_ad; DROP TABLE rollups_daily; "
            "PRAGMA user_version = 6;"
        )
        left = raw.execute("SELECT name FROM sqlite_master WHERE sql LIKE '%daily%'").fetchall()
        assert left == []
    assert schema.SCHEMA_VERSION == 7
    async with (
        await Store.open(old, clock=clock) as migrated,  # the writer migrates
        await Store.open(path, readonly=True) as sealed,
    ):
        assert daily_rows(old) == []
        series = await sealed.series(LATENCY)
        for start, end in WINDOWS:
            assert_same(
                await migrated.window_stats(series, start, end),
                await sealed.window_stats(series, start, end),
            )
        rng = random.Random(1)
        for writes in (1, 2):  # the writer seals the day just over, and one older a write
            clock.now += 20
            await migrated.write([SourceBatch("api", samples(clock.now - 20, clock.now, rng))])
            assert len(daily_rows(old)) == (1 + writes) * ENDPOINTS
            await compare(old, tmp_path)
    assert_rows_are_their_minutes(old)
