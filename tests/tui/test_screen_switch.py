"""Switching screens: styles still right without Textual's full restyle, and one frame.

A screen coming back into view skips Textual's restyle of every node when
nothing its styles depend on moved while it was away (`tui.screens.restyle`);
these tests change what can move (the theme, focus, the app's focus) while a
screen is away and check that it comes back styled as a full restyle would
style it. A switch's frame hold ends once the screen has drawn its read. The
terminal's app freezes what a screen's first view leaves alive out of later
garbage collections.
"""

from __future__ import annotations

import asyncio
import gc
from pathlib import Path
from typing import ClassVar

from _pilot import refreshed
from textual import events
from textual.app import App, ComposeResult
from textual.dom import DOMNode
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Button, DataTable, Static

from tui.app import WootwatchApp
from tui.data.reader import StoreReader
from tui.panels.base import LivePanel
from tui.screens.base import LiveScreen
from widgets.screen_tabs import ScreenTabs

Styles = list[tuple[DOMNode, str, dict[str, str]]]


def _styles(screen: Screen[object]) -> Styles:
    """Every node's computed styles, its component classes' too."""
    return [
        (
            node,
            node.styles.css,
            {
                name: node.get_component_styles(name).css
                for name in sorted(getattr(type(node), "COMPONENT_CLASSES", ()))
            },
        )
        for node in screen.walk_children(with_self=True)
    ]


def _restyled(app: App[object], screen: Screen[object]) -> Styles:
    """What a full restyle of `screen` gives (what Textual does on every switch)."""
    app.stylesheet.update_nodes(screen.walk_children(with_self=True), animate=False)
    return _styles(screen)


async def _switch(pilot: Pilot[object], key: str) -> None:
    await pilot.press(key)
    await refreshed(pilot)


