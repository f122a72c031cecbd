"""The Overview screen (being built)."""

from __future__ import annotations

from tui.live_screen import LiveScreen

__all__ = ["OverviewScreen"]


class OverviewScreen(LiveScreen):
    """The Overview screen."""

    TITLE = "Overview"
