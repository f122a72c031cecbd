"""The base of every wootwatch screen: a tab bar, live panels, the footer.

The tab bar names the app's modes (`App.MODES`, the registry
`tui.screens.SCREENS` in key order) by key (`1 Overview  2 Latency …`) with
the one on view marked; the footer (`KeyFooter`) starts with the keys that
work everywhere (`?` keys, `q` quit, `1234567` screens), then the screen's own. A `LiveScreen`
is refreshed by the app (`WootwatchApp.refresh_now`) while it is on view:
the tab bar's status first (the database, the minute of the last read), the
warning when no collector is writing the database, then each `LivePanel`.
"""

from __future__ import annotations

import contextlib
import time
from typing import ClassVar

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Static

from collectors.inert import inert
from tui.data.reader import StoreReader
from tui.panels.base import LivePanel
from widgets.key_footer import KeyFooter
from widgets.screen_tabs import ScreenTabs

__all__ = ["LiveScreen"]

NO_WRITER = "⚠ no collector is writing this database: what you see is as of its last write"


class LiveScreen(Screen[None]):
    """A screen of live panels; subclasses compose them in `compose_panels`."""

    TITLE: ClassVar[str] = ""
    """The screen's name in the top bar and the footer."""
    _warning: str = NO_WRITER
    """The text the writer warning shows (no collector, or the collector's writes failing)."""

    def compose(self) -> ComposeResult:
        """Tab bar, the screen's panels, footer."""
        modes = self.app.MODES  # the app's registry, in key order: a screen never imports it
        tabs = [
            (mode, str(key), getattr(screen, "TITLE", None) or mode)
            for key, (mode, screen) in enumerate(modes.items(), start=1)
        ]
        current = next((mode for mode, screen in modes.items() if screen is type(self)), "")
        yield ScreenTabs(tabs, current, id="top-bar")
        yield Static(NO_WRITER, id="writer-warning", markup=False)
        yield from self.compose_panels()
        yield KeyFooter()

    def compose_panels(self) -> ComposeResult:
        """The screen's panels and widgets."""
        yield from ()

    def on_screen_tabs_chosen(self, event: ScreenTabs.Chosen) -> None:
        """A click on a tab switches to that screen."""
        self.app.switch_mode(event.name)

    def on_screen_resume(self) -> None:
        """Read the store at once when the screen comes into view."""
        refresh_now = getattr(self.app, "refresh_now", None)
        if refresh_now is not None:
            refresh_now()

    async def refresh_from(self, reader: StoreReader) -> None:
        """Read every live panel, then draw the tab bar, the warning and the panels at once.

        Drawing in one batch makes a refresh one frame: each frame re-renders
        every widget under a changed region, which is most of a refresh's CPU.
        Reading happens outside the batch, so a slow read never freezes the keys.
        """
        panels = list(self.query(LivePanel))
        async with contextlib.AsyncExitStack() as turns:
            reads = []
            for panel in panels:
                await turns.enter_async_context(panel.turn)
                reads.append(await panel.read(reader))
            writing = reader.store.has_writer()
            trouble = reader.store.writer_health().describe(reader.now()) if writing else None
            # To the minute: a clock ticking on the top line every refresh would
            # make every frame span the whole screen (Textual redraws the box
            # around all changed regions), for a figure the badges give better.
            stamp = time.strftime("%H:%M", time.localtime(reader.now()))
            with self.app.batch_update():
                self.query_one(ScreenTabs).status = f"{inert(reader.path.name)} · {stamp}"
                warning = self.query_one("#writer-warning", Static)
                text = trouble or NO_WRITER
                if text != self._warning:
                    self._warning = text
                    warning.update(text)
                warning.set_class(trouble is not None or not writing, "shown")
                for panel, read in zip(panels, reads, strict=True):
                    panel.show(read)
