"""One key number on one line: a label, its value and a sparkline of its recent past."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from collectors.inert import inert
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


class MetricRow(Widget):
    """`label  value  ▁▂▃▅▇`: a key number and its sparkline, on one line.

    The sparkline is a `SparkLine`: focus it and Enter (or a click) posts
    `SparkLine.Picked`, which the screen turns into the logs of that slot.
    An alarmed number is marked `⚠` and drawn in the error colour.
    """

    DEFAULT_CSS = """
    MetricRow {
        layout: horizontal;
        height: 1;
        width: 1fr;
    }
    MetricRow > .metric-label {
        text-wrap: nowrap;
        text-overflow: ellipsis;
        width: 11;
        color: $text-muted;
    }
    MetricRow > .metric-value {
        text-wrap: nowrap;
        text-overflow: ellipsis;
        width: 8;
        margin-right: 1;
        text-align: right;
        text-style: bold;
    }
    MetricRow.-alarm > .metric-value {
        color: $error;
    }
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
        """Label, value, sparkline."""
        reading = self.reading
        yield Static(_label(reading), classes="metric-label")
        yield Static(_value(reading), classes="metric-value")
        yield SparkLine(reading.values, low=0.0, classes="-alarm" if reading.alarm else None)

    def watch_reading(self, old: MetricReading, reading: MetricReading) -> None:
        """Update only the parts that changed (their widths are fixed: no new layout)."""
        self.set_class(reading.alarm, "-alarm")
        if reading.label != old.label:
            self.query_one(".metric-label", Static).update(_label(reading), layout=False)
        if (reading.value, reading.alarm) != (old.value, old.alarm):
            self.query_one(".metric-value", Static).update(_value(reading), layout=False)
        spark = self.query_one(SparkLine)
        spark.data = reading.values
        spark.set_class(reading.alarm, "-alarm")


def _label(reading: MetricReading) -> Text:
    return Text(inert(reading.label), no_wrap=True, overflow="ellipsis", end="")


def _value(reading: MetricReading) -> Text:
    value = f"{ALARM_MARK} {reading.value}" if reading.alarm else reading.value
    return Text(inert(value), no_wrap=True, overflow="ellipsis", end="")
