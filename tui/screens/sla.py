"""The SLA screen (being built)."""

from __future__ import annotations

from tui.live_screen import LiveScreen

__all__ = ["SlaScreen"]


class SlaScreen(LiveScreen):
    """The SLA screen."""

    TITLE = "SLA"
