"""Peak RSS of a process that opens the 24 h / 10M database and queries it.

A fresh Python subprocess (this file run with `--db`) opens the database built
by `window_query` with `Store.open` (as the writer, the way `wootwatch` without
`--attach` does, with the benchmark's wide retention, so nothing is trimmed),
then runs `series()`, the 24 h `window_stats`, a 24 h `points()` (240 slots,
from the rollups) and a 10 min `points()` (300 slots, from raw samples), and
reports its peak RSS. Baseline: the peak RSS of the same script run with
`--import-only`, a fresh process that stops after its imports (`collectors.store.database`
among them). Target: <= 150 MB.

Peak RSS is `VmHWM` from /proc/self/status, not `getrusage().ru_maxrss`: Linux
carries the parent's high-water mark across fork and exec into `ru_maxrss`, so
a child of a benchmark process holding 10M samples would report the parent's
peak, not its own.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import subprocess
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from _common import LATENCY_SERIES, RETENTION, Result, ratio

from collectors.store.database import Store

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
    args = parser.parse_args()
    if args.db:
        path, start, end = args.db
        asyncio.run(_query(Path(path), float(start), float(end)))
    print(json.dumps({"peak_mb": _peak_mb()}))
