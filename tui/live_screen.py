"""The base of every wootwatch screen: a top bar, live panels, the footer.

A `LiveScreen` is refreshed by the app (`WootwatchApp.refresh_now`) while it
is on view: the top bar first (which database, whether a collector is writing
it, when the screen last read it), then each `LivePanel` in turn.
"""

from __future__ import annotations

import time
from typing import ClassVar

from textual.app import ComposeResult
from textual.screen import Screen
from textual.widgets import Footer, Static

from collectors.inert import inert
from tui.live_panel import LivePanel
from tui.reader import StoreReader

__all__ = ["LiveScreen"]

NO_WRITER = "⚠ no collector is writing this database: what you see is as of its last write"


class LiveScreen(Screen[None]):
    """A screen of live panels; subclasses compose them in `compose_panels`."""

    TITLE: ClassVar[str] = ""
    """The screen's name in the top bar and the footer."""

    def compose(self) -> ComposeResult:
        """Top bar, the screen's panels, footer."""
        yield Static("", id="top-bar", markup=False)
        yield Static(NO_WRITER, id="writer-warning", markup=False)
        yield from self.compose_panels()
        yield Footer()

    def compose_panels(self) -> ComposeResult:
        """The screen's panels and widgets."""
        yield from ()

    def on_screen_resume(self) -> None:
        """Read the store at once when the screen comes into view."""
        refresh_now = getattr(self.app, "refresh_now", None)
        if refresh_now is not None:
            refresh_now()

    async def refresh_from(self, reader: StoreReader) -> None:
        """Update the top bar, then every live panel of the screen."""
        now = reader.now()
        stamp = time.strftime("%H:%M:%S", time.localtime(now))
        self.query_one("#top-bar", Static).update(
            f"wootwatch · {self.TITLE} · {inert(str(reader.path))} · read {stamp}"
        )
        self.query_one("#writer-warning", Static).set_class(not reader.store.has_writer(), "shown")
        for panel in self.query(LivePanel):
            await panel.refresh_from(reader)