async def test_a_screen_back_after_a_theme_change_has_the_new_themes_styles(
    demo_app: WootwatchApp,
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        await _switch(pilot, "2")  # latency: a table, panels, a chart
        before = _styles(demo_app.screen)
        await _switch(pilot, "5")
        demo_app.theme = "wootwatch-light"
        await pilot.pause()
        await _switch(pilot, "2")
        shown = _styles(demo_app.screen)
        assert shown != before
        assert shown == _restyled(demo_app, demo_app.screen)


async def test_a_focused_table_comes_back_focused_in_its_highlighted_panel(
    demo_app: WootwatchApp,
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        await _switch(pilot, "2")
        latency = demo_app.screen
        table = latency.query_one(DataTable)
        latency.set_focus(table)
        await _switch(pilot, "1")
        await _switch(pilot, "2")
        panel = next(p for p in latency.query(LivePanel) if table in p.query(DataTable))
        assert latency.focused is table and panel.has_pseudo_class("focus-within")
        assert _styles(latency) == _restyled(demo_app, latency)


async def test_every_screen_comes_back_styled_as_a_full_restyle_would(
    demo_app: WootwatchApp,
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        for key in "23456712":
            await _switch(pilot, key)
        for key in "3456712":
            await _switch(pilot, key)
            assert _styles(demo_app.screen) == _restyled(demo_app, demo_app.screen), key


# ------------------------------------------------------------------ the app's focus


class _Marked(LiveScreen):
    TITLE = "marked"

    def compose_panels(self) -> ComposeResult:
        yield Static("mark", id="mark")
        yield Button("one", id="one")
        yield Button("two", id="two")


class _Other(LiveScreen):
    TITLE = "other"


class _BlurApp(App[None]):
    """Two screens; the mark turns red while the app has lost the terminal's focus."""

    CSS = "App:blur #mark { color: red; } #mark { color: green; } Button:focus { color: blue; }"
    MODES: ClassVar = {"marked": _Marked, "other": _Other}
    DEFAULT_MODE = "marked"


def _mark_colour(app: App[object]) -> str:
    return app.get_screen_stack("marked")[0].query_one("#mark").styles.color.hex


async def test_a_screen_away_while_the_app_lost_focus_comes_back_blurred() -> None:
    app = _BlurApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        assert _mark_colour(app) == "#008000"
        app.switch_mode("other")
        await pilot.pause()
        app.post_message(events.AppBlur())
        await pilot.pause()
        app.switch_mode("marked")
        await pilot.pause()
        assert _mark_colour(app) == "#FF0000"


async def test_a_node_restyled_while_away_and_blurred_is_right_when_focus_is_back() -> None:
    app = _BlurApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        app.switch_mode("other")
        await pilot.pause()
        app.post_message(events.AppBlur())
        await pilot.pause()
        marked = app.get_screen_stack("marked")[0]
        marked.query_one("#mark").add_class("seen")  # styled now, under App:blur
        assert _mark_colour(app) == "#FF0000"
        app.post_message(events.AppFocus())
        await pilot.pause()
        app.switch_mode("marked")
        await pilot.pause()
        assert _mark_colour(app) == "#008000"


async def test_focus_moved_on_a_screen_away_shows_when_it_comes_back() -> None:
    app = _BlurApp()
    async with app.run_test() as pilot:
        await pilot.pause()
        marked = app.screen
        marked.set_focus(marked.query_one("#one"))
        await pilot.pause()
        app.switch_mode("other")
        await pilot.pause()
        marked.set_focus(marked.query_one("#two"))
        await pilot.pause()
        app.switch_mode("marked")
        await pilot.pause()
        one, two = marked.query_one("#one"), marked.query_one("#two")
        assert two.has_focus and two.styles.color.hex == "#0000FF"
        assert one.styles.color.hex != "#0000FF"
        assert _styles(marked) == _restyled(app, marked)


# ------------------------------------------------------------------ one frame


async def test_a_transitions_frame_hold_ends_once_the_screen_has_drawn_its_read(
    demo_app: WootwatchApp,
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        demo_app.delay_update(3600.0)  # Textual would hold the frames for an hour
        assert demo_app._batch_count == 1
        await refreshed(pilot)
        assert demo_app._batch_count == 0, "frames are drawn again"


# ------------------------------------------------------------------ garbage collection


async def test_a_screens_first_view_freezes_what_survives_out_of_later_collections(
    demo_db: Path, demo_now: float
) -> None:
    app = WootwatchApp(demo_db, clock=lambda: demo_now, freeze_gc=True)
    try:
        async with app.run_test(size=(120, 40)) as pilot:
            await refreshed(pilot)
            await pilot.pause()
            first = gc.get_freeze_count()
            assert first > 0
            await _switch(pilot, "2")
            await pilot.pause()
            assert gc.get_freeze_count() > first
    finally:
        gc.unfreeze()


async def test_an_app_without_freeze_gc_leaves_the_collector_alone(
    demo_app: WootwatchApp,
) -> None:
    gc.unfreeze()
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        await _switch(pilot, "2")
        await pilot.pause()
        assert gc.get_freeze_count() == 0


async def test_a_screen_switched_to_during_a_read_of_the_one_left_is_read_too(
    demo_app: WootwatchApp,
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        overview = demo_app.screen
        panel = overview.query(LivePanel).first()
        async with panel.turn:  # the overview's read waits here, still running
            demo_app.refresh_now()
            await pilot.pause()
            assert demo_app.refreshing
            demo_app.switch_mode("sla")
            await pilot.pause()
        sla = demo_app.screen
        assert sla is not overview
        for _ in range(200):
            await pilot.pause(0.02)
            if not demo_app.refreshing:
                break
        assert sla.query_one(ScreenTabs).status.startswith("demo.db")


# ------------------------------------------------------------------ reading the panels


class _Waits(LivePanel[str]):
    """Reads only once the other panel has begun reading."""

    async def gather(self, reader: StoreReader) -> str:
        screen = self.screen
        assert isinstance(screen, _TwoReads)
        await asyncio.wait_for(screen.begun.wait(), timeout=5.0)
        return "read"

    def present(self, data: str) -> None:
        self.border_title = data


class _Begins(LivePanel[str]):
    async def gather(self, reader: StoreReader) -> str:
        screen = self.screen
        assert isinstance(screen, _TwoReads)
        screen.begun.set()
        return "read"

    def present(self, data: str) -> None:
        self.border_title = data


class _TwoReads(LiveScreen):
    TITLE = "two reads"

    def __init__(self) -> None:
        super().__init__()
        self.begun = asyncio.Event()

    def compose_panels(self) -> ComposeResult:
        yield _Waits("waits", id="waits")
        yield _Begins("begins", id="begins")


async def test_a_screens_panels_read_together_not_one_after_another(demo_db: Path) -> None:
    """The first panel waits for the second to begin: read one after another, it fails."""
    reader = await StoreReader.open(demo_db)
    app: App[None] = App()
    try:
        async with app.run_test() as pilot:
            screen = _TwoReads()
            await app.push_screen(screen)
            await screen.refresh_from(reader)
            await pilot.pause()
            assert [p.border_title for p in screen.query(LivePanel)] == ["read", "read"]
    finally:
        await reader.aclose()


async def test_a_refresh_reaching_a_screen_before_it_is_composed_waits_for_the_next(
    demo_app: WootwatchApp,
) -> None:
    """No "Background task failed … NoMatches 'ScreenTabs'" notice on a switch.

    `switch_mode` puts a new screen on view before its widgets are mounted, so
    the refresh loop can reach it with no tab bar yet (seen once in a full run,
    on the incident view). That refresh draws nothing; the screen's own resume
    reads it once it is built.
    """
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        unbuilt = demo_app.MODES["incident"]()
        await unbuilt.refresh_from(demo_app.reader)
        assert not unbuilt.children
        await pilot.press("7")
        await refreshed(pilot)
        assert demo_app.reader.path.name in str(demo_app.screen.query_one(ScreenTabs).status)
