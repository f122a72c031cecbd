from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _pilot import after, refreshed
from textual.app import App, ComposeResult
from textual.widgets import Static

from collectors.alerts.book import AlertBook
from collectors.alerts.state import AlertState
from tui.app import WootwatchApp
from tui.data.reader import StoreReader
from tui.panels.base import LivePanel
from tui.screens import SCREENS
from tui.screens.base import LiveScreen


async def test_keys_one_to_seven_switch_between_the_screens(demo_app: WootwatchApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        for key, mode in enumerate(SCREENS.values(), start=1):
            await pilot.press(str(key))
            assert type(demo_app.screen) is mode.screen_class
            assert demo_app.screen.TITLE == mode.TITLE
        await pilot.press("1")
        assert type(demo_app.screen) is SCREENS["overview"].screen_class


async def test_p_pins_the_first_firing_alerts_start_for_every_process(
    demo_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    async with await AlertBook.open(demo_db, readonly=True) as book:
        firing = [a for a in await book.visible(demo_now) if a.state is AlertState.FIRING]
    assert firing, "the recorded demo has firing alerts"
    async with demo_app.run_test() as pilot:
        await refreshed(pilot)
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("enter")  # the suggestion: the first firing alert's start
        await pilot.pause()
        async with await AlertBook.open(demo_db, readonly=True) as other_process:
            assert await other_process.pinned_incident() == min(a.started_at for a in firing)
        await pilot.press("P")
        await pilot.pause()
        async with await AlertBook.open(demo_db, readonly=True) as other_process:
            assert await other_process.pinned_incident() is None


async def test_a_missing_database_ends_the_app_with_one_line(tmp_path: Path) -> None:
    app = WootwatchApp(tmp_path / "nowhere.db")
    async with app.run_test() as pilot:
        await pilot.pause()
    assert app.return_code == 1
    assert app.failure is not None and "no such database" in app.failure


class _Broken(LivePanel[int]):
    async def gather(self, reader: StoreReader) -> int:
        raise ValueError("[bold red]boom\x1b[2J")


class _Counting(LivePanel[int]):
    def compose_body(self) -> ComposeResult:
        yield Static("", id="count")

    async def gather(self, reader: StoreReader) -> int:
        return len(await reader.store.source_statuses())

    def present(self, data: int) -> None:
        self.query_one("#count", Static).update(f"{data} sources")


class _TwoPanels(LiveScreen):
    TITLE = "test"

    def compose_panels(self) -> ComposeResult:
        yield _Broken("broken", id="broken")
        yield _Counting("counting", id="counting")


async def test_a_failing_panel_shows_its_error_and_the_others_still_draw(demo_db: Path) -> None:
    reader = await StoreReader.open(demo_db)
    app: App[None] = App()
    try:
        async with app.run_test() as pilot:
            screen = _TwoPanels()
            await app.push_screen(screen)
            await screen.refresh_from(reader)
            await pilot.pause()
            error = screen.query_one("#broken .panel-error", Static)
            assert error.display
            shown = str(error.render())
            assert "ValueError" in shown and "\x1b" not in shown and "␛[2J" in shown
            assert str(screen.query_one("#count", Static).render()) == "5 sources"
    finally:
        await reader.aclose()


def test_snapshot_overview_without_colour(
    snap_compare: Any, snapshot_demo: tuple[Path, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """NO_COLOR: states, alarms and the tab on view still read (icons, words, brackets)."""
    monkeypatch.setenv("NO_COLOR", "1")
    path, now = snapshot_demo
    app = WootwatchApp(path, clock=lambda: now)
    assert app.no_color
    assert snap_compare(app, terminal_size=(80, 24), run_before=after())


def test_snapshot_alerts_in_the_light_theme(
    snap_compare: Any, snapshot_demo: tuple[Path, float]
) -> None:
    path, now = snapshot_demo
    app = WootwatchApp(path, clock=lambda: now, theme="light")
    assert snap_compare(app, terminal_size=(80, 24), run_before=after("5"))
