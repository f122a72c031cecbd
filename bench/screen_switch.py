"""Key press to new frame in the TUI, switching screens (1-7) and windows (`w`), on a big database.

Data: the recorded demo (`tests/fakes/demo_history.py`: every screen has its
series, alerts and log lines) grown to 200 series: more latency endpoints are
added, each series gets minute rollups for 35 days before the demo's now, and
raw samples fill the ring to its default bound (5M rows over the last day).
Rollups and samples go in through plain SQL (a few sketch blobs reused), so the
database builds in a minute or two; it is kept under /tmp/wootwatch-bench-cache-schema<N>
and reused while this file and the schema are unchanged (one directory per
schema version). Hourly and daily rollups are sealed for every hour and day
over, as the writer seals them.

Measured, in Textual's headless `run_test` at 120x40, on `WootwatchApp` reading
the database as `--attach` does (read-only, no collectors; `freeze_gc` and
`warm` as the terminal's TUI), its clock running from the demo's now:

* screens: from pressing a key 1-7 (cycling, 35 presses) to the new frame. The
  presses begin once the app has built the screens not visited yet in the
  background (`tui.warming`), as for a user who looks at the overview for a few
  seconds first: the first press of five of the screens is their first view
  (built hidden, shown for the first time), a row says how the switches back to
  a screen already shown fare alone. A switch back within 2 s of the screen's
  last read shows it as read (nothing is written to this database: no
  collector), a later one reads it again;
* first views pressed while warming: on a fresh app, keys 3-7 pressed one after
  another as soon as the first frame is on view: warming waits a second after
  the first frame and after each switch, so these screens are composed on
  demand, and the row checks that warming costs them nothing (baseline: the
  same with warming off); and the memory warming adds (VmRSS);
* windows: the same for `w` on the latency screen (5m, 1h, 24h, 7d, 32 presses);
* 7-day first read: the first `w` that reaches 7d on a fresh app (cold caches).

"Key to new frame" (`_frame`), as a user sees it: the clock starts when the key
event is handed to the driver's queue (`driver.send_message(events.Key(...))`,
as Textual's pilot does) and stops at the last frame the app writes before it
goes quiet (no frame for `QUIET` seconds), once the store read the key started
has finished. The headless driver writes nothing, so `App._display` is wrapped
to do what a terminal driver does with each frame (render the compositor's
update to the escape sequences it would write) and stamp it. A frame written
before the screen's read of the store finished does not count: it may show the
screen before its figures are read; when the read changes nothing on screen,
the end of the read is the end. The quiet wait after the last frame is not
counted: the frame was on screen when it was written.

Before this release, `_pilot_frame` timed `pilot.press` and `pilot.pause`: it
adds Textual's idle detection (20 ms sleeps until the process looks idle, three
times per press), which a user never sees. `run` prints its figure for the big
database too, for one release, so the change of method shows.

Baseline, same run: the same presses on the recorded demo alone (about 60
series, an hour of data). Targets: p95 <= 100 ms, 7-day first read <= 300 ms.

Run alone: `python bench/screen_switch.py [--presses 35]`.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import sqlite3
import statistics
import sys
import time
import unicodedata
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import Result, exact_quantile, ms, ratio

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))  # test-only: not shipped
from fakes.demo_history import record_demo
from textual import events
from textual._compositor import CompositorUpdate
from textual.keys import REPLACED_KEYS, _character_to_key, _get_unicode_name_from_key
from textual.screen import Screen

from collectors.sketch import LatencySketch
from collectors.store.hourly import merge_rows
from collectors.store.retention import Retention
from collectors.store.schema import MIGRATIONS, SCHEMA_VERSION
from tui.app import WootwatchApp
from tui.screens.windowed import WindowedScreen

CACHE = Path(f"/tmp/wootwatch-bench-cache-schema{SCHEMA_VERSION}")
"""One per schema: a branch at another schema never deletes the cache another one measures."""
SERIES = 200
DAYS = 35
RAW_ROWS = Retention().raw_max_rows
RAW_SPAN = Retention().raw_max_age
COLUMNS, ROWS = 120, 40
SCREEN_KEYS = "3456712"
"""Starts off the latency screen, where the window presses leave the app."""
TARGET_P95 = 0.100
TARGET_FIRST_7D = 0.300
_BLOBS = 16
_GIVE_UP = 60.0
QUIET = 0.1
"""Seconds without a frame after which the app is taken to have finished answering a key."""
_POLL = 0.001
_BUILD = 4


@dataclass(frozen=True, slots=True)
class Presses:
    """What one app run measured: seconds per press, by kind."""

    screens: list[float]
    windows: list[float]
    first_7d: float
    first_views: list[bool]
    """Per screen press: whether it was the screen's first view (built by warming, not shown)."""
    warming_mb: float
    """Resident memory the warming added: VmRSS once it ended minus VmRSS at the first frame."""


