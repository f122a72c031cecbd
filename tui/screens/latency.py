"""The Latency screen (being built)."""

from __future__ import annotations

from tui.live_screen import LiveScreen

__all__ = ["LatencyScreen"]


class LatencyScreen(LiveScreen):
    """The Latency screen."""

    TITLE = "Latency"
