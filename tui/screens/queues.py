"""The Queues screen (being built)."""

from __future__ import annotations

from tui.live_screen import LiveScreen

__all__ = ["QueuesScreen"]


class QueuesScreen(LiveScreen):
    """The Queues screen."""

    TITLE = "Queues"
