"""The Logs screen (being built)."""

from __future__ import annotations

from tui.live_screen import LiveScreen

__all__ = ["LogsScreen"]


class LogsScreen(LiveScreen):
    """The Logs screen."""

    TITLE = "Logs"
