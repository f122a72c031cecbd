"""Event-loop lag while `Store.write` commits batches, against an idle loop.

A ticker task sleeps 1 ms in a loop and records how late each wake-up is. It
runs while the store writes `lag_batches` batches of 10k samples over 100
labelled series back to back (the batches are built before the ticker starts,
so only the store's work competes with it). Baseline: the same ticker for the
same length of time with the store open and idle.

Reported: p50/p99/max lag of both. Target: every wake-up within 5 ms of its
deadline while writing, i.e. the verdict is on the maximum; the ratio compares
the maxima.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import time
from collections.abc import Awaitable
from pathlib import Path

from _common import RETENTION, SOURCE, Result, Sizes, ms, ratio, spread_batches

from collectors.store.database import SourceBatch, Store

TARGET_SECONDS = 0.005
TICK = 0.001


async def _ticker(stop: asyncio.Event, lags: list[float]) -> None:
    while not stop.is_set():
        began = time.perf_counter()
        await asyncio.sleep(TICK)
        lags.append(time.perf_counter() - began - TICK)


async def _lags_during(work: Awaitable[object]) -> list[float]:
    """Wake-up lags of the ticker while `work` runs."""
    stop, lags = asyncio.Event(), []
    ticker = asyncio.create_task(_ticker(stop, lags))
    await asyncio.sleep(0)  # let the ticker start before the work does
    try:
        await work
    finally:
        stop.set()
        await ticker
    return lags


def _summary(lags: list[float]) -> tuple[str, float]:
    cuts = statistics.quantiles(lags, n=100, method="inclusive")
    worst = max(lags)
    return f"p50 {ms(cuts[49])} p99 {ms(cuts[98])} max {ms(worst)}", worst


async def run(sizes: Sizes, workdir: Path) -> Result:
    batches = spread_batches(sizes, sizes.lag_batches, time.time() - 3600.0 * 3, random.Random(4))

    async def write_all(store: Store) -> None:
        for batch in batches:
            await store.write([SourceBatch(SOURCE, batch)])

    async with await Store.open(workdir / "lag.db", retention=RETENTION) as store:
        began = time.perf_counter()
        busy = await _lags_during(write_all(store))
        idle = await _lags_during(asyncio.sleep(time.perf_counter() - began))
    busy_text, busy_max = _summary(busy)
    idle_text, idle_max = _summary(idle)
    return Result(
        f"loop lag during writes ({sizes.lag_batches}x{sizes.batch_samples // 1000}k)",
        busy_text,
        f"max <= {ms(TARGET_SECONDS)}",
        f"idle {idle_text}",
        f"max {ratio(busy_max, idle_max)}",
        busy_max <= TARGET_SECONDS,
    )
