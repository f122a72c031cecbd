"""The Incident screen (being built)."""

from __future__ import annotations

from tui.live_screen import LiveScreen

__all__ = ["IncidentScreen"]


class IncidentScreen(LiveScreen):
    """The Incident screen."""

    TITLE = "Incident"
