"""A number and its recent past on one line: a label, the value now, a mark, a sparkline."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from rich.cells import cell_len
from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from collectors.inert import inert
from widgets.spark_line import SparkLine

__all__ = ["Level", "Reading", "ReadingCell"]

Level = Literal["ok", "warning", "error"]
"""How a value stands against its thresholds."""


@dataclass(frozen=True, slots=True)
class Reading:
    """What a `ReadingCell` shows: plain data, no store handle."""

    text: str
    """The value now, formatted (`412`, `2m20s`, `–` without data)."""
    history: tuple[float | None, ...] = ()
    """The recent values, oldest first, for the sparkline; None is a gap."""
    level: Level = "ok"
    """Past a threshold or not: colours the mark and the sparkline."""
    mark: str = ""
    """An icon and a word saying what is wrong (`▲ deep`), so colour is never alone."""
    notes: tuple[int, ...] = ()
    """Indices into `history` of the slots an annotation fell in (marked on the sparkline)."""


class ReadingCell(Widget):
    """A value with a mark and a sparkline, laid out in one row.

    The sparkline can be picked (`SparkLine.Picked` bubbles up), so a parent
    that knows the window can open the logs of a spike.
    """

    DEFAULT_CSS = """
    ReadingCell {
        layout: horizontal;
        height: 1;
        width: 1fr;
    }
    ReadingCell > .reading-cell--label {
        width: 14;
        color: $text-muted;
    }
    ReadingCell > .reading-cell--value {
        width: 7;
        text-align: right;
        margin-right: 1;
    }
    ReadingCell > .reading-cell--mark {
        width: auto;
        margin-right: 1;
    }
    ReadingCell > .reading-cell--mark.-warning {
        color: $warning;
    }
    ReadingCell > .reading-cell--mark.-error {
        color: $error;
        text-style: bold;
    }
    """

    reading: reactive[Reading] = reactive(Reading("–"), init=False)
    """What the cell shows; setting an equal reading changes nothing."""

    def __init__(
        self,
        reading: Reading | None = None,
        *,
        label: str | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the cell.

        Args:
            reading: what to show first.
            label: a fixed label before the value, or None for none.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._label = label
        if reading is not None:
            self.set_reactive(ReadingCell.reading, reading)

    def compose(self) -> ComposeResult:
        """Label, value, mark and sparkline."""
        reading = self.reading
        if self._label is not None:
            yield Static(Text(inert(self._label)), classes="reading-cell--label")
        # Kept: a rewound step updates every cell, a query per part each time added up.
        self._value_part = Static(Text(inert(reading.text)), classes="reading-cell--value")
        self._mark_part = Static(
            Text(inert(reading.mark)), classes=f"reading-cell--mark -{reading.level}"
        )
        self._spark_part = SparkLine(reading.history, low=0.0, marks=reading.notes)
        self._spark_part.set_class(reading.level != "ok", "-alarm")
        yield from (self._value_part, self._mark_part, self._spark_part)

    def watch_reading(self, old: Reading, reading: Reading) -> None:
        """Update the parts that changed, in place.

        The value's width is fixed, so a new value needs no layout (a layout
        reflows the whole screen: a rewound step changes every cell); the mark
        sizes to its text, so it needs one only when its width changes.
        """
        if reading.text != old.text:
            self._value_part.update(Text(inert(reading.text)), layout=False)
        mark = self._mark_part
        if reading.mark != old.mark:
            resized = cell_len(inert(reading.mark)) != cell_len(inert(old.mark))
            mark.update(Text(inert(reading.mark)), layout=resized)
        for level in ("ok", "warning", "error"):
            mark.set_class(level == reading.level, f"-{level}")
        spark = self._spark_part
        spark.data = reading.history
        spark.marks = reading.notes
        spark.set_class(reading.level != "ok", "-alarm")
