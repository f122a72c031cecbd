"""The base of every wootwatch screen: a tab bar, live panels, the footer.

The tab bar names the app's modes (`App.MODES`, the registry
`tui.screens.SCREENS` in key order, whose entries name screens not imported yet)
by key (`1 Overview  2 Latency …`) with the one on view marked; the footer
(`KeyFooter`) starts with the keys that work everywhere (`?` keys, `q` quit,
`1234567` screens), then the screen's own. A `LiveScreen` is refreshed by the
app (`WootwatchApp.refresh_now`) while it is on view:
the tab bar's status first (the database, the minute of the last read), the
warning when no collector is writing the database, then each `LivePanel`.
Coming back into view, a screen skips Textual's full restyle when nothing its
styles depend on moved while it was away (`tui.screens.restyle`).
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from typing import ClassVar

from textual import events
from textual.app import ComposeResult
from textual.geometry import Size
from textual.screen import Screen
from textual.widgets import Static

from collectors.inert import inert
from tui.data.reader import StoreReader
from tui.data.rewind import as_of_label
from tui.panels.base import LivePanel
from tui.panels.chart_panel import ChartPanel
from tui.screens import LazyScreen
from tui.screens.restyle import AwayStyles
from widgets.key_footer import KeyFooter
from widgets.screen_tabs import ScreenTabs

__all__ = ["LiveScreen"]

NO_WRITER = "⚠ no collector is writing this database: what you see is as of its last write"
FROM_ROLLUPS = "from minute rollups"
"""Said after the moment when the span read begins before the oldest raw sample kept."""
NATURAL_STEP = 60.0
"""The step of `[` and `]` on a screen without a chart: a minute."""
RECENT = 2.0
"""Seconds a screen's read stays current on a switch back when nothing was written since
(at most the app's refresh interval): the default refresh, how old the screen on view gets."""
TICKS_FOR = 10.0
"""Seconds after a read during which, with nothing written since, a refresh only redraws what
moves with time alone (`LivePanel.tick`: ages), reading nothing. A figure read over a window
ending now (a p95 of the last 5 minutes) moves at the next write, or this long after the read."""


class LiveScreen(Screen[None]):
    """A screen of live panels; subclasses compose them in `compose_panels`."""

    TITLE: ClassVar[str] = ""
    """The screen's name in the top bar and the footer."""
    LOOKBACK: ClassVar[float | None] = None
    """Seconds of samples behind the screen's figures and charts (None: it reads no samples)."""
    _warning: str = NO_WRITER
    """The text the writer warning shows (no collector, or the collector's writes failing)."""
    _away: AwayStyles | None = None
    """What the screen's styles were computed against when it last left the view."""
    _read_at: tuple[int, float | None, float] | None = None
    """The last read: the database's data version, the moment on view (None: live), the time."""
    _resumed = False
    """Whether the next read is the one of coming back into view."""
    _as_of_said: str | None = None
    """What the tab bar said of the moment on view at the last read (None: live)."""

    def on_mount(self) -> None:
        """Note every move of the app's focus while the screen is away."""
        self.watch(self.app, "app_focus", self._app_focus_moved, init=False)

    def _app_focus_moved(self) -> None:
        if self._away is not None and not self.is_current:
            self._away.app_moved = True

    def compose(self) -> ComposeResult:
        """Tab bar, the screen's panels, footer."""
        modes = self.app.MODES  # the app's registry, in key order: a screen never imports it
        tabs = [
            (mode, str(key), getattr(screen, "TITLE", None) or mode)
            for key, (mode, screen) in enumerate(modes.items(), start=1)
        ]
        current = next((mode for mode, made in modes.items() if self._made_by(made)), "")
        yield ScreenTabs(tabs, current, id="top-bar")
        yield Static(NO_WRITER, id="writer-warning", markup=False)
        yield from self.compose_panels()
        yield KeyFooter()

    def _made_by(self, made: object) -> bool:
        """Whether `made`, one of the app's modes (a class, a `LazyScreen`), makes this screen."""
        return made is type(self) or (isinstance(made, LazyScreen) and made.makes(type(self)))

    def compose_panels(self) -> ComposeResult:
        """The screen's panels and widgets."""
        yield from ()

    def span_start(self, now: float) -> float | None:
        """When the oldest sample the screen reads at `now` is from (None: it reads none)."""
        return None if self.LOOKBACK is None else now - self.LOOKBACK

    def rewind_step(self, now: float) -> float:
        """The step of `[` and `]` at `now`: the slot of the screen's chart, else a minute."""
        for panel in self.query(ChartPanel):
            span = self.LOOKBACK or panel.window[1] - panel.window[0]
            if span > 0:
                return span / panel.spark_points(span)
        return NATURAL_STEP

    def on_screen_tabs_chosen(self, event: ScreenTabs.Chosen) -> None:
        """A click on a tab switches to that screen."""
        self.app.switch_mode(event.name)

    def on_screen_suspend(self) -> None:
        """Remember what the screen's styles were computed against."""
        self._away = AwayStyles(self.app)

    def warmed(self) -> None:
        """The screen is built hidden, before its first view (`tui.warming`).

        It is styled as it mounts, against the app as it is now: its first
        view skips the full restyle as a switch back does, unless something
        its styles depend on moves meanwhile.
        """
        self._away = AwayStyles(self.app)

    def lay_out_hidden(self, size: Size) -> bool:
        """Lay the hidden screen's widgets out at `size`, as its first view would.

        Returns:
            Whether it was laid out (not when on view: Textual does it).
        """
        if self.is_current:
            return False
        self._refresh_layout(size)
        self._layout_required = self._scroll_required = False
        return True

    def draw_hidden(self) -> None:
        """Render every widget of the hidden screen once, into its caches, writing nothing."""
        if not self.is_current:
            self._compositor.render_update(full=True)

    def on_screen_resume(self, event: events.ScreenResume) -> None:
        """Skip the restyle when the styles are still right; read the store at once.

        A read still running is of the screen left: this one is read after it.
        """
        if self._away is not None and self._away.still_styled(self.app):
            event.refresh_styles = False
        self._resumed = True
        refresh_now = getattr(self.app, "refresh_now", None)
        if refresh_now is not None:
            refresh_now(again=True)

    async def refresh_from(self, reader: StoreReader) -> None:
        """Read every live panel, together; then draw the tab bar, the warning and the panels.

        Drawing in one batch makes a refresh one frame: each frame re-renders
        every widget under a changed region, which is most of a refresh's CPU.
        Reading happens outside the batch, so a slow read never freezes the keys.

        Coming back into view, the screen is not read again when its last read
        is current: nothing written to the database since, the same moment on
        view, and under `RECENT` seconds old (as current as the screen on view
        is kept by the app's refreshes). A screen put on view before its
        widgets are mounted is not read: its resume reads it once it is built.
        With nothing written since a read under `TICKS_FOR` seconds old, the
        panels that can (`LivePanel.tick`) redraw what moves with time, and
        nothing is read.
        """
        resumed, self._resumed = self._resumed, False
        read_at = (await reader.store.data_version(), reader.as_of, self.live_now(time.time()))
        # Walks and child queries, not `query`: a CSS query matches its selector
        # against every widget of the screen (hundreds on the overview), every refresh.
        if (resumed and self._current(read_at)) or not self.query_children(ScreenTabs):
            return
        panels = list(self.walk_children(LivePanel))
        if self._unchanged(read_at, TICKS_FOR) and not any(p.turn.locked() for p in panels):
            with self.app.batch_update():
                if all([panel.tick(reader.now()) for panel in panels]):  # every one ticks
                    self._show_status(reader, self._as_of_said)
                    return
        async with contextlib.AsyncExitStack() as turns:
            for panel in panels:
                await turns.enter_async_context(panel.turn)
            # Together: one panel's Python work (merging sketches) overlaps another's queries.
            reads = await asyncio.gather(*(panel.read(reader) for panel in panels))
            as_of = await self._as_of(reader)
            with self.app.batch_update():
                self._show_status(reader, as_of)
                for panel, read in zip(panels, reads, strict=True):
                    panel.show(read)
            self._read_at, self._as_of_said = read_at, as_of

    def _show_status(self, reader: StoreReader, as_of: str | None) -> None:
        """The tab bar's status and moment, and the warning when no collector is writing."""
        writing = reader.store.has_writer() or as_of is not None
        trouble = (
            reader.store.writer_health().describe(reader.now())
            if writing and as_of is None
            else None
        )
        # To the minute: a clock ticking on the top line every refresh would
        # make every frame span the whole screen (Textual redraws the box
        # around all changed regions), for a figure the badges give better.
        stamp = time.strftime("%H:%M", time.localtime(reader.now()))
        tabs = self.query_one(ScreenTabs)
        tabs.status = f"{inert(reader.path.name)} · {stamp}"
        tabs.as_of = as_of or ""
        warning = self.query_one("#writer-warning", Static)
        text = trouble or NO_WRITER
        if text != self._warning:
            self._warning = text
            warning.update(text)
        warning.set_class(trouble is not None or not writing, "shown")

    def _current(self, now: tuple[int, float | None, float]) -> bool:
        """Whether the last read is still current at `now` (data version, moment, time)."""
        return self._unchanged(now, min(RECENT, float(getattr(self.app, "refresh_every", RECENT))))

    def _unchanged(self, now: tuple[int, float | None, float], within: float) -> bool:
        """Whether nothing was written nor the moment moved since a read under `within` s ago."""
        if self._read_at is None:
            return False
        version, as_of, at = self._read_at
        return (version, as_of) == now[:2] and 0 <= now[2] - at < within

    async def _as_of(self, reader: StoreReader) -> str | None:
        """What the tab bar says of a rewound view (`⏪ as of 03:12:00`), or None when live."""
        moment = reader.as_of
        if moment is None:
            return None
        said = as_of_label(moment, self.live_now(moment))
        start = self.span_start(moment)
        raw_since = await reader.store.raw_since() if start is not None else None
        if start is not None and raw_since is not None and start < raw_since:
            said += f" · {FROM_ROLLUPS}"
        return said

    def live_now(self, default: float) -> float:
        """The live time (the app's clock), or `default` outside a wootwatch app."""
        clock = getattr(self.app, "clock", None)
        return float(clock()) if callable(clock) else default
