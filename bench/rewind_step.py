"""Key press to new frame in the TUI, stepping a rewound view with `[` and `]`, on a big database.

Data: the 35-day, 200-series database of `screen_switch.py` (the recorded demo
grown to 200 series, 35 days of minute rollups, a full day of raw samples),
built once and kept under /tmp/wootwatch-bench-cache-schema<N> (per schema version).

Measured, in Textual's headless `run_test` at 120x40, on `WootwatchApp` reading
the database as `--attach` does (`freeze_gc` and `warm` as the terminal's TUI
runs it, the presses begun once warming has built the screens, as in
`screen_switch.py`), its clock running from the demo's now: each
screen with a chart or sparklines (overview, latency at 1h and 24h, SLA,
queues, incident) is rewound to a moment (`RewindTo`), six hours back (raw
samples) and again twenty days back (rollups only), then stepped `[` back and
`]` forward; each press is timed from the key until the screen on view has
finished its read of the store as of the new moment and the app is idle.

Baseline, same run: the same presses on the recorded demo alone (about 60
series, an hour of data). Target (issue 18): p95 <= 150 ms.

Run alone: `python bench/rewind_step.py [--steps 6]`.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from pathlib import Path

from _common import Result, exact_quantile, ms, ratio
from screen_switch import CACHE, COLUMNS, DAYS, ROWS, SERIES, _frame, build

from tui.app import WootwatchApp
from tui.messages import RewindTo

TARGET_P95 = 0.150
BACK = (6 * 3600.0, 20 * 86400.0)
"""How far back each screen is rewound before stepping: in the raw samples, then rollups only."""
SCREENS = (
    ("latency 1h", "2", 0),
    ("SLA 1h", "3", 0),
    ("queues", "4", 0),
    ("incident", "7", 0),
    ("overview", "1", 0),
    ("latency 24h", "2", 1),
)
"""Name, the screen's key (never the one on view), and `w` presses after it (1h, then 24h)."""


async def _rewound(app: WootwatchApp, moment: float) -> None:
    """Rewind the app to `moment` and wait for the screen on view to read it."""
    while app.refreshing:
        await asyncio.sleep(0.005)
    before = app.refreshes
    app.post_message(RewindTo(moment))
    while app.refreshes == before or app.refreshing:
        await asyncio.sleep(0.005)


async def measure(db: Path, now: float, steps: int) -> dict[str, list[float]]:
    """Open the TUI on `db` (its clock running from `now`); seconds per press, by screen."""
    offset = now - time.time()
    app = WootwatchApp(
        db, refresh=3600.0, clock=lambda: time.time() + offset, freeze_gc=True, warm=True
    )  # as the terminal's TUI runs
    took: dict[str, list[float]] = {}
    async with app.run_test(size=(COLUMNS, ROWS)) as pilot:
        while app.refreshes == 0:
            await asyncio.sleep(0.01)
        await app.warming.wait()
        for name, key, windows in SCREENS:
            await _frame(app, pilot, key)
            for _ in range(windows):
                await _frame(app, pilot, "w")
            for back in BACK:
                await _rewound(app, now - back)
                for press in ["left_square_bracket"] * steps + ["right_square_bracket"] * steps:
                    took.setdefault(name, []).append(await _frame(app, pilot, press))
            app.post_message(RewindTo(None))
    return took


def _row(what: str, mine: list[float], base: list[float]) -> Result:
    p50, p95 = statistics.median(mine), exact_quantile(sorted(mine), 0.95)
    b50, b95 = statistics.median(base), exact_quantile(sorted(base), 0.95)
    return Result(
        f"key to frame, rewound [ and ], {what} ({SERIES} series, {DAYS} d, {len(mine)} presses)",
        f"p50 {ms(p50)}, p95 {ms(p95)}, max {ms(max(mine))}",
        f"p95 <= {ms(TARGET_P95)} ({p95 / TARGET_P95:.2f} of it)",
        f"demo db: p50 {ms(b50)}, p95 {ms(b95)}",
        ratio(p95, b95),
        p95 <= TARGET_P95,
    )


async def run(steps: int = 6, directory: Path = CACHE) -> list[Result]:
    """Build (or reuse) the databases, time the steps on each; a row for all, then per screen."""
    small, big, now = await build(directory)
    base = await measure(small, now, steps)
    mine = await measure(big, now, steps)
    every = [t for name, _, _ in SCREENS for t in mine[name]]
    rows = [_row("every screen", every, [t for times in base.values() for t in times])]
    return rows + [_row(name, mine[name], base[name]) for name, _, _ in SCREENS]


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=6, help="[ presses, then ] presses (6)")
    args = parser.parse_args()
    for row in asyncio.run(run(args.steps)):
        print(f"{row.benchmark}: {row.figure} (target {row.target})")
        print(f"    baseline {row.baseline}, ratio {row.ratio}")