def _fingerprint() -> str:
    """What the cached databases were built from: bump `_BUILD` when `_grow` changes."""
    text = f"{_BUILD} {SERIES} {DAYS} {RAW_ROWS} {RAW_SPAN}" + "".join(MIGRATIONS)
    return hashlib.sha256(text.encode()).hexdigest()[:12]


def _sketch_rows(rng: random.Random) -> list[tuple[int, float, float, float, bytes]]:
    """A few minute rollups (count, sum, min, max, sketch) to reuse across series."""
    rows = []
    for _ in range(_BLOBS):
        values = [rng.lognormvariate(6.4, 0.5) for _ in range(12)]
        sketch = LatencySketch()
        sketch.add_many(values)
        rows.append((len(values), sum(values), min(values), max(values), sketch.to_bytes()))
    return rows


def _grow(path: Path, now: float) -> None:
    """Grow the recorded demo at `path` to the big database (see the module docstring)."""
    rng = random.Random(16)
    conn = sqlite3.connect(path, isolation_level=None)
    try:
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = OFF")
        source, labels = conn.execute(
            "SELECT source, labels FROM series WHERE name = 'chatwoot.api.latency_ms' LIMIT 1"
        ).fetchone()
        base = json.loads(labels)
        have = conn.execute("SELECT count(*) FROM series").fetchone()[0]
        conn.execute("BEGIN")
        for i in range(SERIES - have):
            extra = json.dumps({**base, "endpoint": f"bench-{i:03d}"}, sort_keys=True)
            conn.execute(
                "INSERT INTO series (source, name, labels, unit) VALUES (?, ?, ?, 'ms')",
                (source, "chatwoot.api.latency_ms", extra),
            )
        conn.execute("COMMIT")
        ids = [row[0] for row in conn.execute("SELECT id FROM series ORDER BY id")]
        blobs = _sketch_rows(rng)
        demo_hour = conn.execute("SELECT min(minute) FROM rollups").fetchone()[0] // 60
        last_minute = int(now // 60)
        minutes = range(last_minute - DAYS * 1440, last_minute)
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT OR IGNORE INTO rollups (series_id, minute, count, sum, min, max, sketch) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((sid, m, *blobs[(sid + m) % _BLOBS]) for sid in ids for m in minutes),
        )
        conn.execute("COMMIT")
        _seal_hours(conn, ids, blobs, minutes, demo_hour, now)
        have_raw = conn.execute("SELECT count(*) FROM samples").fetchone()[0]
        per_series = (RAW_ROWS - have_raw) // len(ids)
        step = RAW_SPAN / per_series
        conn.execute("BEGIN")
        conn.executemany(
            "INSERT INTO samples (series_id, ts, value) VALUES (?, ?, ?)",
            (
                (sid, now - RAW_SPAN + k * step, rng.lognormvariate(6.4, 0.5))
                for k in range(per_series)
                for sid in ids
            ),
        )
        conn.execute("COMMIT")
        conn.execute("ANALYZE")
    finally:
        conn.close()


