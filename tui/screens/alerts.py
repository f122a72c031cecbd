"""The Alerts screen (being built)."""

from __future__ import annotations

from tui.live_screen import LiveScreen

__all__ = ["AlertsScreen"]


class AlertsScreen(LiveScreen):
    """The Alerts screen."""

    TITLE = "Alerts"
