"""Run every benchmark and print one table: figure, target, baseline, ratio, verdict.

Usage: `python bench/run_all.py [--quick] [--only NAME ...]`

`--quick` uses sizes about ten times smaller (a smoke run; its verdicts are only
indicative). Databases live in a temporary directory under /tmp that is removed
at the end. The modules' docstrings say what each benchmark measures and against
what baseline. Progress goes to stderr, the table to stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import cold_start
import ingest
import logs
import loop_lag
import memory
import rewind_step
import screen_switch
import sketch_error
import tui_demo
import window_query
from _common import FULL, QUICK, Result, Sizes, temp_dir

BENCHMARKS = (
    "cold",
    "sketch",
    "ingest",
    "lag",
    "window",
    "memory",
    "logs",
    "tui",
    "screens",
    "rewind",
)
_HEADERS = ("benchmark", "figure", "target", "baseline", "ratio", "verdict")


def _progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


async def _run(sizes: Sizes, only: Sequence[str], workdir: Path) -> list[Result]:
    results: list[Result] = []
    if "cold" in only:
        _progress("cold start of the headless commands")
        results.extend(cold_start.run(workdir))
    if "sketch" in only:
        _progress("sketch error")
        results.append(sketch_error.run(sizes))
    if "ingest" in only:
        _progress("ingest")
        results.extend(await ingest.run(sizes, workdir))
    if "lag" in only:
        _progress("loop lag")
        results.append(await loop_lag.run(sizes, workdir))
    if "logs" in only:
        _progress("log cache: ingest and search")
        results.extend(await logs.run(sizes, workdir))
    if "tui" in only:
        _progress(f"wootwatch --demo in a pty, then piped ({sizes.tui_seconds:.0f} s each)")
        results.extend(tui_demo.run(sizes.tui_seconds, workdir))
    if "screens" in only:
        _progress("key to frame: screens and windows on a 35-day, 200-series database")
        results.extend(await screen_switch.run())
    if "rewind" in only:
        _progress("key to frame: [ and ] in a rewound view of the same database")
        results.extend(await rewind_step.run())
    if "window" in only or "memory" in only:
        if "window" in only:
            _progress(f"build 1h db ({sizes.window_1h_samples:,} samples)")
            hour = await window_query.build(workdir / "1h.db", sizes.window_1h_samples, 3600.0)
            results.append(window_query.build_result(hour))
            _progress("window_stats 1h")
            results.append(await window_query.run(hour, 0.010))
        _progress(f"build 24h db ({sizes.window_24h_samples:,} samples)")
        day = await window_query.build(workdir / "24h.db", sizes.window_24h_samples, 86400.0)
        results.append(window_query.build_result(day))
        if "window" in only:
            _progress("window_stats 24h")
            results.append(await window_query.run(day, 0.100))
        if "memory" in only:
            _progress("memory")
            results.append(memory.run(day))
    return results


def _table(results: Sequence[Result]) -> str:
    verdicts = {True: "PASS", False: "MISS", None: "info"}
    rows = [_HEADERS] + [
        (r.benchmark, r.figure, r.target, r.baseline, r.ratio, verdicts[r.passed]) for r in results
    ]
    widths = [max(len(row[i]) for row in rows) for i in range(len(_HEADERS))]
    lines = ["  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)) for row in rows]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(line.rstrip() for line in lines)


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Run the wootwatch benchmarks.")
    parser.add_argument("--quick", action="store_true", help="~10x smaller sizes (smoke run)")
    parser.add_argument(
        "--only", nargs="+", choices=BENCHMARKS, default=BENCHMARKS, help="a subset to run"
    )
    args = parser.parse_args(argv)
    sizes = QUICK if args.quick else FULL
    began = time.perf_counter()
    with temp_dir() as workdir:
        results = asyncio.run(_run(sizes, args.only, workdir))
    print(f"wootwatch benchmarks ({'quick' if args.quick else 'full'} sizes)")
    print(_table(results))
    missed = [r.benchmark for r in results if r.passed is False]
    print(f"\n{len(missed)} target(s) missed{': ' + '; '.join(missed) if missed else ''}")
    print(f"total {time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
