"""One key number on one line: a label, its value and a sparkline of its recent past."""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from collectors.inert import inert
from widgets.sized import SizedByLayout
from widgets.spark_line import SparkLine

__all__ = ["ALARM_MARK", "MetricReading", "MetricRow"]

ALARM_MARK = "⚠"
"""Put before the value of a number an alert fires on (never colour alone)."""


@dataclass(frozen=True, slots=True)
class MetricReading:
    """What a `MetricRow` shows: plain, comparable data."""

    label: str
    """What the number is, e.g. `API p95` (untrusted: drawn inert)."""
    value: str
    """The number as text, e.g. `5.9s`."""
    values: tuple[float | None, ...] = ()
    """The sparkline's values over its window, oldest first; None is a gap."""
    alarm: bool = False
    """An alert fires on this number."""
    note: str = ""
    """What the number is when it differs from the label, e.g. `p95 5m` for an alert's value."""
    marks: tuple[int, ...] = ()
    """Indices into `values` of the slots an annotation fell in (marked on the sparkline)."""


class _MetricText(SizedByLayout, Static):
    """The label, value and note of a `MetricRow`: a note resizes it and its sparkline once."""


class MetricRow(Widget):
    """`label  value  ▁▂▃▅▇`: a key number and its sparkline, on one line.

    The sparkline is a `SparkLine`: focus it and Enter (or a click) posts
    `SparkLine.Picked`, which the screen turns into the logs of that slot.
    An alarmed number is marked `⚠` and drawn in the error colour; a note
    after it (the alert's statistic and window) says which number it is.
    """

    DEFAULT_CSS = """
    MetricRow {
        layout: horizontal;
        height: 1;
        width: 1fr;
    }
    MetricRow > .metric-row--label {
        color: $text-muted;
    }
    MetricRow > .metric-row--value {
        text-style: bold;
    }
    MetricRow > .metric-row--alarm {
        color: $error;
        text-style: bold;
    }
    MetricRow > .metric-text {
        text-wrap: nowrap;
        width: 20;
    }
    MetricRow > .metric-text.-noted {
        width: auto;
    }
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "metric-row--label",
        "metric-row--value",
        "metric-row--alarm",
    }
    """
    | Class | Description |
    | :- | :- |
    | `metric-row--label` | What the number is. |
    | `metric-row--value` | The number. |
    | `metric-row--alarm` | The number, when an alert fires on it. |
    """

    reading: reactive[MetricReading] = reactive(MetricReading("", ""), init=False, repaint=False)
    """The label, value and sparkline values shown."""

    def __init__(
        self,
        reading: MetricReading,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the row.

        Args:
            reading: what to show.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.set_reactive(MetricRow.reading, reading)
        self.set_class(reading.alarm, "-alarm")

    def compose(self) -> ComposeResult:
        """Label and value in one text (one widget fewer to draw per frame), sparkline."""
        yield _MetricText("", classes="metric-text")
        yield SparkLine(
            self.reading.values,
            low=0.0,
            marks=self.reading.marks,
            classes="-alarm" if self.reading.alarm else None,
        )

    def on_mount(self) -> None:
        """Draw the text once the component styles are known."""
        self._draw_text(self.reading)

    def watch_reading(self, old: MetricReading, reading: MetricReading) -> None:
        """Update only the parts that changed (their widths are fixed: no new layout)."""
        self.set_class(reading.alarm, "-alarm")
        if (reading.label, reading.value, reading.alarm, reading.note) != (
            old.label,
            old.value,
            old.alarm,
            old.note,
        ):
            self._draw_text(reading, relayout=reading.note != old.note)
        spark = self.query_one(SparkLine)
        spark.data = reading.values
        spark.marks = reading.marks
        spark.set_class(reading.alarm, "-alarm")

    def _draw_text(self, reading: MetricReading, *, relayout: bool = False) -> None:
        """Write the text; a note widens it (a new layout only when the note changed)."""
        static = self.query_one(".metric-text", Static)
        static.set_class(bool(reading.note), "-noted")
        static.update(self._text(reading), layout=relayout)

    def _text(self, reading: MetricReading) -> Text:
        """`label      value ` in fixed columns: 11 for the label, 8 for the value."""
        label = _fit(inert(reading.label), _LABEL_WIDTH).ljust(_LABEL_WIDTH)
        value = f"{ALARM_MARK} {reading.value}" if reading.alarm else reading.value
        value = _fit(inert(value), _VALUE_WIDTH).rjust(_VALUE_WIDTH)
        style = "metric-row--alarm" if reading.alarm else "metric-row--value"
        text = Text(no_wrap=True, end="")
        text.append(label, self.get_component_rich_style("metric-row--label"))
        text.append(value, self.get_component_rich_style(style))
        if reading.note:
            muted = self.get_component_rich_style("metric-row--label")
            text.append(f" {inert(reading.note)}", muted)
        text.append(" ")
        return text


_LABEL_WIDTH = 11
_VALUE_WIDTH = 8


def _fit(text: str, width: int) -> str:
    """`text` cut with an ellipsis to at most `width` characters."""
    return text if len(text) <= width else text[: width - 1] + "…"
