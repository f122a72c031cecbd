from __future__ import annotations

import math
from pathlib import Path

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
