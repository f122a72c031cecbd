"""Peak RSS of a process that opens the 24 h / 10M database and queries it.

A fresh Python subprocess (this file run with `--db`) opens the database built
by `window_query` with `Store.open` (as the writer, the way `wootwatch` without
`--attach` does, with the benchmark's wide retention, so nothing is trimmed),
then runs `series()`, the 24 h `window_stats`, a 24 h `points()` (240 slots,
from the rollups) and a 10 min `points()` (300 slots, from raw samples), and
reports its peak RSS. Baseline: the peak RSS of the same script run with
`--import-only`, a fresh process that stops after its imports (`collectors.store.database`
among them). Target: <= 150 MB.

What a reader keeps between reads is bounded apart from this figure (a
query here fills little of it), each bound stated where it is kept:

* `SealedMinutes` (store/sealed_minutes.py): the minutes of 2048 series-hours
  at most, about 20 kB each: 40 MB at most;
* `HourBins` (store/hour_bins.py): 8192 decoded hourly sketches at most, about
  2 kB each with the blob they were read from: 16 MB at most.
* `KeptHours` (store/kept_hours.py, a read-only store's, while nothing is
  written): 8192 whole hours' rows at most, their decoded sketches shared with
  `HourBins` while both keep them: 16 MB at most;

`--kept DB` measures both after 24-hour reads of every latency series of DB:
on the rewind benchmark's big.db (146 series; measured at schema 6, hourly rows only),
1.8 kB per decoded hour (3480 kept) and 14.6 kB per series-hour of minutes
(290 kept).
* `Store._then`: the series as of one moment (one `SeriesInfo` per series).

Peak RSS is `VmHWM` from /proc/self/status, not `getrusage().ru_maxrss`: Linux
carries the parent's high-water mark across fork and exec into `ru_maxrss`, so
a child of a benchmark process holding 10M samples would report the parent's
peak, not its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import subprocess
import sys
import tracemalloc
from pathlib import Path
from typing import TYPE_CHECKING

from _common import LATENCY_SERIES, RETENTION, Result, ratio

from collectors.store.database import Store
from collectors.store.sealed_minutes import SealedMinutes

if TYPE_CHECKING:
    from window_query import LatencyDb

TARGET_MB = 150.0


def _peak_mb() -> float:
    """This process's peak resident set size in MiB (`VmHWM`, reported in kB)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM in /proc/self/status (not Linux?)")


async def _query(path: Path, start: float, end: float) -> None:
    async with await Store.open(path, retention=RETENTION) as store:
        series = await store.series(LATENCY_SERIES)
        stats = await store.window_stats(series, start, end)
        slow = await store.points(series, start, end, 240)
        fast = await store.points(series, end - 600, end, 300, how="max")
    if not stats.count or None in slow or None in fast:
        raise SystemExit("the database does not hold the expected window")


async def _kept(path: Path) -> dict[str, float]:
    """What a reader keeps after 24-hour reads of every latency series: entries, kB each.

    An hour-aligned window first (whole hours only: `HourBins`), then one
    30 minutes later (two partial hours per series: `SealedMinutes`).
    """
    async with await Store.open(path, readonly=True) as store:
        series = await store.series(LATENCY_SERIES)
        hour = math.floor(max(s.last_ts or 0.0 for s in series) / 3600) * 3600.0 - 3600
        await store.window_stats_each(series, hour - 3600, hour)  # imports, statements
        store._sealed = sealed = SealedMinutes()
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        await store.window_stats_each(series, hour - 86_400, hour)
        aligned, bins = tracemalloc.get_traced_memory()[0], len(sealed.hours)
        await store.window_stats_each(series, hour - 84_600, hour + 1800)
        shifted = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        bins_each = (aligned - before) / bins
        minutes = (shifted - aligned - (len(sealed.hours) - bins) * bins_each) / len(sealed)
    return {
        "hour_bins": len(sealed.hours),
        "hour_bins_kb_each": bins_each / 1024,
        "sealed_hours": len(sealed),
        "sealed_hours_kb_each": minutes / 1024,
    }


def _child_peak_mb(*args: str) -> float:
    """Run this file in a fresh interpreter with `args`; return the peak RSS it reports."""
    child = subprocess.run(
        [sys.executable, __file__, *args], check=True, capture_output=True, text=True
    )
    return float(json.loads(child.stdout)["peak_mb"])


def run(db: LatencyDb) -> Result:
    peak = _child_peak_mb("--db", str(db.path), repr(db.start), repr(db.end))
    baseline = _child_peak_mb("--import-only")
    return Result(
        f"peak RSS, {db.label} db open + queries",
        f"{peak:.1f} MB",
        f"<= {TARGET_MB:.0f} MB",
        f"import only {baseline:.1f} MB",
        ratio(peak, baseline),
        peak <= TARGET_MB,
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="the measured subprocess of bench/memory.py")
    mode = parser.add_mutually_exclusive_group(required=True)
    mode.add_argument("--db", nargs=3, metavar=("PATH", "START", "END"))
    mode.add_argument("--import-only", action="store_true")
    mode.add_argument("--kept", metavar="DB", help="what a reader keeps after a 24 h read")
    args = parser.parse_args()
    if args.kept:
        print(json.dumps(asyncio.run(_kept(Path(args.kept)))))
        raise SystemExit(0)
    if args.db:
        path, start, end = args.db
        asyncio.run(_query(Path(path), float(start), float(end)))
    print(json.dumps({"peak_mb": _peak_mb()}))
