"""Hourly rollups: windows read through them give the figures the minute rollups give."""

from __future__ import annotations

import math
import random
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from collectors.base import Revision, Sample
from collectors.sketch import DenseBins, LatencySketch, Packing
from collectors.store import schema
from collectors.store.database import SourceBatch, Store, WindowStats
from collectors.store.hour_bins import HourBins
from collectors.store.retention import Retention

LATENCY = "chatwoot.api.latency_ms"
HOUR = 3600.0
BASE = (math.floor(1_780_000_000 / HOUR) - 1) * HOUR
"""An hour boundary, to start recordings at (tests never depend on today's date)."""


class Clock:
    """Wall-clock time that moves only when a test says so."""

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def samples(start: float, end: float, rng: random.Random, endpoints: int = 3) -> list[Sample]:
    """A sample every 20 s per endpoint, lognormal latencies."""
    found = []
    ts = start
    while ts < end:
        for e in range(endpoints):
            value = rng.lognormvariate(6.4, 0.7)
            found.append(Sample(LATENCY, value, ts + e, {"endpoint": f"e{e}"}, "ms"))
        ts += 20.0
    return found


async def record(
    path: Path, hours: float, *, retention: Retention | None = None, base: float = BASE
) -> Clock:
    """Write `hours` of samples from `base`, ten minutes a write, the clock following the data."""
    rng = random.Random(16)
    clock = Clock(base)
    async with await Store.open(path, clock=clock, retention=retention) as store:
        step = 600.0
        for k in range(int(hours * HOUR / step)):
            start = base + k * step
            clock.now = start + step
            await store.write([SourceBatch("api", samples(start, start + step, rng))])
    return clock


def hourly_rows(path: Path) -> int:
    with sqlite3.connect(path) as raw:
        return int(raw.execute("SELECT count(*) FROM rollups_hourly").fetchone()[0])


def minutes_only(path: Path, tmp_path: Path) -> Path:
    """A copy of the database without hourly rows: every window read from the minutes."""
    copy = tmp_path / "minutes-only.db"
    with sqlite3.connect(path) as raw, sqlite3.connect(copy) as out:
        raw.backup(out)
    with sqlite3.connect(copy) as out:
        out.execute("DELETE FROM rollups_daily")
        out.execute("DELETE FROM rollups_hourly")
    return copy


def assert_same(mine: WindowStats, theirs: WindowStats) -> None:
    assert (mine.count, mine.min, mine.max) == (theirs.count, theirs.min, theirs.max)
    assert mine.quantiles == theirs.quantiles
    assert mine.buckets == theirs.buckets
    if theirs.mean is None:
        assert mine.mean is None
    else:
        assert mine.mean == pytest.approx(theirs.mean, rel=1e-12)


WINDOWS = (
    (BASE + 10, BASE + 5 * HOUR - 7),  # ragged edges, four whole hours inside
    (BASE + HOUR, BASE + 3 * HOUR),  # whole hours only
    (BASE + 1.5 * HOUR + 0.5, BASE + 2.25 * HOUR),  # no whole hour
    (BASE - 2 * HOUR, BASE + 6 * HOUR),  # beyond the data on both sides
)


async def compare(
    path: Path,
    tmp_path: Path,
    windows: tuple[tuple[float, float], ...] = WINDOWS,
    count: int = 3,
) -> None:
    """Every window, pooled and each series alone, answers as from the minutes only."""
    plain = minutes_only(path, tmp_path)
    async with (
        await Store.open(path, readonly=True) as mine,
        await Store.open(plain, readonly=True) as theirs,
    ):
        series = await mine.series(LATENCY)
        assert len(series) == count
        for start, end in windows:
            assert_same(
                await mine.window_stats(series, start, end),
                await theirs.window_stats(series, start, end),
            )
            each = await mine.window_stats_each(series, start, end)
            for one, stats in zip(series, each, strict=True):
                assert_same(stats, await theirs.window_stats([one], start, end))


async def test_a_week_is_read_from_hourly_rollups_with_the_minutes_figures(
    tmp_path: Path,
) -> None:
    path = tmp_path / "w.db"
    await record(path, 5.5)
    # Every hour over (five of them) is sealed, for each of the three series.
    assert hourly_rows(path) == 5 * 3
    await compare(path, tmp_path)


