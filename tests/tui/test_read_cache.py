from __future__ import annotations

import asyncio
import math
from pathlib import Path

import pytest
from fakes.demo_history import DEMO_EPOCH, ManualClock

from collectors.base import Sample
from collectors.store.database import SourceBatch, Store
from tui.data.read_cache import ReadCache
from tui.data.windows import Span

START = math.floor(DEMO_EPOCH / 60) * 60.0  # a whole minute, so slot k is minute k
END = START + 3600


async def test_a_settled_span_is_read_once_and_a_live_one_every_time(tmp_path: Path) -> None:
    clock = ManualClock(START)
    cache = ReadCache()
    async with await Store.open(tmp_path / "db.sqlite", clock=clock) as store:
        await store.write([SourceBatch("s", [Sample("x.ms", 10.0, START + 60, {}, "ms")])])
        (series,) = await store.series("x.ms")
        settled, live = Span(START, END, settled=True), Span(START, END)
        first = await cache.window_stats(store, [series], settled)
        assert (await cache.points(store, [series], settled, 60))[1] == 10.0
        clock.now = START + 120
        await store.write([SourceBatch("s", [Sample("x.ms", 30.0, START + 120, {}, "ms")])])
        assert await cache.window_stats(store, [series], settled) is first
        assert (await cache.points(store, [series], settled, 60))[2] is None
        assert (await cache.window_stats(store, [series], live)).count == 2
        assert (await cache.points(store, [series], live, 60))[2] == 30.0
        later = Span(START + 60, END + 60, settled=True)  # the window moved a minute on
        assert (await cache.window_stats(store, [series], later)).count == 2


async def test_a_rewound_views_spans_up_to_its_moment_are_kept_until_a_write(
    tmp_path: Path,
) -> None:
    """`[` then `]` on a rewound view: a window shown again is not read again (issue 18),
    until a write, which may bring late data from before the moment."""
    clock = ManualClock(START)
    path = tmp_path / "db.sqlite"
    cache = ReadCache()
    async with await Store.open(path, clock=clock) as writer:
        await writer.write([SourceBatch("s", [Sample("x.ms", 10.0, START + 60, {}, "ms")])])
        async with await Store.open(path, readonly=True) as store:
            (series,) = await store.series("x.ms")
            store.as_of = START + 1795.5  # rewound, mid-minute (a moment typed in, or a pin)
            window, to_moment = Span(START, START + 1740), Span(START + 15.5, START + 1795.5)
            await cache.check(store)
            first = await cache.window_stats(store, [series], window)
            points = await cache.points(store, [series], window, 29)
            up_to = await cache.window_stats(store, [series], to_moment)
            await cache.check(store)  # the next step: nothing written since
            assert await cache.window_stats(store, [series], window) is first
            assert await cache.points(store, [series], window, 29) is points
            assert await cache.window_stats(store, [series], to_moment) is up_to
            clock.now = START + 120  # a poll's samples, written late
            await writer.write([SourceBatch("s", [Sample("x.ms", 30.0, START + 120, {}, "ms")])])
            await cache.check(store)
            assert (await cache.window_stats(store, [series], window)).count == 2
            assert (await cache.points(store, [series], window, 29))[2] == 30.0
            store.as_of = START + 1700  # the window ends after the moment: read every time
            await writer.write([SourceBatch("s", [Sample("x.ms", 50.0, START + 130, {}, "ms")])])
            assert (await cache.window_stats(store, [series], window)).count == 3


async def test_a_current_read_is_shared_and_kept_until_another_connection_writes(
    tmp_path: Path,
) -> None:
    """The latency screen's series and notes: read once while the file is unchanged."""
    clock = ManualClock(START)
    path = tmp_path / "db.sqlite"
    cache = ReadCache()
    reads: list[int] = []
    async with await Store.open(path, clock=clock) as writer:
        await writer.write([SourceBatch("s", [Sample("x.ms", 10.0, START, {}, "ms")])])
        async with await Store.open(path, readonly=True) as reader:

            async def names() -> list[str]:
                reads.append(1)
                await asyncio.sleep(0)  # a read of the file: a panel beside it asks too
                return [info.name for info in await reader.series()]

            await cache.check(reader)
            together = await asyncio.gather(*(cache.current("names", names) for _ in range(3)))
            assert together == [["x.ms"]] * 3 and len(reads) == 1
            await cache.check(reader)
            assert await cache.current("names", names) == ["x.ms"] and len(reads) == 1
            await writer.write([SourceBatch("s", [Sample("y.ms", 1.0, START + 1, {}, "ms")])])
            assert await cache.current("names", names) == ["x.ms"]  # until the next check
            await cache.check(reader)
            assert await cache.current("names", names) == ["x.ms", "y.ms"] and len(reads) == 2


async def test_a_current_read_that_failed_is_read_again() -> None:
    cache = ReadCache()
    tries: list[int] = []

    async def flaky() -> int:
        tries.append(1)
        if len(tries) == 1:
            raise OSError("disk I/O error")
        return 7

    with pytest.raises(OSError):
        await cache.current("n", flaky)
    assert await cache.current("n", flaky) == 7
