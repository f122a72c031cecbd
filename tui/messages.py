"""App-level messages: what one screen asks of another, through the app."""

from __future__ import annotations

from dataclasses import dataclass

from textual.message import Message

__all__ = ["RewindTo", "ShowLogs"]


@dataclass
class ShowLogs(Message):
    """Open the logs screen on a time window, e.g. a spike picked on a chart."""

    start: float
    """Unix time the window starts."""
    end: float
    """Unix time the window ends."""
    query: str | None = None
    """A query to run, or None for every line of the window (a search typed before is cleared)."""

    @property
    def window(self) -> tuple[float, float]:
        """`(start, end)`."""
        return self.start, self.end


@dataclass
class RewindTo(Message):
    """Show every screen as of a moment of the recording (None: back to live)."""

    moment: float | None
    """Unix time to read the store as of, or None for now."""
