"""A live panel of sparklines over one time window; a picked slot opens the logs of that slot."""

from __future__ import annotations

import math
from typing import TypeVar

from textual import on

from tui.live_panel import LivePanel
from tui.messages import ShowLogs
from widgets.spark_line import SparkLine

__all__ = ["ChartPanel"]

T = TypeVar("T")


class ChartPanel(LivePanel[T]):
    """A `LivePanel` whose `SparkLine`s all draw `window`; a pick posts `ShowLogs`.

    Subclasses set `window` in `present`, with the data drawn.

    Args:
        title: the border title.
    """

    def __init__(self, title: str = "", *, id: str | None = None) -> None:
        super().__init__(title, id=id)
        self.window = (0.0, 0.0)
        """The sparklines' time window (unix times), as last drawn."""

    def chart_window(self, now: float, span: float) -> tuple[tuple[float, float], int]:
        """The window of `span` seconds to draw at `now`, and the points to read in it.

        The slots are fixed in time (the window ends with the slot that holds
        `now`), so from one refresh to the next only the newest slot changes,
        and only its cell is redrawn.
        """
        points = self.spark_points(span)
        step = span / points
        end = (math.floor(now / step) + 1) * step
        return (end - span, end), points

    def spark_points(self, span: float, default: int = 30) -> int:
        """Points to read per sparkline of `span` seconds: one a cell, at most one a minute.

        One point per cell draws what was read, never a resampled peak that
        could hide a dip; at most one a minute keeps reads on the rollups,
        without gaps between polls that come less often than the slots.
        """
        cells = max((spark.size.width for spark in self.query(SparkLine)), default=0)
        return max(1, min(cells or default, int(span // 60)))

    @on(SparkLine.Picked)
    def _open_logs(self, event: SparkLine.Picked) -> None:
        event.stop()
        start, end = self.window
        span = end - start
        self.post_message(ShowLogs(start + event.start * span, start + event.end * span))
