"""Key numbers in as many columns as the width allows: two at 80 columns, five at 200."""

from __future__ import annotations

from collections.abc import Sequence

from textual import events
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget

from widgets.metric_row import MetricReading, MetricRow

__all__ = ["MetricGrid"]


class MetricGrid(Widget):
    """`MetricRow`s in a grid whose column count follows the widget's width.

    New readings update the rows in place; rows are mounted or removed only
    when the number of readings changes.
    """

    DEFAULT_CSS = """
    MetricGrid {
        layout: grid;
        grid-size: 2;
        grid-rows: 1;
        grid-gutter: 0 2;
        height: auto;
    }
    """

    GUTTER = 2
    """Cells between two columns (the CSS `grid-gutter`)."""

    readings: reactive[tuple[MetricReading, ...]] = reactive((), init=False)
    """The numbers shown, in reading order (row by row)."""

    def __init__(
        self,
        readings: Sequence[MetricReading] = (),
        *,
        cell_width: int = 36,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the grid.

        Args:
            readings: the numbers to show.
            cell_width: the narrowest a column may get; the grid takes as many
                columns as fit.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.cell_width = cell_width
        """The narrowest a column may get."""
        self.set_reactive(MetricGrid.readings, tuple(readings))

    def compose(self) -> ComposeResult:
        """One row per reading."""
        for reading in self.readings:
            yield MetricRow(reading)

    def columns_for(self, width: int) -> int:
        """How many columns fit in `width` cells."""
        return max(1, (width + self.GUTTER) // (self.cell_width + self.GUTTER))

    def on_resize(self, event: events.Resize) -> None:
        """Take as many columns as fit."""
        columns = self.columns_for(event.size.width)
        if self.styles.grid_size_columns != columns:
            self.styles.grid_size_columns = columns

    def watch_readings(self, readings: tuple[MetricReading, ...]) -> None:
        """Update rows in place; mount or remove only the difference in number."""
        rows = list(self.query_children(MetricRow))
        for row, reading in zip(rows, readings, strict=False):
            row.reading = reading
        if len(readings) > len(rows):
            self.mount_all(MetricRow(reading) for reading in readings[len(rows) :])
        for row in rows[len(readings) :]:
            row.remove()
