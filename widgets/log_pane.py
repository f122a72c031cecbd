"""A scrolling pane of log lines: time, level, source and message, with matches highlighted.

The pane draws `LogLine`s, plain dataclasses, one per row, oldest at the top.
Only the rows on view are rendered (`render_line`), each once: a strip cache
keyed by the line's position since the pane was filled keeps scrolling cheap,
and `max_lines` bounds what a pane that keeps following holds. Messages come
from upstreams: they are drawn through `inert` as `rich.text.Text`, never as
markup, so an escape sequence shows as `␛[2J` and `[bold red]` shows as typed.
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Final

from rich.cells import cell_len
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.geometry import Size
from textual.message import Message
from textual.reactive import var
from textual.scroll_view import ScrollView
from textual.strip import Strip

from collectors.inert import inert
from widgets.motion import motion_bindings
from widgets.vocab import SEVERITY_ICONS

__all__ = ["LogLine", "LogPane"]

_LEVELS: Final = {
    "error": (SEVERITY_ICONS["error"], "ERROR"),
    "warning": (SEVERITY_ICONS["warning"], "WARN"),
    "info": (SEVERITY_ICONS["info"], "INFO"),
    "debug": ("·", "DEBUG"),
}
"""Level to icon (the alert severity's of the same name) and word: never colour alone."""
_UNKNOWN_LEVEL: Final = (" ", "-")
_SOURCE_WIDTH: Final = 20
"""Sources longer than this are cut, so the messages keep a column of their own."""


@dataclass(frozen=True, slots=True)
class LogLine:
    """One line of the pane."""

    ts: float
    """Unix time of the line."""
    level: str
    """`error`, `warning`, `info`, `debug`, or empty when unknown."""
    source: str
    """Where the line came from (a source name)."""
    message: str
    """As the upstream sent it: the pane draws it inert."""
    spans: tuple[tuple[int, int], ...] = ()
    """`(start, end)` offsets in `message` to highlight (search matches)."""


class LogPane(ScrollView, can_focus=True):
    """Log lines, oldest at the top, scrolling both ways; follows new lines when asked.

    With `follow` on, appended lines scroll into view while the pane is at its
    bottom. Scrolling up pauses that (`FollowPaused` is posted) and coming
    back to the bottom resumes it.

    | Key | Does |
    | :- | :- |
    | up / down / j / k / pageup / pagedown | scroll (scrolling up pauses follow) |
    | home / end / g / G | oldest / newest line (end resumes follow) |
    | left / right | scroll sideways through long lines |
    """

    BINDINGS: ClassVar[list[BindingType]] = motion_bindings(
        down="scroll_down", up="scroll_up", top="scroll_home", bottom="scroll_end"
    )

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "log-pane--time",
        "log-pane--source",
        "log-pane--error",
        "log-pane--warning",
        "log-pane--info",
        "log-pane--debug",
        "log-pane--match",
    }
    """
    | Class | Description |
    | :- | :- |
    | `log-pane--time` | The time of each line. |
    | `log-pane--source` | The source of each line. |
    | `log-pane--error` | The level of an error line. |
    | `log-pane--warning` | The level of a warning line. |
    | `log-pane--info` | The level of an info line. |
    | `log-pane--debug` | The level of a debug line. |
    | `log-pane--match` | A search match inside a message. |
    """

    DEFAULT_CSS = """
    LogPane {
        background: $surface;
        color: $foreground;
        overflow: auto;
    }
    LogPane:focus {
        background-tint: $foreground 5%;
    }
    LogPane > .log-pane--time {
        color: $text-muted;
    }
    LogPane > .log-pane--source {
        color: $secondary;
    }
    LogPane > .log-pane--error {
        color: $error;
        text-style: bold;
    }
    LogPane > .log-pane--warning {
        color: $warning;
    }
    LogPane > .log-pane--info {
        color: $success;
    }
    LogPane > .log-pane--debug {
        color: $text-muted;
    }
    LogPane > .log-pane--match {
        background: $accent 45%;
        color: $text;
        text-style: bold;
    }
    """

    max_lines: var[int | None] = var[int | None](None)
    """Most lines kept; appending more drops the oldest. None keeps every line."""
    follow: var[bool] = var(True)
    """Keep the newest line in view as lines are appended (while at the bottom)."""
    paused: var[bool] = var(False)
    """Follow is on but the pane is scrolled away from the bottom."""

    class FollowPaused(Message):
        """Following paused (the pane was scrolled up) or resumed (back at the bottom)."""

        def __init__(self, log_pane: LogPane, paused: bool) -> None:
            super().__init__()
            self.log_pane = log_pane
            """The pane that paused or resumed."""
            self.paused = paused
            """True when paused, False when following again."""

        @property
        def control(self) -> LogPane:
            """The pane that paused or resumed."""
            return self.log_pane

    def __init__(
        self,
        *,
        max_lines: int | None = 10_000,
        follow: bool = True,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the pane, empty.

        Args:
            max_lines: most lines kept (None: no bound).
            follow: follow appended lines.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.set_reactive(LogPane.max_lines, max_lines)
        self.set_reactive(LogPane.follow, follow)
        self._lines: list[LogLine] = []
        self._dropped = 0
        """Lines trimmed from the top since the pane was last filled (the cache's offset)."""
        self._source_width = 0
        self._message_width = 0
        self._cache: LRUCache[int, Strip] = LRUCache(1024)

    @property
    def lines(self) -> Sequence[LogLine]:
        """The lines held, oldest first (read-only)."""
        return self._lines

    @property
    def line_count(self) -> int:
        """How many lines the pane holds."""
        return len(self._lines)

    # ------------------------------------------------------------------ content

    def set_lines(self, lines: Iterable[LogLine]) -> None:
        """Replace every line and show the newest (the bottom)."""
        self._lines = []
        self._dropped = 0
        self._source_width = self._message_width = 0
        self._cache.clear()
        self._add(list(lines))
        self.scroll_to(x=0, animate=False, immediate=True)
        self.scroll_end(animate=False, x_axis=False)
        self.refresh()

    def append(self, lines: Iterable[LogLine]) -> None:
        """Add lines at the bottom; in view if following and not paused."""
        new = list(lines)
        if not new:
            return
        start = len(self._lines)
        removed = self._add(new)
        if self.paused and removed:  # keep the rows being read where they are
            self.scroll_to(y=max(0, self.scroll_y - removed), animate=False, immediate=True)
        if self.follow and not self.paused:
            self.scroll_end(animate=False, x_axis=False)
            self.refresh()
        else:
            self.refresh_lines(start - removed, len(new))

    def _add(self, new: list[LogLine]) -> int:
        """Add lines, trim to `max_lines` and resize; return how many were trimmed."""
        self._lines.extend(new)
        removed = 0
        if self.max_lines is not None and len(self._lines) > self.max_lines:
            removed = len(self._lines) - self.max_lines
            del self._lines[:removed]
            self._dropped += removed
        self._measure(new)
        self.virtual_size = Size(self._prefix_width() + self._message_width, len(self._lines))
        return removed

    def _measure(self, new: Sequence[LogLine]) -> None:
        source_width = max((min(len(line.source), _SOURCE_WIDTH) for line in new), default=0)
        if source_width > self._source_width:  # every row's message column moves
            self._source_width = source_width
            self._cache.clear()
        widest = max((cell_len(inert(line.message)) for line in new), default=0)
        self._message_width = max(self._message_width, widest)

    def _prefix_width(self) -> int:
        return len("00:00:00  ✖ ERROR  ") + self._source_width + 2

    # ------------------------------------------------------------------ follow

    def watch_follow(self, follow: bool) -> None:
        """Following again jumps to the newest line."""
        if follow:
            self.scroll_end(animate=False, x_axis=False)
        self._check_paused()

    def watch_show_vertical_scrollbar(self, shown: bool) -> None:
        """The scrollbar came with a layout: a pane following its newest line goes there.

        A pane filled before its layout made it scrollable (on a screen built
        hidden, `tui.warming`) could not scroll to its end then.
        """
        if shown and self.follow and not self.paused:
            self.scroll_end(animate=False, x_axis=False, immediate=True)

    def watch_scroll_y(self, old_value: float, new_value: float) -> None:
        """Scrolling up pauses follow; reaching the bottom resumes it."""
        super().watch_scroll_y(old_value, new_value)
        self._check_paused()

    def _check_paused(self) -> None:
        paused = self.follow and round(self.scroll_y) < self.max_scroll_y
        if paused != self.paused:
            self.paused = paused
            self.post_message(self.FollowPaused(self, paused))

    # ------------------------------------------------------------------ drawing

    def notify_style_update(self) -> None:
        """Styles changed (a theme switch): redraw every row."""
        super().notify_style_update()
        self._cache.clear()

    def render_line(self, y: int) -> Strip:
        """The row `y` of the view: a line of the pane, cropped to the scroll position."""
        scroll_x, scroll_y = self.scroll_offset
        index = scroll_y + y
        width = self.scrollable_content_region.width  # the scrollbars' cells are not ours
        base = self.rich_style
        if index >= len(self._lines):
            return Strip.blank(width, base)
        key = self._dropped + index
        strip = self._cache.get(key)
        if strip is None:
            strip = self._render_strip(self._lines[index], base)
            self._cache[key] = strip
        shown = strip.crop_extend(scroll_x, scroll_x + width, base)
        if strip.cell_length > scroll_x + width > scroll_x + 1:  # it goes on past the edge: say so
            shown = Strip.join([shown.crop(0, width - 1), Strip([Segment("…", base)], 1)])
        return shown.apply_offsets(scroll_x, index)

    def _render_strip(self, line: LogLine, base: Style) -> Strip:
        text = Text(no_wrap=True, end="", style=base)
        stamp = time.strftime("%H:%M:%S", time.localtime(line.ts))
        text.append(stamp, self.get_component_rich_style("log-pane--time"))
        text.append("  ")
        icon, word = _LEVELS.get(line.level, _UNKNOWN_LEVEL)
        level_style = (
            self.get_component_rich_style(f"log-pane--{line.level}")
            if line.level in _LEVELS
            else Style()
        )
        text.append(f"{icon} {word:<5}", level_style)
        text.append("  ")
        source = inert(line.source)[: self._source_width]
        text.append(
            source.ljust(self._source_width), self.get_component_rich_style("log-pane--source")
        )
        text.append("  ")
        offset = len(text)
        text.append(inert(line.message))
        match = self.get_component_rich_style("log-pane--match")
        for start, end in line.spans:
            text.stylize(match, offset + start, offset + end)
        return Strip(text.render(self.app.console), text.cell_len)
