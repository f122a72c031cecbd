from __future__ import annotations

import math
import random
import sqlite3
import time
from pathlib import Path
from typing import Any, Literal

import aiosqlite
import pytest
from _sketch_sorts import count_sorts

from collectors.base import LogEvent, Sample, SourceState, SourceStatus
from collectors.sketch import LatencySketch
from collectors.store import database as store_module
from collectors.store import read, rollup, schema
from collectors.store.database import SourceBatch, Store, StoreError
from collectors.store.query import scalar
from collectors.store.retention import Retention

LATENCY = "chatwoot.api.latency_ms"


def latency(value: float, ts: float, endpoint: str = "conversations") -> Sample:
    return Sample(LATENCY, value, ts, {"endpoint": endpoint}, "ms")


@pytest.fixture
async def store(tmp_path: Path):
    opened = await Store.open(tmp_path / "w.db")
    yield opened
    await opened.close()


def minute_start(offset_minutes: int = 0) -> float:
    """The start of a whole minute well inside the retention windows."""
    return (math.floor(time.time() / 60) - 30 + offset_minutes) * 60.0


async def test_ring_bound_holds_under_sustained_ingest(tmp_path: Path) -> None:
    bound = 1000
    rng = random.Random(1)
    async with await Store.open(tmp_path / "ring.db", retention=Retention(raw_max_rows=bound)) as s:
        ts = time.time() - 3600
        for _ in range(40):
            batch = []
            for _ in range(300):
                ts += 0.5
                batch.append(latency(rng.uniform(100, 900), ts))
            await s.write([SourceBatch("api", batch)])
            assert await s.count_rows("samples") <= bound
        # The newest rows are the ones kept.
        series = await s.series(LATENCY)
        stats = await s.window_stats(series, ts - 499 * 0.5, ts + 1)
        assert await s.count_rows("samples") == bound
        assert stats.count == 500


async def test_retention_drops_rows_older_than_their_age_bound(tmp_path: Path) -> None:
    keep = Retention(raw_max_age="1h", rollup_max_age="2h", log_max_age="1h")
    now = time.time()
    async with await Store.open(tmp_path / "age.db", retention=keep) as s:
        old = [latency(500, now - 5400 + i) for i in range(50)]
        older = [latency(500, now - 10800 + i) for i in range(50)]
        fresh = [latency(700, now - 60 + i) for i in range(50)]
        logs = [LogEvent(now - 5400, "old line"), LogEvent(now - 10, "new line")]
        await s.write([SourceBatch("api", [*older, *old, *fresh, *logs])])
        assert await s.count_rows("samples") == 50
        assert await s.count_rows("log_lines") == 1
        # Rollups live longer than raw samples: the 90-minute-old minute is still there.
        series = await s.series(LATENCY)
        kept = await s.window_stats(series, now - 5460, now)
        assert kept.count == 100
        gone = await s.window_stats(series, now - 11000, now - 10000)
        assert gone.count == 0


async def test_rollup_merge_equals_the_sketch_of_the_union(tmp_path: Path) -> None:
    rng = random.Random(7)
    base = minute_start()
    values: list[tuple[float, float]] = [
        (base + rng.uniform(0, 600), rng.lognormvariate(6.4, 0.8)) for _ in range(5000)
    ]
    path = tmp_path / "merge.db"
    # Written in several batches, across a restart, with minutes split between batches.
    for part in range(4):
        async with await Store.open(path) as s:
            chunk = values[part::4]
            await s.write([SourceBatch("api", [latency(v, ts) for ts, v in chunk])])
    exact = LatencySketch()
    exact.add_many([v for _, v in values])
    async with await Store.open(path, readonly=True) as reader:
        stats = await reader.window_stats(await reader.series(LATENCY), base, base + 600)
    assert stats.count == len(values)
    assert stats.mean == pytest.approx(sum(v for _, v in values) / len(values))
    assert stats.min == min(v for _, v in values)
    assert stats.max == max(v for _, v in values)
    for q in (0.5, 0.9, 0.95, 0.99):
        assert stats.quantile(q) == exact.quantile(q)
    assert sum(b.count for b in stats.buckets) == pytest.approx(len(values))


