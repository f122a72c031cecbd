"""A live panel that shows a list of lines (alerts, log lines), scrolling when it is long."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from tui.panels.base import LivePanel

__all__ = ["TextListPanel"]

T = TypeVar("T")


class TextListPanel(LivePanel[T]):
    """A `LivePanel` of one line per item, cut with an ellipsis at the panel's width.

    Subclasses build the lines as `rich.text.Text` (never markup, so
    upstream text stays text) and hand them to `show_lines` in `present`.
    """

    DEFAULT_CSS = """
    TextListPanel > VerticalScroll > .lines {
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    TextListPanel > VerticalScroll > .lines.-empty {
        color: $text-muted;
    }
    """

    _shown_height = 0

    def compose_body(self) -> ComposeResult:
        """The lines, in a scrolling container."""
        with VerticalScroll():
            yield Static("", classes="lines")

    def show_lines(self, lines: Sequence[Text], empty: str) -> None:
        """Show `lines`, or the muted `empty` line when there are none."""
        shown = self.query_one(".lines", Static)
        shown.set_class(not lines, "-empty")
        height = max(1, len(lines))
        # A new layout of the screen only when the list grows or shrinks: the
        # values in the lines change at every check, the line count rarely.
        shown.update(
            Text("\n").join(lines) if lines else Text(empty), layout=height != self._shown_height
        )
        self._shown_height = height
