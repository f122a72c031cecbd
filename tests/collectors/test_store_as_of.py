"""`Store.as_of`: the latest values and source states as they stood at a past moment."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from fakes.demo_history import ManualClock

from collectors.base import Sample, SourceState, SourceStatus
from collectors.store.as_of import oldest_raw, series_as_of, statuses_as_of
from collectors.store.database import SourceBatch, Store
from collectors.store.retention import Retention

B = 29_916_667 * 60.0
"""A whole minute (2026-11-18 11:07 UTC): the recording starts here."""
QUEUE = "sidekiq.queue.size"
WAIT = "chatwoot.sla.wait_s"


def _status(source: str, t: float, state: SourceState, error: str | None, n: int) -> SourceStatus:
    return SourceStatus(source, state, t, None if error else t, error, n)


@pytest.fixture
async def recording(tmp_path: Path) -> Path:
    """Five minutes, a poll every 10 s; raw samples are kept for two minutes only.

    `queue` holds i at B + 10 i (i = 0..29); `wait` holds 100 + j from B + 150 on.
    Source `api` is ok at B+5, down at B+65 ("boom"), still down at B+75 (no
    change recorded), ok again at B+185; source `redis` first reports at B+200.
    """
    path = tmp_path / "as_of.db"
    clock = ManualClock(B)
    statuses = {
        5: _status("api", B + 5, SourceState.OK, None, 0),
        65: _status("api", B + 65, SourceState.DOWN, "boom", 1),
        75: _status("api", B + 75, SourceState.DOWN, "boom", 2),
        185: _status("api", B + 185, SourceState.OK, None, 0),
        200: _status("redis", B + 200, SourceState.OK, None, 0),
    }
    async with await Store.open(path, clock=clock, retention=Retention(raw_max_age="2m")) as store:
        for step in range(30):
            t = B + 10 * step
            clock.now = t
            records = [Sample(QUEUE, float(step), t, {"queue": "default"})]
            if t >= B + 150:
                records.append(Sample(WAIT, 100.0 + (t - B - 150) / 10, t, {}, "s"))
            await store.write([SourceBatch("demo", records)])
            for offset, status in statuses.items():
                if 10 * step <= offset < 10 * step + 10:
                    await store.write([SourceBatch(status.source, status=status)])
        clock.now = B + 300
        await store.trim()
    return path


Seen = dict[str, tuple[float | None, float | None, bool]]


async def _as_of(path: Path, moment: float) -> tuple[Seen, dict[str, SourceStatus]]:
    async with await Store.open(path, readonly=True) as store:
        store.as_of = moment
        series = {s.name: (s.last_ts, s.last_value, s.from_rollup) for s in await store.series()}
        return series, await store.source_statuses()


async def test_raw_values_as_of_a_moment_still_in_the_ring(recording: Path) -> None:
    series, _ = await _as_of(recording, B + 245)
    assert series == {QUEUE: (B + 240, 24.0, False), WAIT: (B + 240, 109.0, False)}


async def test_aged_out_values_come_from_the_last_minute_finished_by_then(recording: Path) -> None:
    # Raw samples before B+180 are gone: the minute B..B+60 (values 0..5) is the
    # last one finished by B+95; B+60..B+120 (6..11) by B+130.
    series, _ = await _as_of(recording, B + 95)
    assert series == {QUEUE: (B + 60, 2.5, True)}
    series, _ = await _as_of(recording, B + 130)
    assert series == {QUEUE: (B + 120, 8.5, True)}


async def test_a_series_that_did_not_exist_yet_is_left_out(recording: Path) -> None:
    series, _ = await _as_of(recording, B + 140)
    assert WAIT not in series
    series, statuses = await _as_of(recording, B - 10)
    assert series == {}
    assert statuses == {}


async def test_filters_apply_as_of_a_moment(recording: Path) -> None:
    async with await Store.open(recording, readonly=True) as store:
        store.as_of = B + 245
        found = await store.series(QUEUE, labels={"queue": "default"}, source="demo")
        assert [(s.last_ts, s.last_value) for s in found] == [(B + 240, 24.0)]
        assert await store.series(QUEUE, labels={"queue": "mailers"}) == []
        store.as_of = None  # live again
        live = await store.series(QUEUE)
        assert [(s.last_ts, s.last_value, s.from_rollup) for s in live] == [(B + 290, 29.0, False)]


async def test_source_states_as_of_each_moment(recording: Path) -> None:
    _, statuses = await _as_of(recording, B + 30)
    assert set(statuses) == {"api"}
    assert statuses["api"].state is SourceState.OK
    _, statuses = await _as_of(recording, B + 100)
    api = statuses["api"]
    assert (api.state, api.last_error, api.consecutive_failures) == (SourceState.DOWN, "boom", 1)
    assert api.checked_at == B + 100
    _, statuses = await _as_of(recording, B + 250)
    assert {name: s.state for name, s in statuses.items()} == {
        "api": SourceState.OK,
        "redis": SourceState.OK,
    }
    assert statuses["api"].last_error is None


async def test_raw_since_is_the_oldest_raw_sample_kept(recording: Path, tmp_path: Path) -> None:
    async with await Store.open(recording, readonly=True) as store:
        assert await store.raw_since() == B + 180
    async with await Store.open(tmp_path / "empty.db") as empty:
        assert await empty.raw_since() is None


async def test_chart_slots_hold_nothing_from_after_the_moment(recording: Path) -> None:
    # Minute slots over the five minutes: the last minute (B+240..B+300) was
    # open at B+245, so its slot is the samples up to then (24), not 24..29.
    async with await Store.open(recording, readonly=True) as store:
        [queue] = await store.series(QUEUE)
        live = await store.points([queue], B, B + 300, 5)
        assert live[-1] == 26.5
        store.as_of = B + 245
        assert await store.points([queue], B, B + 300, 5) == [2.5, 8.5, 14.5, 20.5, 24.0]
        assert await store.points([queue], B, B + 300, 5, how="max") == [5, 11, 17, 23, 24]
        assert await store.points([queue], B, B + 240, 4) == live[:4]


async def test_panels_asking_at_once_at_one_moment_share_one_read(recording: Path) -> None:
    """A screen's panels read together: each of them asking alone read every series again."""
    async with await Store.open(recording, readonly=True) as store:
        reads: list[str] = []
        await store._conn.set_trace_callback(
            lambda sql: reads.append(sql) if "WITH found" in sql else None
        )
        store.as_of = B + 245
        found = await asyncio.gather(*(store.series(name) for name in (QUEUE, WAIT, QUEUE)))
        assert [[s.last_value for s in each] for each in found] == [[24.0], [109.0], [24.0]]
        assert len(reads) == 1
        store.as_of = B + 235
        assert [s.last_value for s in await store.series(QUEUE)] == [23.0]
        assert len(reads) == 2


async def test_each_as_of_read_is_one_trip_to_the_database_thread(recording: Path) -> None:
    """A rewound view reads every series and source at each `[`: one trip each, not one a row."""
    async with await Store.open(recording, readonly=True) as store:
        conn = store._conn
        run = conn._execute
        trips: list[object] = []

        async def counted(fn: object, *args: object, **kwargs: object) -> object:
            trips.append(fn)
            return await run(fn, *args, **kwargs)

        conn._execute = counted  # type: ignore[method-assign]
        assert len(await series_as_of(conn, B + 245)) == 2
        assert len(await statuses_as_of(conn, B + 250)) == 2
        assert await oldest_raw(conn) == B + 180
        assert len(trips) == 3
