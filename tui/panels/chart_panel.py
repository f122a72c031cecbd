"""A live panel of sparklines over one time window; a picked slot opens the logs of that slot.

The slots that hold an annotation (`tui.data.timeline`) are marked on its sparklines
(a note about a source only on that source's).
"""

from __future__ import annotations

import math
from typing import TypeVar

from textual import on

from tui.data.reader import StoreReader
from tui.data.timeline import NoteMarks, annotation_marks
from tui.messages import ShowLogs
from tui.panels.base import LivePanel
from widgets.spark_line import SparkLine

__all__ = ["ChartPanel"]

T = TypeVar("T")

_LAYOUT_FRAMES = 20
"""At most this many screen refreshes waited for new sparklines to be laid out."""


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

    async def chart_window(self, now: float, span: float) -> tuple[tuple[float, float], int]:
        """The window of `span` seconds to draw at `now`, and the points to read in it.

        The slots are fixed in time (the window ends with the slot that holds
        `now`), so from one refresh to the next only the newest slot changes,
        and only its cell is redrawn. Sparklines mounted but not laid out yet
        (width 0) are waited for first: a read must not depend on whether
        Textual's layout has run.
        """
        await self._laid_out()
        return self.window_at(now, span)

    def window_at(self, now: float, span: float) -> tuple[tuple[float, float], int]:
        """`chart_window` as laid out now, without waiting: whether the window has moved."""
        points = self.spark_points(span)
        step = span / points
        end = (math.floor(now / step) + 1) * step
        return (end - span, end), points

    async def note_marks(
        self, reader: StoreReader, window: tuple[float, float], points: int
    ) -> NoteMarks:
        """The annotations of `window` (cut into `points`), to mark on each source's sparklines."""
        return await annotation_marks(reader.book, reader.store, *window, points)

    def spark_points(self, span: float, default: int = 30) -> int:
        """Points to read per sparkline of `span` seconds: one a cell, at most one a minute.

        One point per cell draws what was read, never a resampled peak that
        could hide a dip; at most one a minute keeps reads on the rollups,
        without gaps between polls that come less often than the slots.
        """
        cells = max((spark.size.width for spark in self._sparks()), default=0)
        return max(1, min(cells or default, int(span // 60)))

    def laid_out(self) -> bool:
        """Whether every sparkline has its width (a hidden panel has none to wait for)."""
        return self.size.width == 0 or all(s.size.width for s in self._sparks())

    async def _laid_out(self) -> None:
        for _ in range(_LAYOUT_FRAMES):
            if self.laid_out():
                return
            if not await self.screen.wait_for_refresh():
                return  # called from the screen's own task: waiting would block it

    def _sparks(self) -> list[SparkLine]:
        # A walk, not `query`: a CSS query matches a selector against every node,
        # and this runs twice on every refresh over a panel of a hundred widgets.
        return list(self.walk_children(SparkLine))

    @on(SparkLine.Picked)
    def _open_logs(self, event: SparkLine.Picked) -> None:
        event.stop()
        start, end = self.window
        span = end - start
        self.post_message(ShowLogs(start + event.start * span, start + event.end * span))