def _seal_hours(
    conn: sqlite3.Connection,
    ids: list[int],
    blobs: list[tuple[int, float, float, float, bytes]],
    minutes: range,
    demo_hour: int,
    now: float,
) -> None:
    """Write the hourly and daily rollups of every whole hour and day over, as the writer would.

    Before the recorded demo, an hour of minute `m` holds blob `(sid + m) % _BLOBS`
    for `m` in the hour: one of `_BLOBS` merges, made once. The demo's own hours
    are merged from what is stored.
    """
    shapes = {
        shift: merge_rows((0, *blobs[(shift + j) % _BLOBS]) for j in range(60))[0]
        for shift in range(_BLOBS)
    }
    first_hour = -(-minutes.start // 60)
    conn.execute("BEGIN")
    conn.execute("DELETE FROM rollups_hourly WHERE hour >= ?", (demo_hour,))
    conn.executemany(
        "INSERT INTO rollups_hourly (series_id, hour, count, sum, min, max, sketch) "
        "VALUES (?, ?, ?, ?, ?, ?, ?)",
        (
            (sid, hour, *shapes[(sid + 60 * hour) % _BLOBS])
            for sid in ids
            for hour in range(first_hour, demo_hour)
        ),
    )
    for hour in range(demo_hour, int(now // 3600)):
        rows = conn.execute(
            "SELECT series_id, count, sum, min, max, sketch FROM rollups "
            f"WHERE series_id IN ({','.join('?' * len(ids))}) AND minute >= ? AND minute < ?",
            (*ids, hour * 60, hour * 60 + 60),
        ).fetchall()
        conn.executemany(
            "INSERT INTO rollups_hourly (series_id, hour, count, sum, min, max, sketch) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((sid, hour, *part) for sid, part in merge_rows(rows).items()),
        )
    for day in range(-(-first_hour // 24), int(now // 86400)):  # every whole day over
        rows = conn.execute(
            "SELECT series_id, count, sum, min, max, sketch FROM rollups_hourly "
            "WHERE hour >= ? AND hour < ?",
            (day * 24, day * 24 + 24),
        ).fetchall()
        conn.executemany(
            "INSERT OR REPLACE INTO rollups_daily (series_id, day, count, sum, min, max, sketch) "
            "VALUES (?, ?, ?, ?, ?, ?, ?)",
            ((sid, day, *part) for sid, part in merge_rows(rows).items()),
        )
    conn.execute("COMMIT")


async def build(directory: Path) -> tuple[Path, Path, float]:
    """The small recorded demo and the big database, built once and cached; and their now."""
    directory.mkdir(parents=True, exist_ok=True)
    small, big, meta = directory / "demo.db", directory / "big.db", directory / "meta.json"
    stamp = _fingerprint()
    if meta.exists() and json.loads(meta.read_text()).get("stamp") == stamp and big.exists():
        return small, big, float(json.loads(meta.read_text())["now"])
    for stale in directory.glob("*.db*"):
        stale.unlink()
    now = await record_demo(small)
    await record_demo(big)
    _grow(big, now)
    meta.write_text(json.dumps({"stamp": stamp, "now": now}))
    return small, big, now


class FrameClock:
    """Stamps every frame an app writes, with how many store reads had finished by then.

    Installed on the app's `_display` (see the module docstring): each frame is
    rendered to the bytes a terminal driver would write, then stamped.
    """

    def __init__(self, app: WootwatchApp) -> None:
        self.frames: list[tuple[float, int]] = []
        """(perf_counter, `app.refreshes`) of each frame written."""
        display = app._display

        def stamped(screen: Screen[Any], renderable: Any) -> None:
            display(screen, renderable)
            if renderable is None or app._batch_count:
                return
            if isinstance(renderable, CompositorUpdate):
                renderable.render_segments(app.console)
            self.frames.append((time.perf_counter(), app.refreshes))

        app._display = stamped  # type: ignore[method-assign]


_clocks: weakref.WeakKeyDictionary[WootwatchApp, FrameClock] = weakref.WeakKeyDictionary()


def _key_event(key: str) -> events.Key:
    """The event Textual's pilot sends for `key` (`App._press_keys`)."""
    if len(key) == 1 and not key.isalnum():
        key = _character_to_key(key)
    try:
        char: str | None = unicodedata.lookup(
            _get_unicode_name_from_key(REPLACED_KEYS.get(key, key))
        )
    except KeyError:
        char = key if len(key) == 1 else None
    return events.Key(key, char)


async def _frame(app: WootwatchApp, pilot: object, key: str) -> float:
    """Seconds from sending `key` to the last frame after the store read it started.

    `pilot` is kept for callers (`rewind_step.py`); the key goes to the driver
    directly, as the pilot sends it, without the pilot's idle waits.
    """
    clock = _clocks.get(app) or _clocks.setdefault(app, FrameClock(app))
    while app.refreshing:
        await asyncio.sleep(_POLL)
    before = app.refreshes
    assert app._driver is not None
    event = _key_event(key)
    event.set_sender(app)
    began = time.perf_counter()
    app._driver.send_message(event)
    read_end = None
    while True:
        await asyncio.sleep(_POLL)
        at = time.perf_counter()
        if at - began > _GIVE_UP:
            raise RuntimeError(f"no read of the store after pressing {key!r}")
        if read_end is None:
            if app.refreshes > before and not app.refreshing:
                read_end = at
            continue
        last = max((t for t, reads in clock.frames if t > began and reads > before), default=None)
        if at - max(read_end, last or read_end) >= QUIET:
            clock.frames.clear()
            return max(read_end, last or read_end) - began


async def _pilot_frame(app: WootwatchApp, pilot: object, key: str) -> float:
    """The measure before this release: `pilot.press` and `pilot.pause` around the read."""
    from textual.pilot import Pilot

    assert isinstance(pilot, Pilot)
    while app.refreshing:
        await asyncio.sleep(0.005)
    before = app.refreshes
    began = time.perf_counter()
    await pilot.press(key)
    while app.refreshes == before or app.refreshing:
        if time.perf_counter() - began > _GIVE_UP:
            raise RuntimeError(f"no read of the store after pressing {key!r}")
        await asyncio.sleep(0)
    await pilot.pause()
    return time.perf_counter() - began


Frame = Callable[[WootwatchApp, object, str], Awaitable[float]]
"""How one press is timed: `_frame`, or `_pilot_frame` (the measure before this release)."""


def _window(app: WootwatchApp) -> str:
    """The window label of the screen on view (the latency screen's)."""
    screen = app.screen
    assert isinstance(screen, WindowedScreen)
    return screen.view.window.label


async def measure(db: Path, now: float, presses: int, frame: Frame = _frame) -> Presses:
    """Open the TUI on `db` (its clock running from `now`) and time the presses with `frame`."""
    offset = now - time.time()
    app = WootwatchApp(
        db, refresh=3600.0, clock=lambda: time.time() + offset, freeze_gc=True, warm=True
    )  # as the terminal's TUI runs
    async with app.run_test(size=(COLUMNS, ROWS)) as pilot:
        while app.refreshes == 0:
            await asyncio.sleep(0.01)
        before_mb = _rss_mb()
        await app.warming.wait()  # a user looks at the overview for a few seconds first
        warming_mb = _rss_mb() - before_mb
        await frame(app, pilot, "2")
        first_7d = 0.0
        while _window(app) != "7d":  # the screen opens on its default window (1h)
            first_7d = await frame(app, pilot, "w")
        screens, first_views, seen = [], [], {"overview", "latency"}
        for i in range(presses):
            screens.append(await frame(app, pilot, SCREEN_KEYS[i % 7]))
            first_views.append(app.current_mode not in seen)
            seen.add(app.current_mode)
        if app.current_mode != "latency":
            await frame(app, pilot, "2")
        windows = [await frame(app, pilot, "w") for _ in range(presses)]
    return Presses(screens, windows, first_7d, first_views, warming_mb)


async def measure_while_warming(
    db: Path, now: float, *, warm: bool = True
) -> tuple[list[float], list[bool]]:
    """The first views pressed at once after the first frame, while warming is under way.

    Returns the seconds of each press (keys 3-7, one after another) and whether
    warming had built that screen before its key was pressed. `warm=False`:
    the same with warming switched off, as before it existed (the baseline).
    """
    offset = now - time.time()
    app = WootwatchApp(
        db, refresh=3600.0, clock=lambda: time.time() + offset, freeze_gc=True, warm=warm
    )
    async with app.run_test(size=(COLUMNS, ROWS)) as pilot:
        while app.refreshes == 0:
            await asyncio.sleep(0.01)
        times, built = [], []
        for key in SCREEN_KEYS[:5]:
            mode = list(app.MODES)[int(key) - 1]
            built.append(mode in app.warming.warmed)
            times.append(await _frame(app, pilot, key))
    return times, built


def _rss_mb() -> float:
    """This process's resident set size in MiB (`VmRSS`)."""
    with open("/proc/self/status") as status:
        kb = next(int(line.split()[1]) for line in status if line.startswith("VmRSS:"))
    return kb / 1024


def _quantiles(values: list[float]) -> tuple[float, float]:
    ordered = sorted(values)
    return statistics.median(ordered), exact_quantile(ordered, 0.95)


Pressed = tuple[list[float], list[bool]]
"""Seconds per press, and whether warming had built the screen before its key."""


def _rows(
    big: Presses, small: Presses, pilot: Presses, warming: Pressed, cold: Pressed
) -> list[Result]:
    rows = []
    for kind, mine, base in (
        ("screens 1-7", big.screens, small.screens),
        ("window w", big.windows, small.windows),
    ):
        p50, p95 = _quantiles(mine)
        b50, b95 = _quantiles(base)
        rows.append(
            Result(
                f"key to frame, {kind} ({SERIES} series, {DAYS} d, {len(mine)} presses)",
                f"p50 {ms(p50)}, p95 {ms(p95)}",
                f"p95 <= {ms(TARGET_P95)}",
                f"demo db: p50 {ms(b50)}, p95 {ms(b95)}",
                ratio(p95, b95),
                p95 <= TARGET_P95,
            )
        )
    rows.append(
        Result(
            "key to frame, 7d window's first read",
            ms(big.first_7d),
            f"<= {ms(TARGET_FIRST_7D)}",
            f"demo db: {ms(small.first_7d)}",
            ratio(big.first_7d, small.first_7d),
            big.first_7d <= TARGET_FIRST_7D,
        )
    )
    again = [t for t, first in zip(big.screens, big.first_views, strict=True) if not first]
    firsts = [t for t, first in zip(big.screens, big.first_views, strict=True) if first]
    if again and firsts:
        a50, a95 = _quantiles(again)
        rows.append(
            Result(
                f"key to frame, screens 1-7: the {len(again)} switches to a screen already drawn",
                f"p50 {ms(a50)}, p95 {ms(a95)}",
                f"p95 <= {ms(TARGET_P95)} (informational: part of the row above)",
                f"the {len(firsts)} first views: p50 {ms(statistics.median(firsts))}, "
                f"max {ms(max(firsts))}",
                ratio(a95, max(firsts)),
                None,
            )
        )
    times, built = warming
    rows.append(
        Result(
            "key to frame, first views pressed while warming (keys 3-7 right after the "
            f"first frame; {sum(built)} of {len(built)} built before their key)",
            f"p50 {ms(statistics.median(times))}, max {ms(max(times))}",
            "(informational)",
            f"without warming: p50 {ms(statistics.median(cold[0]))}, max {ms(max(cold[0]))}",
            ratio(statistics.median(times), statistics.median(cold[0])),
            None,
        )
    )
    rows.append(
        Result(
            "memory added by warming the 6 screens not visited (VmRSS after minus at first frame)",
            f"{big.warming_mb:.1f} MiB",
            "(informational)",
            f"demo db: {small.warming_mb:.1f} MiB",
            ratio(big.warming_mb, small.warming_mb),
            None,
        )
    )
    for kind, old, new in (
        ("screens 1-7", pilot.screens, big.screens),
        ("window w", pilot.windows, big.windows),
    ):
        o50, o95 = _quantiles(old)
        rows.append(
            Result(
                f"key to frame, {kind}, measured as before this release (pilot's idle waits)",
                f"p50 {ms(o50)}, p95 {ms(o95)}",
                "(none: for comparison, one release)",
                f"this release's measure: p95 {ms(_quantiles(new)[1])}",
                ratio(o95, _quantiles(new)[1]),
                None,
            )
        )
    return rows


async def run(presses: int = 35, directory: Path = CACHE) -> list[Result]:
    """Build (or reuse) the databases, time the presses on each; eight rows.

    The last two time the big database's presses as before this release (`_pilot_frame`).
    """
    small, big, now = await build(directory)
    base = await measure(small, now, presses)
    mine = await measure(big, now, presses)
    pilot = await measure(big, now, presses, _pilot_frame)
    warming = await measure_while_warming(big, now)
    cold = await measure_while_warming(big, now, warm=False)
    return _rows(mine, base, pilot, warming, cold)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--presses", type=int, default=35, help="presses of each kind (35)")
    parser.add_argument("--cache", type=Path, default=CACHE, help=f"database cache ({CACHE})")
    args = parser.parse_args()
    for row in asyncio.run(run(args.presses, args.cache)):
        print(f"{row.benchmark}: {row.figure} (target {row.target})")
        print(f"    baseline {row.baseline}, ratio {row.ratio}")