async def test_a_write_finds_stored_rollups_by_index_not_by_scanning_them(store: Store) -> None:
    """The rollups table holds weeks of minutes: a scan per write grew with all of them."""
    sql = rollup.rollup_lookup_sql(2)
    async with store._conn.execute(f"EXPLAIN QUERY PLAN {sql}", (1, 2, 3, 4)) as cursor:
        plan = [str(row[3]) for row in await cursor.fetchall()]
    assert not [step for step in plan if step.startswith("SCAN r")], plan
    assert [step for step in plan if step.startswith("SEARCH r USING INDEX")], plan


async def test_partial_minutes_at_the_window_edges_come_from_raw_samples(store: Store) -> None:
    base = minute_start()
    samples = [latency(float(i), base + i) for i in range(180)]  # one a second for 3 minutes
    await store.write([SourceBatch("api", samples)])
    series = await store.series(LATENCY)
    stats = await store.window_stats(series, base + 30, base + 150)
    assert stats.count == 120
    assert (stats.min, stats.max) == (30.0, 149.0)
    inside_one_minute = await store.window_stats(series, base + 70, base + 80)
    assert inside_one_minute.count == 10
    assert inside_one_minute.mean == pytest.approx(74.5)


async def test_edge_minute_uses_its_rollup_once_raw_rows_are_gone(tmp_path: Path) -> None:
    base = minute_start()
    async with await Store.open(tmp_path / "t.db", retention=Retention(raw_max_rows=1000)) as s:
        await s.write([SourceBatch("api", [latency(1.0, base + i * 0.06) for i in range(1000)])])
        await s.write(
            [SourceBatch("api", [latency(2.0, base + 120 + i * 0.06) for i in range(1000)])]
        )
        series = await s.series(LATENCY)
        # Raw rows of the first minute were trimmed; its rollup answers for the edge.
        stats = await s.window_stats(series, base + 30, base + 180)
    assert stats.count == 2000
    assert stats.min == 1.0


async def test_buckets_follow_seed_001_boundaries(store: Store) -> None:
    ts = minute_start()
    values = (
        [500.0] * 80 + [1500.0] * 35 + [3000.0] * 20 + [7000.0] * 10 + [20000.0] * 4 + [40000.0]
    )
    await store.write([SourceBatch("pipeline", [latency(v, ts + 1) for v in values])])
    stats = await store.window_stats(await store.series(LATENCY), ts, ts + 60)
    assert [b.bucket.label for b in stats.buckets] == [
        "<1s",
        "<2s",
        "<5s",
        "5-10s",
        "10-30s",
        ">30s",
    ]
    assert [round(b.count) for b in stats.buckets] == [80, 35, 20, 10, 4, 1]
    assert round(sum(b.percent for b in stats.buckets)) == 100


