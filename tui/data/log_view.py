"""What the logs screen is asked to show: a query, a time window and whether to follow.

The state is plain and lives apart from the widgets, so a window picked on
another screen (`ShowLogs`) can be handed over before the logs screen has
mounted. Every change that needs the lines read again from scratch bumps
`generation`; a read started before the change is then dropped.

The window is either live, the last `range` seconds up to now (15m, 1h, 6h or
24h, cycled with `cycle_range`), or a fixed window picked on a chart (a
"spike"), kept until the range is changed or the spike is cleared. Follow
mode applies to a live window of the cache only: a spike's window is in the
past, and a CloudWatch search runs once per Enter.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Final

__all__ = ["RANGES", "LogView"]

RANGES: Final = (("15m", 900.0), ("1h", 3600.0), ("6h", 21600.0), ("24h", 86400.0))
"""The live windows `r` cycles through: label and seconds."""


@dataclass
class LogView:
    """The query, the window and follow mode of the logs screen."""

    query: str = ""
    """An FTS5 query; empty shows the newest lines."""
    range_index: int = 1
    """Which of `RANGES` the live window spans (default 1h)."""
    spike: tuple[float, float] | None = None
    """A fixed window `(start, end)` picked on a chart, or None for the live window."""
    follow: bool = True
    """Append new lines as they arrive (in a live window)."""
    remote: bool = False
    """Search CloudWatch with a filter pattern instead of the local cache."""
    generation: int = 0
    """Bumped by every change that needs the lines read again from scratch."""

    @property
    def following(self) -> bool:
        """Whether new lines are appended: follow mode on, in a live window of the cache."""
        return self.follow and self.spike is None and not self.remote

    def bounds(self, now: float) -> tuple[float, float | None]:
        """The window to read: `(start, end)`, end None for a live window (up to now)."""
        if self.spike is not None:
            return self.spike
        return now - RANGES[self.range_index][1], None

    def window_label(self) -> str:
        """`last 1h`, or `09:47–09:48 (from a spike)` for a picked window."""
        if self.spike is None:
            return f"last {RANGES[self.range_index][0]}"
        start, end = (time.strftime("%H:%M", time.localtime(t)) for t in self.spike)
        return f"{start}–{end} (from a spike)"

    def search(self, query: str) -> None:
        """Run `query` (empty: the newest lines) over the same window."""
        self.query = query.strip()
        self.generation += 1

    def cycle_range(self) -> None:
        """The next live range (15m → 1h → 6h → 24h → 15m); leaves a spike's window."""
        self.range_index = (self.range_index + 1) % len(RANGES)
        self.spike = None
        self.generation += 1

    def show_spike(self, start: float, end: float, query: str | None = None) -> str:
        """Show the fixed window `[start, end)` with `query`, or every line of it.

        A search typed before is cleared: its matches in another window are not
        what a jump to a spike asks for. Returns the query cleared ("" for none),
        for the notice that says so.
        """
        cleared = self.query if query is None else ""
        self.spike = (start, end)
        self.query = (query or "").strip()
        self.generation += 1
        return cleared

    def clear_spike(self) -> None:
        """Back to the live window of the current range."""
        self.spike = None
        self.generation += 1

    def toggle_remote(self) -> None:
        """Switch between the local cache (FTS5) and CloudWatch (a filter pattern)."""
        self.remote = not self.remote
        self.generation += 1

    def toggle_follow(self) -> None:
        """Follow on or off; from a spike's window or CloudWatch, back to the live cache."""
        if self.spike is not None or self.remote:
            self.spike = None
            self.remote = False
            self.follow = True
            self.generation += 1
        else:
            self.follow = not self.follow
