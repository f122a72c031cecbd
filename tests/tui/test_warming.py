"""Warming: the screens not visited yet, built in the background once the first frame is on view.

A warmed screen must look, on its first view, exactly as one composed on
demand; a key pressed while warming is answered at once; a hidden screen reads
nothing; a rewound view shows warmed screens as of the moment on view. A
switch back within a moment of the screen's last read, with nothing written
since, shows the screen as read; a write, or a rewind, makes it read again.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from _pilot import refreshed
from textual.pilot import Pilot

from tui import warming
from tui.app import WootwatchApp
from tui.panels.base import LivePanel
from tui.screens.base import LiveScreen
from widgets.screen_tabs import ScreenTabs

KEYS = "234567"
"""The screens not on view at start, in key order."""


@pytest.fixture(autouse=True)
def _quick_steps(monkeypatch: pytest.MonkeyPatch) -> None:
    """Warming's pauses between steps, shortened: the steps and their order stay."""
    monkeypatch.setattr(warming, "PAUSE", 0.001)
    monkeypatch.setattr(warming, "SETTLE", 0.05)


@pytest.fixture
def warm_app(demo_db: Path, demo_now: float) -> WootwatchApp:
    """The TUI on a copy of the recorded demo, warming as the terminal's does."""
    return WootwatchApp(demo_db, clock=lambda: demo_now, warm=True)


async def test_an_app_not_told_to_warm_builds_nothing(demo_app: WootwatchApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        await pilot.pause(0.1)
        assert demo_app.warming.done and not demo_app.warming.warmed
        assert list(demo_app._screen_stacks) == ["overview"]


async def _warmed(pilot: Pilot[object]) -> None:
    app = pilot.app
    assert isinstance(app, WootwatchApp)
    await refreshed(pilot)
    for _ in range(400):
        if app.warming.done:
            return
        await pilot.pause(0.02)
    raise AssertionError(f"warming did not end within 8 s: {app.warming.queue} left")


def _gathers(screen: LiveScreen) -> list[str]:
    """Count every panel read of `screen` from now on, by panel class."""
    seen: list[str] = []
    for panel in screen.query(LivePanel):
        gather = panel.gather

        async def counted(
            reader: object, _gather: object = gather, _panel: object = panel
        ) -> object:
            seen.append(type(_panel).__name__)
            return await _gather(reader)  # type: ignore[operator]

        panel.gather = counted  # type: ignore[method-assign]
    return seen


async def _switch(pilot: Pilot[object], key: str) -> None:
    """Press `key` and wait for the switch's own read (if any) to end."""
    await pilot.press(key)
    for _ in range(200):
        await pilot.pause(0.02)
        if not pilot.app.refreshing:  # type: ignore[attr-defined]
            return


def _screen(app: WootwatchApp, mode: str) -> LiveScreen:
    screen = app.get_screen_stack(mode)[0]
    assert isinstance(screen, LiveScreen)
    return screen


async def _first_views(app: WootwatchApp, *, warm: bool) -> list[str]:
    shots = []
    async with app.run_test(size=(120, 40)) as pilot:
        if warm:
            await _warmed(pilot)
        else:
            await refreshed(pilot)
        for key in KEYS:
            await pilot.press(key)
            await refreshed(pilot)
            await pilot.pause()
            shots.append(app.export_screenshot())
    return shots


async def test_a_warmed_screens_first_view_is_the_one_composed_on_demand(
    demo_db: Path, demo_now: float
) -> None:
    warmed = await _first_views(WootwatchApp(demo_db, clock=lambda: demo_now, warm=True), warm=True)
    on_demand = await _first_views(WootwatchApp(demo_db, clock=lambda: demo_now), warm=False)
    for key, (shown, composed) in enumerate(zip(warmed, on_demand, strict=True), start=2):
        assert shown == composed, f"screen {key}"


async def test_warming_builds_and_reads_every_screen_not_visited_while_hidden(
    warm_app: WootwatchApp,
) -> None:
    async with warm_app.run_test(size=(120, 40)) as pilot:
        await _warmed(pilot)
        assert warm_app.current_mode == "overview"
        assert warm_app.warming.warmed == [m for m in warm_app.MODES if m != "overview"]
        for mode in warm_app.warming.warmed:
            tabs = _screen(warm_app, mode).query_one(ScreenTabs)
            assert tabs.status.startswith("demo.db"), mode  # read while hidden


async def test_a_key_pressed_while_warming_is_answered_and_its_screen_leaves_the_queue(
    warm_app: WootwatchApp,
) -> None:
    async with warm_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        for _ in range(400):
            if warm_app.warming.warmed:
                break
            await pilot.pause(0.01)
        # The last screen still to build (on a quiet machine the next ones follow quickly).
        queued = warm_app.warming.queue
        assert queued, "warming is still under way"
        mode = queued[-1]
        await pilot.press(str(list(warm_app.MODES).index(mode) + 1))
        await refreshed(pilot)
        assert warm_app.current_mode == mode
        assert warm_app.screen.query_one(ScreenTabs).status.startswith("demo.db")
        await _warmed(pilot)
        assert mode not in warm_app.warming.warmed
        assert warm_app.current_mode == mode, "warming never switches"


async def test_warmed_screens_read_nothing_while_hidden(
    warm_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    async with warm_app.run_test(size=(120, 40)) as pilot:
        await _warmed(pilot)
        hidden = [_gathers(_screen(warm_app, mode)) for mode in warm_app.warming.warmed]
        on_view = _gathers(_screen(warm_app, "overview"))
        for n in range(3):  # a collector's write, then what the app's refresh timer does
            with sqlite3.connect(demo_db) as conn:
                conn.execute(
                    "INSERT INTO samples (series_id, ts, value) VALUES (1, ?, 1.0)",
                    (demo_now - 1 - n,),
                )
            await refreshed(pilot)
        assert on_view and all(not reads for reads in hidden)


async def test_a_warmed_screen_shows_the_moment_rewound_to_after_it_was_read(
    warm_app: WootwatchApp, demo_now: float
) -> None:
    async with warm_app.run_test(size=(120, 40)) as pilot:
        await _warmed(pilot)
        warm_app.rewind(demo_now - 600)
        await refreshed(pilot)
        await _switch(pilot, "3")  # no read asked for but the switch's own
        assert "as of" in warm_app.screen.query_one(ScreenTabs).as_of


async def test_a_switch_back_reads_again_only_after_a_write_or_a_rewind(
    warm_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    async with warm_app.run_test(size=(120, 40)) as pilot:
        await _warmed(pilot)
        reads = _gathers(_screen(warm_app, "sla"))

        def write() -> None:  # a collector's write
            with sqlite3.connect(demo_db) as conn:
                conn.execute(
                    "INSERT INTO samples (series_id, ts, value) VALUES (1, ?, 1.0)",
                    (demo_now - 1,),
                )

        async def switch_back(away: Callable[[], None] = lambda: None) -> int:
            """Switch to the overview, do `away`, switch back: how many reads of the SLA's."""
            await pilot.press("1")
            await refreshed(pilot)
            away()
            await refreshed(pilot)
            seen = len(reads)
            await _switch(pilot, "3")
            return len(reads) - seen

        assert await switch_back() == 0, "nothing written, the clock stopped: shown as read"
        assert await switch_back(write) > 0
        assert await switch_back(lambda: warm_app.rewind(demo_now - 600)) > 0
