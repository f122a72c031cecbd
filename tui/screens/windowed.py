"""A live screen whose panels all look at one time window, chosen with `w`.

The screen owns a `WindowView` that it hands to its panels when it composes
them: the window on view, the series the screen's cursor is on, and a
`ReadCache` the panels share. A change of either re-reads the store at once;
if a read is already running, the screen reads once more when it ends, so a
panel never keeps showing the window it had before the key was pressed.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import ClassVar, Final, TypeVar

from rich.text import Text
from textual.binding import Binding, BindingType

from collectors.inert import inert
from tui.data.read_cache import ReadCache
from tui.data.reader import StoreReader
from tui.data.windows import DEFAULT_WINDOW, WINDOWS, Window
from tui.panels.base import LivePanel
from tui.screens.base import LiveScreen
from widgets.choice_bar import ChoiceBar
from widgets.time_chart import TimeChart

__all__ = ["WindowView", "WindowedPanel", "WindowedScreen"]

_BREAKPOINTS: Final = [(0, "-narrow"), (100, "-wide")]
"""Screen classes by width: one column below 100 cells, side by side from there."""


@dataclass(slots=True)
class WindowView:
    """What the panels of a windowed screen read from: set by the screen, read in `gather`."""

    window: Window = DEFAULT_WINDOW
    """The window on view."""
    chosen: str | None = None
    """The key of the row the screen's cursor is on, for panels that follow it."""
    reads: ReadCache = field(default_factory=ReadCache)
    """Reads of settled spans, shared by the screen's panels."""


T = TypeVar("T")


class WindowedPanel(LivePanel[T]):
    """A live panel of a windowed screen: it reads the screen's `WindowView` in `gather`.

    Args:
        title: the border title.
        view: the screen's view (window, chosen row, read cache).
    """

    def __init__(self, title: str, view: WindowView, *, id: str | None = None) -> None:
        super().__init__(title, id=id)
        self.view = view
        """The screen's window, chosen row and read cache."""
        self._titles: tuple[str, str] | None = None

    def set_titles(self, title: str, subtitle: str = "") -> None:
        """Set the border's title and subtitle: inert text, never markup, redrawn only on change.

        They may hold names from the store (a series' labels); Textual would read
        a plain string as markup, and repaints the panel on every assignment.
        """
        if (title, subtitle) == self._titles:
            return
        self._titles = (title, subtitle)
        self.border_title = Text(inert(title))
        self.border_subtitle = Text(inert(subtitle))


class WindowedScreen(LiveScreen):
    """A live screen with a window selector; subclasses compose `window_bar()` and panels.

    | Key | Does |
    | :- | :- |
    | w | the next window: 5m, 1h, 24h, 7d |
    | W | the previous window |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("w", "next_window(1)", "Window", tooltip="5m, 1h, 24h, 7d"),
        Binding("W", "next_window(-1)", "Previous window", show=False),
    ]
    HORIZONTAL_BREAKPOINTS = _BREAKPOINTS

    def __init__(
        self, name: str | None = None, id: str | None = None, classes: str | None = None
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self.view = WindowView()
        """The window and cursor the panels read."""
        self._again = False

    def window_bar(self) -> ChoiceBar:
        """The window selector line, to compose above the panels."""
        return ChoiceBar(
            [window.label for window in WINDOWS],
            label="window",
            hint="(w: next)",
            selected=WINDOWS.index(self.view.window),
            id="window-bar",
        )

    def action_next_window(self, step: int) -> None:
        """Look at the next (or, with -1, the previous) window."""
        index = WINDOWS.index(self.view.window)
        self.set_window(WINDOWS[(index + step) % len(WINDOWS)])

    def set_window(self, window: Window) -> None:
        """Look at `window` and read the store for it at once."""
        self.view.window = window
        self.query_one("#window-bar", ChoiceBar).selected = WINDOWS.index(window)
        self.reread()

    def on_choice_bar_chosen(self, event: ChoiceBar.Chosen) -> None:
        """A click on a window in the selector."""
        if event.choice_bar.id == "window-bar":
            event.stop()
            self.set_window(WINDOWS[event.index])

    def span_start(self, now: float) -> float | None:
        """The start of the window on view at `now`."""
        return self.view.window.span(now).start

    def rewind_step(self, now: float) -> float:
        """The slot of the screen's time chart (`Span.grid`), else a minute."""
        for chart in self.query(TimeChart):
            span, slots = self.view.window.span(now).grid(chart.plot_width)
            return span.seconds / slots
        return super().rewind_step(now)

    def reread(self) -> None:
        """Read the store again now, or right after the read that is running."""
        self._again = True
        refresh_now = getattr(self.app, "refresh_now", None)
        if refresh_now is not None:
            refresh_now()

    async def refresh_from(self, reader: StoreReader) -> None:
        """Refresh the screen; once more if the window or cursor changed meanwhile.

        Each time, the reads the panels keep while the file is unchanged are
        checked first (`ReadCache.check`).
        """
        self._again = False
        await self.view.reads.check(reader.store)
        await super().refresh_from(reader)
        if self._again:
            self._again = False
            await self.view.reads.check(reader.store)
            await super().refresh_from(reader)