async def test_a_late_sample_in_a_sealed_hour_is_counted(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    clock = await record(path, 3.5)
    async with await Store.open(path, clock=clock) as store:
        late = [Sample(LATENCY, 99_999.0, BASE + HOUR + 30, {"endpoint": "e0"}, "ms")]
        revised = [Revision(LATENCY, 1.0, BASE + 2 * HOUR + 40, {"endpoint": "e1"}, "ms")]
        await store.write([SourceBatch("api", [*late, *revised])])
        stats = await store.window_stats(await store.series(LATENCY), BASE, BASE + 3 * HOUR)
    assert stats.max == 99_999.0
    assert stats.min == 1.0
    assert hourly_rows(path) == 3 * 3  # unsealed by the late write, sealed again after it
    await compare(path, tmp_path)


async def test_the_trim_never_leaves_an_hour_row_over_trimmed_minutes(tmp_path: Path) -> None:
    path = tmp_path / "w.db"
    keep = Retention(rollup_max_age="3h", raw_max_age="1h")
    await record(path, 5.5, retention=keep)
    with sqlite3.connect(path) as raw:
        oldest_minute = raw.execute("SELECT min(minute) FROM rollups").fetchone()[0]
        oldest_hour = raw.execute("SELECT min(hour) FROM rollups_hourly").fetchone()[0]
    assert oldest_hour * 60 >= oldest_minute
    await compare(path, tmp_path)


async def three_writes(store: Store, clock: Clock) -> None:
    """Three writes of 20 s each: the writer seals a few past hours per write, newest first."""
    rng = random.Random(1)
    for _ in range(3):
        clock.now += 20
        await store.write([SourceBatch("api", samples(clock.now - 20, clock.now, rng))])


def before_hourly_rollups(path: Path) -> None:
    """Take the database back to the schema before hourly rollups (before migrations 4-7)."""
    with sqlite3.connect(path) as raw:
        raw.executescript(
            "DROP TRIGGER rollups_daily_ai; DROP TRIGGER rollups_daily_au; "
            "DROP TRIGGER rollups_daily_ad; DROP TABLE rollups_daily; "
            "DROP TABLE rollups_hourly; ALTER TABLE silences DROP COLUMN planned_end; "
            "ALTER TABLE annotations DROP COLUMN made_at; "
            f"PRAGMA user_version = {schema.SCHEMA_VERSION - 4};"
        )


async def test_a_migrated_database_answers_the_same_and_gains_hourly_rows(
    tmp_path: Path,
) -> None:
    """A database of the schema before hourly rollups: read from minutes until sealed."""
    path = tmp_path / "w.db"
    clock = await record(path, 5.5)
    old = tmp_path / "old.db"
    with sqlite3.connect(path) as raw, sqlite3.connect(old) as out:
        raw.backup(out)
    before_hourly_rollups(old)
    async with (
        await Store.open(old, clock=clock) as migrated,  # the writer migrates
        await Store.open(path, readonly=True) as sealed,
    ):
        assert hourly_rows(old) == 0
        series = await sealed.series(LATENCY)
        for start, end in WINDOWS:
            assert_same(
                await migrated.window_stats(series, start, end),
                await sealed.window_stats(series, start, end),
            )
        await three_writes(migrated, clock)
    assert hourly_rows(old) == 5 * 3
    await compare(old, tmp_path)


async def test_a_migrated_database_whose_first_row_is_its_newest_minute_gains_every_hour(
    tmp_path: Path,
) -> None:
    """History written after the present (the benchmarks' 35 days): the backfill still reaches it.

    The writer's backfill stopped at the minute of the first rollup row by
    rowid: the newest hour here, so no older hour was ever sealed.
    """
    path = tmp_path / "w.db"
    clock = await record(path, 5.5)
    before_hourly_rollups(path)
    with sqlite3.connect(path) as raw:
        raw.execute("UPDATE rollups SET id = -id")  # the newest minute first by rowid
        first = raw.execute("SELECT minute FROM rollups ORDER BY id LIMIT 1").fetchone()[0]
        assert first == raw.execute("SELECT max(minute) FROM rollups").fetchone()[0]
    async with await Store.open(path, clock=clock) as migrated:
        await three_writes(migrated, clock)
    assert hourly_rows(path) == 5 * 3
    await compare(path, tmp_path)


async def test_a_series_with_many_silent_hours_is_counted_once(tmp_path: Path) -> None:
    """Every other hour silent: the minutes between sealed hours are read as one span."""
    path = tmp_path / "w.db"
    rng = random.Random(3)
    clock = Clock(BASE)
    async with await Store.open(path, clock=clock) as store:
        for hour in range(0, 40, 2):
            start = BASE + hour * HOUR
            clock.now = start + 2 * HOUR
            await store.write([SourceBatch("api", samples(start, start + HOUR, rng, 3))])
    assert hourly_rows(path) == 20 * 3
    await compare(path, tmp_path)
    async with await Store.open(path, readonly=True) as store:
        stats = await store.window_stats(await store.series(LATENCY), BASE, BASE + 40 * HOUR)
    assert stats.count == 20 * 180 * 3


async def test_sealing_an_hour_searches_the_index_never_scans_the_rollups(tmp_path: Path) -> None:
    """The rollups table holds 35 days of minutes: a scan per write would grow with all of them."""
    from collectors.store.hourly import _UNSEALED_MINUTES

    path = tmp_path / "w.db"
    await record(path, 0.5)
    with sqlite3.connect(path) as raw:
        plan = [
            row[3] for row in raw.execute(f"EXPLAIN QUERY PLAN {_UNSEALED_MINUTES}", (0, 60, 0))
        ]
    assert not [step for step in plan if step.startswith("SCAN")], plan
    assert [step for step in plan if step.startswith("SEARCH r USING INDEX")], plan


# ---------------------------------------------------------------- stepped windows (rewind)


async def step_and_compare(path: Path, tmp_path: Path, ends: list[float], length: float) -> None:
    """One reader steps a window through `ends`: each read as from the minutes alone, afresh."""
    plain = minutes_only(path, tmp_path)
    async with await Store.open(path, readonly=True) as mine:
        series = await mine.series(LATENCY)
        for end in ends:
            each = await mine.window_stats_each(series, end - length, end)
            pooled = await mine.window_stats(series, end - length, end)
            async with await Store.open(plain, readonly=True) as theirs:
                for one, stats in zip(series, each, strict=True):
                    assert_same(stats, await theirs.window_stats([one], end - length, end))
                assert_same(pooled, await theirs.window_stats(series, end - length, end))


async def test_a_window_stepped_a_minute_at_a_time_across_an_hour_keeps_its_figures(
    tmp_path: Path,
) -> None:
    """Rewind's `[` and `]`: an hour's window ending each minute from 1:50 to 3:10 in, and back."""
    path = tmp_path / "w.db"
    await record(path, 3.5)
    ends = [BASE + HOUR + 50 * 60 + 60 * k for k in range(81)]
    await step_and_compare(path, tmp_path, [*ends, *reversed(ends)], HOUR)


async def test_ragged_steps_and_aged_out_raw_samples_keep_the_figures(tmp_path: Path) -> None:
    """Raw samples of the first hours are gone: edges come from their minute's rollup."""
    path = tmp_path / "w.db"
    await record(path, 4.5, retention=Retention(raw_max_age="1h"))
    ends = [BASE + 2 * HOUR - 95.5 + 37.25 * k for k in range(12)]
    await step_and_compare(path, tmp_path, ends, HOUR)
    await step_and_compare(path, tmp_path, ends, 25 * 60)  # inside one hour, or across one


async def test_a_late_sample_in_a_sealed_hour_reaches_a_reader_that_read_it_before(
    tmp_path: Path,
) -> None:
    """The reader keeps the minutes of sealed hours: a late write must still show."""
    path = tmp_path / "w.db"
    clock = await record(path, 3.5)
    start, end = BASE + HOUR + 20 * 60, BASE + 2 * HOUR + 20 * 60
    async with await Store.open(path, readonly=True) as reader:
        series = await reader.series(LATENCY)
        before = await reader.window_stats(series, start, end)
        async with await Store.open(path, clock=clock) as writer:
            late = [Sample(LATENCY, 99_999.0, BASE + HOUR + 45 * 60, {"endpoint": "e0"}, "ms")]
            await writer.write([SourceBatch("api", late)])
        after = await reader.window_stats(series, start, end)
    assert hourly_rows(path) == 3 * 3  # the hour was sealed again after the late write
    assert after.count == before.count + 1
    assert after.max == 99_999.0


def count_rollup_reads(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a window read its rollups from the file (one entry a read)."""
    from collectors.store import window

    reads: list[int] = []
    read = window._rollups

    async def counted(*args: Any, **kwargs: Any) -> Any:
        reads.append(1)
        return await read(*args, **kwargs)

    monkeypatch.setattr(window, "_rollups", counted)
    return reads


async def test_a_reader_reading_a_window_again_reads_only_its_raw_edges(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16's window key: an hour's window read again a few seconds on, same figures."""
    path = tmp_path / "w.db"
    await record(path, 3.5)
    reads = count_rollup_reads(monkeypatch)
    start = BASE + 2 * HOUR + 20 * 60 + 13.5  # the last hour's minutes are not sealed
    async with (
        await Store.open(path, readonly=True) as reader,
        await Store.open(minutes_only(path, tmp_path)) as fresh,  # a writer: merges every read
    ):
        series = await reader.series(LATENCY)
        for step in (0.0, 4.0, 9.0):
            span = (start + step, start + step + HOUR)
            each = await reader.window_stats_each(series, *span)
            pooled = await reader.window_stats(series, *span)
            for one, stats in zip(series, each, strict=True):
                assert_same(stats, await fresh.window_stats([one], *span))
            assert_same(pooled, await fresh.window_stats(series, *span))
        assert len(reads) == 2 + 3 * 4  # the reader's first two; the fresh store's every time


async def test_a_write_between_two_reads_reaches_the_reader_that_kept_the_merge(
    tmp_path: Path,
) -> None:
    path = tmp_path / "w.db"
    clock = await record(path, 3.5)
    start, end = BASE + 2 * HOUR + 20 * 60 + 13.5, BASE + 3 * HOUR + 20 * 60 + 13.5
    async with await Store.open(path, readonly=True) as reader:
        series = await reader.series(LATENCY)
        before = await reader.window_stats(series, start, end)
        async with await Store.open(path, clock=clock) as writer:
            late = [Sample(LATENCY, 99_999.0, BASE + 3 * HOUR + 5 * 60, {"endpoint": "e0"}, "ms")]
            await writer.write([SourceBatch("api", late)])
        after = await reader.window_stats(series, start, end)
    assert after.count == before.count + 1
    assert after.max == 99_999.0


async def test_a_writer_keeps_no_merge_and_reads_its_own_write_at_once(tmp_path: Path) -> None:
    """A connection's own commits leave its data version as it was: a writer merges every read."""
    path = tmp_path / "w.db"
    clock = await record(path, 3.5)
    start, end = BASE + 2 * HOUR + 20 * 60 + 13.5, BASE + 3 * HOUR + 20 * 60 + 13.5
    async with await Store.open(path, clock=clock) as writer:
        series = await writer.series(LATENCY)
        before = await writer.window_stats(series, start, end)
        late = [Sample(LATENCY, 99_999.0, BASE + 3 * HOUR + 5 * 60, {"endpoint": "e0"}, "ms")]
        await writer.write([SourceBatch("api", late)])
        after = await writer.window_stats(series, start, end)
    assert after.count == before.count + 1
    assert after.max == 99_999.0


async def test_a_late_sample_in_a_whole_hour_reaches_a_reader_that_decoded_it_before(
    tmp_path: Path,
) -> None:
    """The reader keeps whole hours' sketches decoded: the hour sealed again must show.

    Its count and maximum come from the row; its percentiles and buckets from
    the sketch, which must be the new one.
    """
    path = tmp_path / "w.db"
    clock = await record(path, 4.5)
    start, end = BASE + 20 * 60, BASE + 3 * HOUR + 20 * 60  # hours 1 and 2 whole
    plain = tmp_path / "plain.db"
    async with await Store.open(path, readonly=True) as reader:
        series = await reader.series(LATENCY)
        await reader.window_stats(series, start, end)
        async with await Store.open(path, clock=clock) as writer:
            late = [
                Sample(LATENCY, 50_000.0 + k, BASE + HOUR + 45 * 60 + k, {"endpoint": "e0"}, "ms")
                for k in range(40)
            ]
            await writer.write([SourceBatch("api", late)])
        after = await reader.window_stats(series, start, end)
        plain = minutes_only(path, tmp_path)
        async with await Store.open(plain, readonly=True) as theirs:
            assert_same(after, await theirs.window_stats(series, start, end))
    assert hourly_rows(path) == 4 * 3  # the hour was sealed again after the late write
    assert after.quantiles[0.99] > 40_000


async def test_a_window_stepped_back_and_forth_over_whole_hours_keeps_its_figures(
    tmp_path: Path,
) -> None:
    """A rewound 24-hour view steps 15 minutes: whole hours enter and leave the window."""
    path = tmp_path / "w.db"
    await record(path, 6.5)
    ends = [BASE + 4 * HOUR + 10 + 15 * 60 * k for k in range(10)]
    await step_and_compare(path, tmp_path, [*ends, *reversed(ends)], 3 * HOUR)


async def test_a_window_stepped_across_a_day_boundary_keeps_its_figures(tmp_path: Path) -> None:
    day = math.floor(BASE / 86_400) * 86_400 + 86_400
    path = tmp_path / "w.db"
    await record(path, 5.5, base=day - 3 * HOUR)
    ends = [day - HOUR + 15 * 60 * k for k in range(9)]
    await step_and_compare(path, tmp_path, [*ends, *reversed(ends)], 2 * HOUR)


async def test_the_trim_after_a_read_leaves_the_reader_with_the_minutes_figures(
    tmp_path: Path,
) -> None:
    """The trim deletes hourly rows a reader had decoded: it reads what is left, as afresh."""
    path = tmp_path / "w.db"
    clock = await record(path, 5.5)
    start, end = BASE, BASE + 5 * HOUR
    async with await Store.open(path, readonly=True) as reader:
        series = await reader.series(LATENCY)
        before = await reader.window_stats(series, start, end)
        keep = Retention(rollup_max_age="3h", raw_max_age="1h")
        async with await Store.open(path, clock=clock, retention=keep) as writer:
            await writer.trim()
        after = await reader.window_stats(series, start, end)
        plain = minutes_only(path, tmp_path)
        async with await Store.open(plain, readonly=True) as theirs:
            assert_same(after, await theirs.window_stats(series, start, end))
    assert after.count < before.count


def test_decoded_hours_are_bounded_and_a_long_read_passes_through() -> None:
    """At most `keep` series-hours are kept; a read of more than half of them is not decoded."""
    sketch = LatencySketch()
    sketch.add_many([120.0, 340.0, 1200.0])
    blob = sketch.to_dense_bytes()
    hours = HourBins(keep=8)
    rows = [(1, hour, 3, 1660.0, 120.0, 1200.0, blob) for hour in range(4)]
    decoded = hours.decoded(rows)
    assert [type(row[6]) for row in decoded] == [DenseBins] * 4
    assert LatencySketch.merged(row[6] for row in decoded) == LatencySketch.merged(
        row[6] for row in rows
    )
    for first in range(4, 40, 4):
        hours.decoded([(1, hour, *rows[0][2:]) for hour in range(first, first + 4)])
    assert len(hours) == 8
    long = [(2, hour, *rows[0][2:]) for hour in range(5)]
    assert hours.decoded(long) == long and len(hours) == 8


async def test_most_of_an_hour_is_its_row_less_the_other_minutes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A step across an hour reads 50 minutes of it: only the other 10 are packed, per series."""
    path = tmp_path / "w.db"
    await record(path, 3.5)
    packs = 0
    pack = Packing.pack

    def counted(self: Packing, data: bytes) -> tuple[int, int, int] | None:
        nonlocal packs
        packs += 1
        return pack(self, data)

    monkeypatch.setattr(Packing, "pack", counted)
    end = BASE + 2 * HOUR + 50 * 60  # spans: 10 minutes of hour 1, 50 of hour 2
    plain = minutes_only(path, tmp_path)
    async with (
        await Store.open(path, readonly=True) as mine,
        await Store.open(plain, readonly=True) as theirs,
    ):
        series = await mine.series(LATENCY)
        each = await mine.window_stats_each(series, end - HOUR, end)
        assert packs == 3 * (10 + 10)
        for one, stats in zip(series, each, strict=True):
            assert_same(stats, await theirs.window_stats([one], end - HOUR, end))


def count_rows_read(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many rows each statement sent back from the file (one entry a statement)."""
    import aiosqlite

    sent: list[int] = []
    fetch = aiosqlite.Connection.execute_fetchall

    async def counted(self: aiosqlite.Connection, *args: Any, **kwargs: Any) -> Any:
        rows = await fetch(self, *args, **kwargs)
        sent.append(len(list(rows)))
        return rows

    monkeypatch.setattr(aiosqlite.Connection, "execute_fetchall", counted)
    return sent


async def test_most_of_an_hour_sends_one_total_of_its_own_minutes_not_their_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16's 7-day first read: its first hour's 52 minutes came as 52 rows with sketches.

    A window from 00:10 to 03:00 reads 50 minutes of its first hour as the
    hour's row less the other 10, and its own minutes as one total per series
    (count, minimum, maximum); a reader that keeps no merge (a writer) keeps
    the total, and reading the window again asks the file for the hours' rows only.
    """
    path = tmp_path / "w.db"
    clock = await record(path, 3.5)
    start, end = BASE + 10 * 60, BASE + 3 * HOUR
    sent = count_rows_read(monkeypatch)
    async with (
        await Store.open(path, clock=clock) as mine,
        await Store.open(minutes_only(path, tmp_path), readonly=True) as theirs,
    ):
        series = await mine.series(LATENCY)
        for read in range(2):
            sent.clear()
            each = await mine.window_stats_each(series, start, end)
            # Per series: its oldest raw sample, the first hour's row, its other 10 minutes
            # and the total of its 50 (the first read only), the 2 whole hours' rows.
            assert sum(sent) == 3 * (1 + 1 + (10 + 1 if read == 0 else 0) + 2)
            for one, stats in zip(series, each, strict=True):
                assert_same(stats, await theirs.window_stats([one], start, end))


async def test_a_window_stepped_back_a_minute_makes_its_total_of_one_kept_and_a_minute_read(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Rewind's `[` on an hour's window: its first hour grows by a minute read already.

    From 01:20-02:20 to 01:19-02:19, the span 01:19-02:00 is the total of
    01:20-02:00 (kept) and the minute 01:19 (read whole as one of the other
    minutes): no total is asked again, only the hours' rows (checked).
    """
    path = tmp_path / "w.db"
    await record(path, 3.5)
    sent = count_rows_read(monkeypatch)
    async with (
        await Store.open(path, readonly=True) as mine,
        await Store.open(minutes_only(path, tmp_path), readonly=True) as theirs,
    ):
        series = await mine.series(LATENCY)
        for minute in (20, 19, 18):
            end = BASE + 2 * HOUR + minute * 60
            sent.clear()
            each = await mine.window_stats_each(series, end - HOUR, end)
            if minute < 20:  # per series: its oldest raw sample, the two hours' rows
                assert sum(sent) == 3 * (1 + 2)
            for one, stats in zip(series, each, strict=True):
                assert_same(stats, await theirs.window_stats([one], end - HOUR, end))


async def test_an_hour_row_that_is_not_its_minutes_merge_is_not_subtracted_from(
    tmp_path: Path,
) -> None:
    """A row that does not add up to its minutes (by counts): the span comes from the minutes."""
    path = tmp_path / "w.db"
    await record(path, 3.5)
    plain = minutes_only(path, tmp_path)
    with sqlite3.connect(path) as raw:
        raw.execute(
            "UPDATE rollups_hourly SET count = count + 5, sketch = "
            "(SELECT sketch FROM rollups_hourly AS h WHERE h.hour = rollups_hourly.hour - 1 "
            "AND h.series_id = rollups_hourly.series_id) "
            "WHERE hour = ?",
            (int(BASE / HOUR) + 2,),
        )
    end = BASE + 2 * HOUR + 50 * 60
    async with (
        await Store.open(path, readonly=True) as mine,
        await Store.open(plain, readonly=True) as theirs,
    ):
        series = await mine.series(LATENCY)
        for _ in range(2):  # afresh, then with what the first read kept
            each = await mine.window_stats_each(series, end - HOUR, end)
            for one, stats in zip(series, each, strict=True):
                assert_same(stats, await theirs.window_stats([one], end - HOUR, end))


async def test_a_reader_stepping_a_window_back_reads_only_the_whole_hours_entering_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18: `[` on a rewound 24-hour view; the whole hours read at the last step are kept.

    Until another connection writes: then every hour is read again.
    """
    from collectors.store import window

    path = tmp_path / "w.db"
    clock = await record(path, 6.5)
    read: list[int] = []
    hourly = window._hourly

    async def counted(*args: Any) -> Any:
        rows = await hourly(*args)
        read.append(len(rows))
        return rows

    monkeypatch.setattr(window, "_hourly", counted)
    ends = [BASE + 5 * HOUR + 10 - 15 * 60 * k for k in range(6)]
    async with await Store.open(path, readonly=True) as reader:
        series = await reader.series(LATENCY)
        for end in ends:
            await reader.window_stats_each(series, end - 3 * HOUR, end)
        # Hours 3-4 of 3 series, then hour 2 enters at the second step, hour 1 at the sixth.
        assert read == [6, 3, 3]
        async with await Store.open(path, clock=clock) as writer:
            late = [Sample(LATENCY, 1.0, BASE + 6 * HOUR + 5, {"endpoint": "e0"}, "ms")]
            await writer.write([SourceBatch("api", late)])
        await reader.window_stats_each(series, ends[-1] - 3 * HOUR, ends[-1])
        assert read[3:] == [6]
