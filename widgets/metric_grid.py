"""Key numbers in as many equal columns as the width allows: two at 80 columns, five at 200."""

from __future__ import annotations

from collections.abc import Sequence

from textual.app import ComposeResult
from textual.containers import ItemGrid
from textual.reactive import reactive

from widgets.metric_row import MetricReading, MetricRow

__all__ = ["MetricGrid"]


class MetricGrid(ItemGrid):
    """`MetricRow`s in equal cells, as many columns as fit, aligned with other grids.

    Every cell is `cell_width` wide whatever the width of the grid, so two
    grids one above the other (two sources) line up column by column and
    their sparklines are equally long. New readings update the rows in
    place; rows are mounted or removed only when their number changes.
    """

    DEFAULT_CSS = """
    MetricGrid {
        grid-rows: 1;
    }
    MetricGrid > MetricRow {
        margin-right: 2;
    }
    """

    readings: reactive[tuple[MetricReading, ...]] = reactive((), init=False, repaint=False)
    """The numbers shown, in reading order (row by row)."""

    def __init__(
        self,
        readings: Sequence[MetricReading] = (),
        *,
        cell_width: int = 38,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the grid.

        Args:
            readings: the numbers to show.
            cell_width: the width of a cell, with the 2-cell gap after it.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(
            name=name,
            id=id,
            classes=classes,
            disabled=disabled,
            min_column_width=cell_width,
            max_column_width=cell_width,
            stretch_height=False,
        )
        self.set_reactive(MetricGrid.readings, tuple(readings))

    def compose(self) -> ComposeResult:
        """One row per reading."""
        for reading in self.readings:
            yield MetricRow(reading)

    def watch_readings(self, readings: tuple[MetricReading, ...]) -> None:
        """Update rows in place; mount or remove only the difference in number."""
        rows = list(self.query_children(MetricRow))
        for row, reading in zip(rows, readings, strict=False):
            row.reading = reading
        if len(readings) > len(rows):
            self.mount_all(MetricRow(reading) for reading in readings[len(rows) :])
        for row in rows[len(readings) :]:
            row.remove()
