"""One source on the overview: name, state badge, last error, key numbers with sparklines."""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.reactive import reactive
from textual.widget import Widget
from textual.widgets import Static

from collectors.inert import inert
from widgets.metric_grid import MetricGrid
from widgets.metric_row import MetricReading
from widgets.state_badge import StateBadge

__all__ = ["SourceRow", "SourceView"]


@dataclass(frozen=True, slots=True)
class SourceView:
    """What a `SourceRow` shows: plain, comparable data."""

    source: str
    """The source's name (untrusted: drawn inert)."""
    state: str
    """`ok`, `stale`, `down` or `no data`."""
    age: float | None
    """Seconds since the source last updated; None: never."""
    detail: str = ""
    """The last error of a stale or down source, or a collector's note (untrusted)."""
    metrics: tuple[MetricReading, ...] = ()
    """The source's key numbers."""


class SourceRow(Widget):
    """A source's name, `StateBadge` and one-line error, then its key numbers in a `MetricGrid`.

    The error line is the collector's own one-line message, drawn inert: a
    name or message holding escape sequences or markup shows as text.
    """

    DEFAULT_CSS = """
    SourceRow {
        height: auto;
    }
    SourceRow > .source-head {
        height: 1;
    }
    SourceRow .source-name {
        text-wrap: nowrap;
        text-overflow: ellipsis;
        width: 15;
        margin-right: 1;
        text-style: bold;
    }
    SourceRow .source-detail {
        text-wrap: nowrap;
        text-overflow: ellipsis;
        width: 1fr;
        margin-left: 2;
        color: $text-muted;
    }
    SourceRow .source-detail.-stale {
        color: $warning;
    }
    SourceRow .source-detail.-down {
        color: $error;
    }
    SourceRow .source-detail.-no-data {
        color: $warning;
    }
    SourceRow > MetricGrid {
        padding-left: 2;
    }
    """

    view: reactive[SourceView] = reactive(SourceView("", "ok", None), init=False, repaint=False)
    """What the row shows."""

    def __init__(
        self,
        view: SourceView,
        *,
        cell_width: int = 36,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the row.

        Args:
            view: what to show.
            cell_width: the width of a cell of the numbers' grid, with its gap.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._cell_width = cell_width
        self.set_reactive(SourceRow.view, view)

    def compose(self) -> ComposeResult:
        """Header line, then the numbers."""
        view = self.view
        with Horizontal(classes="source-head"):
            yield Static(_one_line(view.source), classes="source-name")
            yield StateBadge(view.state, age=view.age)
            yield Static(
                _one_line(view.detail), classes=f"source-detail {_state_class(view.state)}"
            )
        yield MetricGrid(view.metrics, cell_width=self._cell_width)

    def watch_view(self, old: SourceView, view: SourceView) -> None:
        """Update only the parts of the row that changed."""
        detail = self.query_one(".source-detail", Static)
        if view.state != old.state:
            _show_state(detail, view.state)
        if view.source != old.source:
            self.query_one(".source-name", Static).update(_one_line(view.source), layout=False)
        badge = self.query_one(StateBadge)
        badge.state, badge.age = view.state, view.age
        if view.detail != old.detail:
            detail.update(_one_line(view.detail), layout=False)
        self.query_one(MetricGrid).readings = view.metrics


_STATES = ("ok", "stale", "down", "no data")


def _state_class(state: str) -> str:
    """The class of the error line of a source in `state` (none for a state not known)."""
    return f"-{state.replace(' ', '-')}" if state in _STATES else ""


def _show_state(detail: Static, state: str) -> None:
    """Colour the error line for `state`, restyling that one widget once.

    The class sits on the line, not on the row: a class on the row restyled
    every widget of it (its numbers and sparklines), a few hundred milliseconds
    of CPU whenever a source changed state.
    """
    detail.remove_class(*(_state_class(known) for known in _STATES), update=False)
    wanted = _state_class(state)
    if wanted:
        detail.add_class(wanted)
    else:
        detail.update_node_styles()


def _one_line(text: str) -> Text:
    return Text(inert(text), no_wrap=True, overflow="ellipsis", end="")
