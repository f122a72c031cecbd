"""How long `wootwatch export` takes: the recorded demo, and a day of the demo stack (1M samples).

Usage: `python bench/export.py [--quick]`

* demo: `record_demo` of `tests/fakes/demo_history.py` (the hour of backfill plus 18
  polls, alerts included), exported over 15 minutes and over 1 hour.
* day: the five demo parts polled every 9 s for 24 h through `Store.write`
  (about 1.05M samples; no alert engine), exported over the last
  hour and over the whole day. `--quick` records 2.4 h instead.

Each figure is the median wall time of `build_export` (open the database
read-only, gather, render) over five runs, markdown and JSON. Not a test: no
target, nothing asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from pathlib import Path

from _common import RETENTION, temp_dir

from collectors.demo import DemoCollector, demo_sources
from collectors.store.database import SourceBatch, Store
from tui.export.write import ExportFormat, build_export

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # test-only: not shipped
from fakes.demo_history import ManualClock, record_demo

RUNS = 5
POLL_EVERY = 9.0


async def _timed(db: Path, now: float, since: float, fmt: ExportFormat) -> tuple[float, int]:
    times, size = [], 0
    for _ in range(RUNS):
        started = time.perf_counter()
        text = await build_export(db, now=now, since=since, user="bench", host="bench", fmt=fmt)
        times.append(time.perf_counter() - started)
        size = len(text.encode())
    return statistics.median(times), size


async def record_day(path: Path, hours: float) -> tuple[float, int]:
    """The demo parts polled every 9 s for `hours`; returns the last poll's time and samples."""
    start = 1_795_000_000.0
    clock = ManualClock(start)
    collectors = [DemoCollector(config, clock=clock) for config in demo_sources()]
    samples = 0
    async with await Store.open(path, retention=RETENTION, clock=clock) as store:
        batches: list[SourceBatch] = []
        for step in range(int(hours * 3600 / POLL_EVERY)):
            clock.now = start + step * POLL_EVERY
            for collector, config in zip(collectors, demo_sources(), strict=True):
                records = collector.readings_at(clock.now, POLL_EVERY)
                samples += sum(1 for r in records if not hasattr(r, "message"))
                batches.append(SourceBatch(config.name, records))
            if len(batches) >= 500:
                await store.write(batches)
                batches = []
        await store.write(batches)
    return clock.now, samples


async def main(quick: bool) -> None:
    with temp_dir() as workdir:
        demo = workdir / "demo.db"
        now = await record_demo(demo)
        for since in (900.0, 3600.0):
            for fmt in ("markdown", "json"):
                seconds, size = await _timed(demo, now, since, fmt)
                print(f"demo, window {since / 60:.0f} min, {fmt}: {seconds * 1000:.0f} ms, "
                      f"{size / 1024:.0f} KiB")  # fmt: skip
        print("recording the day...", file=sys.stderr, flush=True)
        day = workdir / "day.db"
        now, samples = await record_day(day, 2.4 if quick else 24.0)
        print(f"day: {samples:,} samples")
        for since in (3600.0, 86400.0):
            for fmt in ("markdown", "json"):
                seconds, size = await _timed(day, now, since, fmt)
                print(f"day, window {since / 3600:.0f} h, {fmt}: {seconds * 1000:.0f} ms, "
                      f"{size / 1024:.0f} KiB")  # fmt: skip


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="2.4 hours instead of a day")
    asyncio.run(main(parser.parse_args().quick))
