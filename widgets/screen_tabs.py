"""The top line of every screen: the screens by key, the one on view marked, and a status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

__all__ = ["ScreenTabs"]


class ScreenTabs(Widget):
    """`1 Overview [2 Latency] …` with the current screen marked, a status on the right.

    The keys are the app's; a click on a tab asks for that screen too. The
    status (database, time of the last read) is cut first when the line is
    too narrow, then the tabs' titles shrink to their keys. While the view is
    rewound, `as_of` (`⏪ as of 03:12:00`) takes the status's place and is
    never cut: the tabs shrink to their keys to make room for it.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "screen-tabs--current",
        "screen-tabs--key",
        "screen-tabs--as-of",
    }
    """
    | Class | Description |
    | :- | :- |
    | `screen-tabs--current` | The tab of the screen on view. |
    | `screen-tabs--key` | The key of each tab. |
    | `screen-tabs--as-of` | The moment a rewound view shows. |
    """

    DEFAULT_CSS = """
    ScreenTabs {
        height: 1;
        width: 1fr;
        background: $panel;
        color: $text-muted;
    }
    ScreenTabs > .screen-tabs--current {
        background: $primary;
        color: $text;
        text-style: bold;
    }
    ScreenTabs > .screen-tabs--key {
        color: $accent;
        text-style: bold;
    }
    ScreenTabs > .screen-tabs--as-of {
        background: $warning;
        color: $text;
        text-style: bold;
    }
    """

    status: reactive[str] = reactive("")
    """Plain text shown at the right end (upstream text must be made inert first)."""
    as_of: reactive[str] = reactive("")
    """The moment a rewound view shows (plain text, in the status's place), or "" when live."""

    class Chosen(Message):
        """A tab was clicked."""

        def __init__(self, tabs: ScreenTabs, name: str) -> None:
            super().__init__()
            self.tabs = tabs
            """The tab bar."""
            self.name = name
            """The mode name of the chosen screen."""

        @property
        def control(self) -> ScreenTabs:
            """The tab bar."""
            return self.tabs

    def __init__(
        self,
        tabs: Sequence[tuple[str, str, str]],
        current: str,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the tab bar.

        Args:
            tabs: `(mode name, key, title)` per screen, in order.
            current: the mode name of the screen on view.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._tabs = tuple(tabs)
        self._current = current
        self._spans: list[tuple[int, int, str]] = []

    def _labels(self, width: int) -> list[str]:
        """Each tab's label: full titles if they fit in `width`, else keys (the current in full)."""
        # The tab on view is bracketed, so that it stands out without colour too
        # (NO_COLOR, a monochrome terminal, a screen reader's text).
        full = [
            f"[{key} {title}]" if mode == self._current else f" {key} {title} "
            for mode, key, title in self._tabs
        ]
        if sum(len(label) for label in full) <= width:
            return full
        return [
            label if mode == self._current else f" {key} "
            for (mode, key, _), label in zip(self._tabs, full, strict=True)
        ]

    def render(self) -> RenderResult:
        """The tabs, then the status right-aligned if it fits."""
        width = self.size.width
        marker = f" {self.as_of} " if self.as_of else ""
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        self._spans = []
        current_style = self.get_component_rich_style("screen-tabs--current")
        key_style = self.get_component_rich_style("screen-tabs--key")
        labels = self._labels(width - len(marker))
        for (mode, key, _), label in zip(self._tabs, labels, strict=True):
            start = len(text)
            if mode == self._current:
                text.append(label, current_style)
            else:
                text.append(" ")
                text.append(key, key_style)
                text.append(label[1 + len(key) :])
            self._spans.append((start, len(text), mode))
        if marker:
            text.append(" " * max(0, width - len(text) - len(marker)))
            text.append(marker, self.get_component_rich_style("screen-tabs--as-of"))
            return text
        room = width - len(text) - 2
        if self.status and room >= 10:
            status = self.status if len(self.status) <= room else self.status[: room - 1] + "…"
            text.append(" " * (width - len(text) - len(status) - 1) + status + " ")
        return text

    def on_click(self, event: events.Click) -> None:
        """Ask for the screen whose tab was clicked."""
        for start, end, mode in self._spans:
            if start <= event.x < end:
                self.post_message(self.Chosen(self, mode))
                return