async def test_a_window_s_percentiles_and_buckets_come_from_one_sort_of_its_bins(
    store: Store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18: the distribution panel's statistics sorted the merged sketch's bins twice
    (percentiles, then buckets) on every step; once is enough for the same figures."""
    ts = minute_start()
    values = [500.0] * 80 + [1500.0] * 35 + [7000.0] * 10 + [40000.0]
    await store.write([SourceBatch("pipeline", [latency(v, ts + 1) for v in values])])
    series = await store.series(LATENCY)
    before = await store.window_stats(series, ts, ts + 60)
    sorts = count_sorts(monkeypatch)
    assert await store.window_stats(series, ts, ts + 60) == before
    assert len(sorts) == 2  # the positive and the negative bins, once each
    assert [round(b.count) for b in before.buckets] == [80, 35, 0, 10, 0, 1]
    assert before.quantile(0.5) == pytest.approx(500.0, rel=0.01)


async def test_points_downsample_from_raw_and_from_rollups(store: Store) -> None:
    base = minute_start(-60)
    samples = [latency(float(minute), base + minute * 60 + 5) for minute in range(60)]
    samples += [latency(1000.0, base + 30 * 60 + 10)]  # a spike inside minute 30
    await store.write([SourceBatch("api", samples)])
    series = await store.series(LATENCY)
    hourly = await store.points(series, base, base + 3600, 12, how="max")
    assert len(hourly) == 12
    assert hourly[6] == 1000.0  # slot 6 covers minutes 30-34
    assert hourly[0] == 4.0
    fine = await store.points(series, base, base + 120, 4)  # 30 s slots read raw rows
    assert fine == [0.0, None, 1.0, None]


async def test_points_each_way_are_the_points_of_each_way_from_one_query(store: Store) -> None:
    """A chart's mean and peak lines in one read: each as `points` gives it alone."""
    base = minute_start(-60)
    samples = [
        Sample("sidekiq.queue.size", float(t % 97 + len(queue)), base + t, {"queue": queue})
        for queue in ("default", "mailers")
        for t in range(0, 3600, 7)
    ]
    await store.write([SourceBatch("sidekiq", samples)])
    series = await store.series("sidekiq.queue.size")
    hows: tuple[Literal["mean", "max", "sum"], ...] = ("mean", "max", "sum")
    for start, end, width in ((base, base + 3600, 12), (base + 100, base + 700, 40)):
        each = await store.points_each_way(series, start, end, width, hows)
        alone = [await store.points(series, start, end, width, how=how) for how in hows]
        assert each == alone and each[0] != each[1]
    assert await store.points_each_way(series, base, base, 3, hows) == [[], [], []]


async def test_a_rewound_sparkline_stepped_a_slot_reads_only_the_new_slots(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18: each `[` on the queues or incident screen read all 30 minutes of every
    sparkline again to show one new one; a reader now reads the new slot and the moment's own
    (read raw up to the moment), with the same figures, until another connection writes."""
    base = minute_start(-120)
    path = tmp_path / "slots.db"
    queue = "sidekiq.queue.size"
    samples = [  # 40 queues: enough rollups per read for a reader to keep its slots
        Sample(queue, float(t % 89 + i), base + t, {"queue": f"q{i}"})
        for i in range(40)
        for t in range(0, 7200, 60)
    ]

    async def direct(moment: float, how: Literal["sum", "max"] = "sum") -> list[float | None]:
        """The 30 minutes up to `moment`'s minute, as a reader that keeps nothing reads them."""
        end = (math.floor(moment / 60) + 1) * 60.0
        async with aiosqlite.connect(path) as conn:
            return await read.points(conn, series, end - 1800, end, 30, how=how, raw_until=moment)

    async def stepped(reader: Store, moment: float, how: Literal["sum", "max"] = "sum") -> object:
        reader.as_of = moment
        end = (math.floor(moment / 60) + 1) * 60.0
        return await reader.points(series, end - 1800, end, 30, how=how)

    moments = [base + 5425.0 - 60 * back for back in (0, 1, 2, 1)]  # 25 s into a minute
    async with await Store.open(path) as writer:
        await writer.write([SourceBatch("sidekiq", samples)])
        series = await writer.series(queue)
        expected = [await direct(moment) for moment in moments]
        async with await Store.open(path, readonly=True) as reader:
            reads: list[int] = []
            slots = read._slots

            async def counted(*args: Any) -> list[list[float | None]]:
                reads.append(args[4])  # how many slots are read
                return await slots(*args)

            monkeypatch.setattr(read, "_slots", counted)
            assert [await stepped(reader, moment) for moment in moments] == expected
            # The first window whole; then each step's new slot and its moment's slot.
            assert reads == [30, 1, 1, 1, 1, 1]
            monkeypatch.setattr(read, "_slots", slots)
            assert await stepped(reader, moments[0], "max") == await direct(moments[0], "max")
            late = Sample(queue, 5000.0, moments[0] - 600, {"queue": "q0"})
            await writer.write([SourceBatch("sidekiq", [late])])  # another connection commits
            monkeypatch.setattr(read, "_slots", counted)
            reads.clear()
            shown = await stepped(reader, moments[0])
            assert reads == [30] and shown == await direct(moments[0]) != expected[0]
            reads.clear()
            for moment in moments[:2]:  # two queues' slots are few rows: read whole, kept not
                end = (math.floor(moment / 60) + 1) * 60.0
                reader.as_of = moment
                await reader.points(series[:2], end - 1800, end, 30, how="sum")
            assert reads == [30, 30]


async def test_latest_value_ignores_late_arrivals(store: Store) -> None:
    now = time.time()
    await store.write([SourceBatch("api", [latency(10, now)])])
    await store.write([SourceBatch("api", [latency(99, now - 120)])])
    (info,) = await store.series(LATENCY)
    assert (info.last_value, info.last_ts) == (10, now)


async def test_series_are_found_by_label_subset(store: Store) -> None:
    now = time.time()
    await store.write([SourceBatch("api", [latency(1, now, "health"), latency(2, now, "reports")])])
    assert [s.labels["endpoint"] for s in await store.series(LATENCY)] == ["health", "reports"]
    (reports,) = await store.series(LATENCY, labels={"endpoint": "reports"})
    assert reports.last_value == 2
    assert await store.series(LATENCY, source="other") == []


async def test_non_finite_values_are_not_stored(store: Store) -> None:
    now = time.time()
    await store.write([SourceBatch("api", [latency(math.nan, now), latency(math.inf, now)])])
    assert await store.count_rows("samples") == 0


async def test_status_is_current_per_source_and_history_keeps_changes(store: Store) -> None:
    now = time.time()
    ok = SourceStatus("api", SourceState.OK, now, last_success=now)
    down = SourceStatus("api", SourceState.DOWN, now + 5, now, "HTTP 503", 3)
    back = SourceStatus("api", SourceState.OK, now + 10, last_success=now + 10)
    for status in (ok, ok, down, down, back):
        await store.write([SourceBatch("api", status=status)])
    assert (await store.source_statuses())["api"] == back
    history = await store.status_history("api", now - 1)
    assert [h.state for h in history] == [SourceState.OK, SourceState.DOWN, SourceState.OK]


async def test_every_source_history_comes_in_one_read_oldest_first(store: Store) -> None:
    """The chart marks read every source's changes at once: one read, not one a source."""
    now = time.time()
    await store.write([SourceBatch("api", status=SourceStatus("api", SourceState.OK, now))])
    await store.write([SourceBatch("db", status=SourceStatus("db", SourceState.DOWN, now + 1))])
    await store.write([SourceBatch("api", status=SourceStatus("api", SourceState.STALE, now + 2))])
    history = await store.status_history(None, now - 1)
    assert [(h.source, h.state) for h in history] == [
        ("api", SourceState.OK),
        ("db", SourceState.DOWN),
        ("api", SourceState.STALE),
    ]


async def test_log_lines_are_deduplicated_and_searchable(store: Store) -> None:
    now = time.time()
    lines = [
        LogEvent(now, "PG::QueryCanceled statement timeout", level="error", event_id="e1"),
        LogEvent(now, "Completed 200 OK", level="info", event_id="e2"),
    ]
    await store.write([SourceBatch("logs", lines)])
    await store.write([SourceBatch("logs", lines)])  # an overlapping re-read
    assert await store.count_rows("log_lines") == 2
    with sqlite3.connect(store.path) as raw:
        found = raw.execute(
            "SELECT l.message FROM log_fts JOIN log_lines l ON l.id = log_fts.rowid "
            "WHERE log_fts MATCH 'timeout'"
        ).fetchall()
    assert found == [("PG::QueryCanceled statement timeout",)]


async def test_reader_sees_the_writer_and_cannot_write(store: Store) -> None:
    await store.write([SourceBatch("api", [latency(5, time.time())])])
    async with await Store.open(store.path, readonly=True) as reader:
        assert [s.last_value for s in await reader.series(LATENCY)] == [5]
        with pytest.raises(StoreError, match="read-only"):
            await reader.write([SourceBatch("api", [latency(6, time.time())])])


async def test_a_second_writer_is_refused_with_a_hint(store: Store) -> None:
    with pytest.raises(StoreError, match="--attach"):
        await Store.open(store.path)


async def test_opening_a_missing_database_read_only_says_so(tmp_path: Path) -> None:
    with pytest.raises(StoreError, match="no such database"):
        await Store.open(tmp_path / "absent.db", readonly=True)


async def test_a_file_that_is_not_a_database_is_a_clear_error(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(StoreError, match=r"notes\.db"):
        await Store.open(path)


async def test_a_database_from_a_newer_wootwatch_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    with sqlite3.connect(path) as raw:
        raw.execute(f"PRAGMA user_version = {schema.SCHEMA_VERSION + 1}")
    with pytest.raises(StoreError, match="newer wootwatch"):
        await Store.open(path)


async def test_migrations_run_forward_from_the_stored_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "old.db"
    async with await Store.open(path):
        pass
    extra = "CREATE TABLE notes (id INTEGER PRIMARY KEY, body TEXT);"
    monkeypatch.setattr(store_module, "MIGRATIONS", (*schema.MIGRATIONS, extra))
    monkeypatch.setattr(store_module, "SCHEMA_VERSION", schema.SCHEMA_VERSION + 1)
    async with await Store.open(path) as upgraded:
        await upgraded.write([SourceBatch("api", [latency(1, time.time())])])
    with sqlite3.connect(path) as raw:
        assert raw.execute("PRAGMA user_version").fetchone() == (schema.SCHEMA_VERSION + 1,)
        assert raw.execute("SELECT count(*) FROM notes").fetchone() == (0,)
        assert raw.execute("SELECT count(*) FROM samples").fetchone() == (1,)


async def test_a_full_disk_fails_the_write_whole_and_the_store_recovers(store: Store) -> None:
    ts = minute_start()
    await store.write([SourceBatch("api", [latency(1.0, ts)])])
    pages = await scalar(store._conn, "PRAGMA page_count")
    # SQLite's own size cap produces the same SQLITE_FULL a full disk does.
    await store._conn.execute(f"PRAGMA max_page_count = {pages}")
    big = [latency(2.0, ts + i * 0.001) for i in range(20000)]
    with pytest.raises(StoreError, match="full"):
        await store.write([SourceBatch("api", big)])
    assert await store.count_rows("samples") == 1
    await store._conn.execute("PRAGMA max_page_count = 1073741823")
    await store.write([SourceBatch("api", big)])
    stats = await store.window_stats(await store.series(LATENCY), ts, ts + 60)
    assert stats.count == 20001


async def test_bad_upstream_text_and_times_do_not_fail_the_write(store: Store) -> None:
    """Review finding: a lone surrogate or a NaN time used to abort the whole write."""
    now = time.time()
    records = [
        latency(5.0, math.nan),
        Sample("api.value", 1.0, now, {"customer": "bad \udc80 bytes"}),
        LogEvent(now, "undecodable \udcff tail", event_id="x\udc80"),
        LogEvent(math.nan, "no time"),
    ]
    await store.write([SourceBatch("api", records)])
    (series,) = await store.series("api.value")
    assert series.labels == {"customer": "bad \ufffd bytes"}
    with sqlite3.connect(store.path) as raw:
        assert raw.execute("SELECT message FROM log_lines").fetchall() == [
            ("undecodable \ufffd tail",)
        ]


async def test_age_retention_never_drops_fresh_rows_after_a_backfill(tmp_path: Path) -> None:
    """Review finding: a late backfill of old rows made the rowid search drop fresh rows."""
    now = time.time()
    keep = Retention(raw_max_age="30m")
    async with await Store.open(tmp_path / "b.db", retention=keep) as s:
        fresh = [Sample("small.value", 1.0, now - 600 + i) for i in range(29)]
        await s.write([SourceBatch("small", fresh)])
        backfill = [Sample("big.value", 2.0, now - 3600 + i * 60) for i in range(60)]
        await s.write([SourceBatch("big", backfill)])
        await s.write([SourceBatch("big", [Sample("big.value", 3.0, now)])])
        small = await s.series("small.value")
        kept = await s.window_stats(small, now - 1800, now + 1)
        assert kept.count == 29


async def test_age_retention_can_empty_a_table(tmp_path: Path) -> None:
    now = time.time()
    async with await Store.open(tmp_path / "e.db", retention=Retention(log_max_age="1h")) as s:
        await s.write(
            [SourceBatch("logs", [LogEvent(now - 7200 + i, f"old {i}") for i in range(5)])]
        )
        await s.write([SourceBatch("logs", [])])
        assert await s.count_rows("log_lines") == 0


async def test_points_sum_adds_series_not_samples_over_time(store: Store) -> None:
    """Review finding: `sum` added one series' samples over each slot."""
    base = minute_start(-10)
    samples = [
        Sample("sidekiq.queue.size", 10.0, base + t, {"queue": queue})
        for queue in ("default", "mailers")
        for t in range(0, 600, 5)
    ]
    await store.write([SourceBatch("sidekiq", samples)])
    series = await store.series("sidekiq.queue.size")
    assert await store.points(series, base, base + 600, 10, how="sum") == [20.0] * 10
    assert await store.points(series, base, base + 60, 2, how="sum") == [20.0] * 2


async def test_a_cancelled_write_leaves_the_store_usable(store: Store) -> None:
    """Review finding: cancelling while BEGIN was queued left a transaction open."""
    import asyncio

    for delay_steps in range(12):
        task = asyncio.create_task(store.write([SourceBatch("api", [latency(1.0, time.time())])]))
        for _ in range(delay_steps):
            await asyncio.sleep(0)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
        await store.write([SourceBatch("api", [latency(2.0, time.time())])])
    (series,) = await store.series(LATENCY)
    assert series.last_value == 2.0


async def test_a_reader_opens_paths_with_uri_characters(tmp_path: Path) -> None:
    """Review finding: `#` or `?` in a path made --attach open another file."""
    path = tmp_path / "incident#1?.db"
    async with await Store.open(path) as writer:
        await writer.write([SourceBatch("api", [latency(7.0, time.time())])])
        async with await Store.open(path, readonly=True) as reader:
            assert [s.last_value for s in await reader.series(LATENCY)] == [7.0]


async def test_a_reader_knows_whether_a_collector_is_writing(tmp_path: Path) -> None:
    """Review finding: under --attach a dead collector left its sources looking ok."""
    path = tmp_path / "shared.db"
    writer = await Store.open(path)
    await writer.write([SourceBatch("api", [latency(1.0, time.time())])])
    async with await Store.open(path, readonly=True) as reader:
        assert writer.has_writer() and reader.has_writer()
        await writer.close()
        assert not reader.has_writer()


async def test_labels_parsed_once_are_still_each_reader_s_own(store: Store) -> None:
    """Parsed labels are kept between reads (every refresh reads every series): a caller
    changing the labels it was given changes nobody else's."""
    now = time.time()
    await store.write([SourceBatch("api", [latency(0.2, now)])])
    (first,) = await store.series(LATENCY)
    first.labels["endpoint"] = "changed"
    (again,) = await store.series(LATENCY)
    assert again.labels == {"endpoint": "conversations"}
