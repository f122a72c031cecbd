"""One queue on one line: its name, its depth and wait (now, marked, sparkline), a detail."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from collectors.inert import inert
from widgets.reading_cell import Reading, ReadingCell

__all__ = ["QueueHeader", "QueueLine", "QueueRow"]

_SHARED_CSS = """
{row} {{
    layout: horizontal;
    height: 1;
}}
{row} > .queue-row--name {{
    width: 16;
    margin-right: 1;
    text-wrap: nowrap;
    text-overflow: ellipsis;
}}
{row} > .queue-row--detail {{
    width: 12;
    text-align: right;
}}
"""


@dataclass(frozen=True, slots=True)
class QueueLine:
    """What a `QueueRow` shows: plain data, no store handle."""

    name: str
    """The queue's name (untrusted: shown inert)."""
    depth: Reading
    """How many jobs or messages wait, now and over the window."""
    wait: Reading
    """How long the oldest has waited, now and over the window."""
    detail: str | None = None
    """A last column (SQS: in flight and delayed), or None for none."""
    source: str = ""
    """The sources writing the queue, space-separated: `/` finds it by them too."""


class QueueRow(Widget):
    """A queue's depth and wait side by side, each with its sparkline.

    Marks keep a fixed width so the sparklines of stacked rows line up.
    """

    DEFAULT_CSS = (
        _SHARED_CSS.format(row="QueueRow")
        + """
    QueueRow.-total > .queue-row--name {
        text-style: bold;
    }
    QueueRow ReadingCell > .reading-cell--mark {
        width: 6;
    }
    """
    )

    line: reactive[QueueLine] = reactive(QueueLine("", Reading("–"), Reading("–")), init=False)
    """What the row shows; setting an equal line changes nothing."""

    def __init__(
        self,
        line: QueueLine,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the row.

        Args:
            line: what to show first.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.set_reactive(QueueRow.line, line)

    def compose(self) -> ComposeResult:
        """Name, depth, wait and the detail column."""
        line = self.line
        # Kept: a rewound step updates every row, a query per part each time added up.
        self._queue_name = Static(Text(inert(line.name), no_wrap=True), classes="queue-row--name")
        self._depth_cell = ReadingCell(line.depth, classes="queue-row--depth")
        self._wait_cell = ReadingCell(line.wait, classes="queue-row--wait")
        self._detail_part = Static(Text(inert(line.detail or "")), classes="queue-row--detail")
        self._detail_part.display = line.detail is not None
        yield from (self._queue_name, self._depth_cell, self._wait_cell, self._detail_part)

    def watch_line(self, old: QueueLine, line: QueueLine) -> None:
        """Update the parts that changed, in place.

        The name and detail columns have fixed widths: no layout, which would
        reflow the whole screen.
        """
        if line.name != old.name:
            self._queue_name.update(Text(inert(line.name), no_wrap=True), layout=False)
        self._depth_cell.reading = line.depth
        self._wait_cell.reading = line.wait
        if line.detail != old.detail:
            self._detail_part.update(Text(inert(line.detail or "")), layout=False)
        self._detail_part.display = line.detail is not None


class QueueHeader(Widget):
    """Column titles that line up with the `QueueRow`s below them.

    Args:
        name_title: the first column's title.
        depth_title: the depth column's title.
        wait_title: the wait column's title.
        detail_title: the detail column's title, or None without that column.
    """

    DEFAULT_CSS = (
        _SHARED_CSS.format(row="QueueHeader")
        + """
    QueueHeader {
        color: $text-muted;
    }
    QueueHeader > .queue-row--column {
        width: 1fr;
    }
    """
    )

    def __init__(
        self,
        name_title: str,
        depth_title: str,
        wait_title: str,
        detail_title: str | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._titles = (name_title, depth_title, wait_title, detail_title)

    def compose(self) -> ComposeResult:
        """One title per column."""
        name_title, depth_title, wait_title, detail_title = self._titles
        yield Static(name_title, classes="queue-row--name", markup=False)
        yield Static(depth_title, classes="queue-row--column", markup=False)
        yield Static(wait_title, classes="queue-row--column", markup=False)
        if detail_title is not None:
            yield Static(detail_title, classes="queue-row--detail", markup=False)
