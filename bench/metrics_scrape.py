"""What a `/metrics` scrape costs: its duration and size, for the demo stack and for 200 series.

Usage: `python bench/metrics_scrape.py`

Two stores, each holding the last hour (the worst case of counting since the
collector's start is a collector that has run that long; histograms count every
sample since then):

* demo: the five parts of `wootwatch --demo` polled every 5 s for an hour;
* 200 series: 150 gauges (`sidekiq.queue.size`, one per queue) and 50 latency
  histograms (`chatwoot.api.latency_ms`, one per endpoint, ten requests a poll),
  one poll a 30 s for an hour.

Measured through the same read-only handles and families as `wootwatch collect
--metrics-listen` (`read_families`, then prometheus-client's exposition): median
wall time of a scrape over several runs, and the page's size in bytes.
"""

from __future__ import annotations

import asyncio
import random
import statistics
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.core import Metric
from prometheus_client.registry import Collector

from collectors.alerts.book import AlertBook
from collectors.base import SOURCE_UP, Record, Sample, SourceState, SourceStatus
from collectors.demo import DemoCollector, demo_sources
from collectors.metrics import read_families
from collectors.store.database import SourceBatch, Store
from collectors.store.retention import Retention

T0 = time.time() // 60 * 60
HOUR = 3600.0
RUNS = 9
RETENTION = Retention(raw_max_rows=20_000_000, raw_max_age="2d")


class _Fixed(Collector):
    """Families read already, for prometheus-client's exposition."""

    def __init__(self, families: Sequence[Metric]) -> None:
        self.families = families

    def collect(self) -> Sequence[Metric]:
        """The families read before."""
        return self.families


def _batch(source: str, ts: float, records: list[Record]) -> SourceBatch:
    status = SourceStatus(source, SourceState.OK, ts + 0.1, ts + 0.1)
    return SourceBatch(source, [*records, Sample(SOURCE_UP, 1.0, ts)], status)


async def _fill_demo(store: Store) -> None:
    parts = [DemoCollector(config, clock=lambda: T0 - HOUR) for config in demo_sources()]
    for step in range(int(HOUR / 5)):
        ts = T0 - HOUR + step * 5
        batches = []
        for config, part in zip(demo_sources(), parts, strict=True):
            batches.append(_batch(config.name, ts, part.readings_at(ts, 5.0)))
        await store.write(batches)


async def _fill_200(store: Store) -> None:
    rng = random.Random(7)
    for step in range(int(HOUR / 30)):
        ts = T0 - HOUR + step * 30
        records: list[Record] = [
            Sample("sidekiq.queue.size", rng.randint(0, 40), ts, {"queue": f"q{q}"})
            for q in range(150)
        ]
        records += [
            Sample(
                "chatwoot.api.latency_ms", rng.lognormvariate(6.4, 0.5), ts, {"endpoint": f"e{e}"}
            )
            for e in range(50)
            for _ in range(10)
        ]
        await store.write([_batch("bench", ts, records)])


async def _measure(path: Path) -> tuple[float, int, int]:
    store = await Store.open(path, readonly=True)
    book = await AlertBook.open(path, readonly=True)
    times, page = [], b""
    try:
        for _ in range(RUNS):
            start = time.perf_counter()
            families = await read_families(store, book, origin=T0 - HOUR, now=T0)
            registry = CollectorRegistry(auto_describe=False)
            registry.register(_Fixed(families))
            page = generate_latest(registry)
            times.append(time.perf_counter() - start)
        series = len(await store.series())
    finally:
        await store.close()
        await book.close()
    return statistics.median(times), len(page), series


async def main() -> None:
    """Fill each store, then print its scrape's median duration and size."""
    with tempfile.TemporaryDirectory() as tmp:
        for name, fill in (("demo", _fill_demo), ("200 series", _fill_200)):
            path = Path(tmp) / f"{name.replace(' ', '_')}.db"
            async with await Store.open(path, retention=RETENTION, clock=lambda: T0) as store:
                await fill(store)
            took, size, series = await _measure(path)
            print(
                f"{name:>10}: {series} stored series, scrape {took * 1000:.1f} ms "
                f"(median of {RUNS}), /metrics {size / 1024:.1f} KiB"
            )


if __name__ == "__main__":
    asyncio.run(main())
