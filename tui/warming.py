"""Screens ready before their first key: the ones not visited yet, built in the background.

A screen's first view costs far more than a switch back to it: composing and
mounting its widgets, styling them, Textual's two restyles of the whole app
on a new mode, its first read and first layout. Once the first frame is on
screen (`Warming.resume`, called after each read of the screen on view),
`Warming` does that work for each mode not visited yet, one at a time in key
order, while the user looks at the first screen:

* installs the mode's screen as `App._init_mode` does, without resuming it
  (composed and mounted, hidden; styled as of now, so its first switch skips
  the restyles a switch back skips: `LiveScreen.warmed`);
* lays it out at the terminal's size, then reads the store into it
  (`LiveScreen.refresh_from`, as of the moment on view), as on a first view;
* lays it out again and renders it once, writing nothing (its widgets keep
  what they rendered).

A key press is served first: a switch (`App.mode_change_signal`) cancels the
step under way (`Warming.visited`; the mode switched to leaves the queue, it is
read on view as any screen), and before each step warming waits until no read
of the screen on view runs and no switch came for `SETTLE` seconds, nor the
first frame (keys pressed at once are served alone). A warmed screen does
nothing while hidden: only the screen on view is read by the app's refresh
timer; coming into view it is read as a screen switched back to is (at once,
unless its read is current: `LiveScreen.refresh_from`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from typing import Any, Protocol

from textual.app import App
from textual.screen import Screen
from textual.worker import Worker

from tui.data.reader import StoreReader
from tui.panels.base import LivePanel
from tui.screens.base import LiveScreen

__all__ = ["Reads", "Warming"]

PAUSE = 0.05
"""Seconds between two steps: the event loop is the user's in between."""
SETTLE = 1.0
"""Seconds without a switch before warming goes on: keys pressed one after another are
served alone, and a screen they ask for is built on demand, as without warming."""
_LAYOUTS = 3
"""Layouts at most before a hidden screen's first render (a widget may resize on its size)."""


class Reads(Protocol):
    """Where the screens read the store (the app)."""

    @property
    def reader(self) -> StoreReader:
        """The open reader."""

    @property
    def refreshing(self) -> bool:
        """Whether a read of the screen on view is running."""


class Warming:
    """Builds an app's screens not visited yet, in the background, one at a time.

    Args:
        app: the app (its `MODES`, in key order, are the screens).
        reads: the app's open reader, and whether it reads the screen on view (warming
            waits while it does); None: nothing is built, warming is done from the start.
        built: called with the screens warming built, once it has built the last.
    """

    def __init__(
        self,
        app: App[Any],
        reads: Reads | None,
        built: Callable[[list[Screen[Any]]], None] = lambda screens: None,
    ) -> None:
        self._app = app
        self._reads = reads
        self._built = built
        self._screens: list[Screen[Any]] = []
        self._queue: list[str] = list(app.MODES) if reads is not None else []
        self._worker: Worker[None] | None = None
        self._done = asyncio.Event()
        if not self._queue:
            self._done.set()
        self.warmed: list[str] = []
        """The modes built and read in the background, in the order they were."""
        self._listening = False
        self._switched = -SETTLE

    @property
    def done(self) -> bool:
        """Whether every screen has been built (warmed or visited)."""
        return not self._queue

    async def wait(self) -> None:
        """Wait until every screen has been built (warmed or visited)."""
        await self._done.wait()

    @property
    def queue(self) -> Sequence[str]:
        """The modes still to build, next first."""
        return tuple(self._queue)

    def resume(self) -> None:
        """Go on building (after a read of the screen on view), unless under way or done."""
        if not self._listening:  # the first frame: the app runs, it can subscribe
            self._listening = True
            self._switched = time.monotonic()  # keys pressed at once go first
            self._app.mode_change_signal.subscribe(self._app, self.visited, immediate=True)
        self._drop(self._app.current_mode)
        if not self._queue or (self._worker is not None and self._worker.is_running):
            return
        self._worker = self._app.run_worker(
            self._run(),
            group="warming",
            exclusive=True,
            exit_on_error=False,
            description="build the screens not visited yet",
        )

    def visited(self, mode: str) -> None:
        """The user switches to `mode`: it leaves the queue, and the step under way stops."""
        self._switched = time.monotonic()
        self._drop(mode)
        if self._worker is not None:
            self._worker.cancel()
            self._worker = None

    def _drop(self, mode: str) -> None:
        if mode in self._queue:
            self._queue.remove(mode)
        if not self._queue:
            self._done.set()

    async def _run(self) -> None:
        assert self._reads is not None  # else the queue is empty
        while self._queue:
            await self._idle()
            mode = self._queue[0]
            screen = await self._install(mode)
            if screen is None:
                return
            if isinstance(screen, LiveScreen):
                await self._idle()
                await self._mounted(screen)
                await self._lay_out(screen)  # as on view: a pane scrolled to its end stays there
                await self._idle()
                await screen.refresh_from(self._reads.reader)
                await self._draw(screen)
            self.warmed.append(mode)
            self._screens.append(screen)
            self._drop(mode)
        self._built(self._screens)

    async def _idle(self) -> None:
        """Wait a moment, then until no read of the screen on view runs and keys settle."""
        await asyncio.sleep(PAUSE)
        while self._busy() or time.monotonic() - self._switched < SETTLE:
            await asyncio.sleep(PAUSE)

    def _busy(self) -> bool:
        return self._reads is not None and self._reads.refreshing

    async def _install(self, mode: str) -> Screen[Any] | None:
        """The mode's screen, installed hidden and mounted (reused if installed already).

        None when the app is closing.
        """
        app = self._app
        stack = app._screen_stacks.get(mode)
        if stack:
            return stack[0]
        if not app.is_running or app._exit:  # closing: its screens must not change under it
            return None
        made = app._modes[mode]
        screen = made() if callable(made) else app.get_screen(made)
        css_count = app._css_update_count
        if isinstance(screen, LiveScreen):
            screen.warmed()
        screen, mounted = app._get_screen(screen)
        app._screen_stacks[mode] = [screen]
        app._load_screen_css(screen)
        await mounted
        if screen._css_update_count == -1:  # a new screen, styled as it mounted
            screen._css_update_count = css_count
        return screen

    async def _lay_out(self, screen: LiveScreen) -> bool:
        """Lay `screen` out until its widgets' answers to their sizes settle.

        Returns:
            Whether it is still hidden.
        """
        for _ in range(_LAYOUTS):
            await self._idle()
            if not screen.lay_out_hidden(self._app.size):
                return False
            await self._idle()
            if not screen._layout_required:
                break
        return True

    async def _draw(self, screen: LiveScreen) -> None:
        """Lay `screen` out again (after its read), then render it."""
        if await self._lay_out(screen):
            screen.draw_hidden()

    async def _mounted(self, screen: Screen[Any]) -> None:
        """Wait until every live panel of `screen` is mounted (it reads nothing before)."""
        for panel in screen.query(LivePanel):
            await panel._mounted_event.wait()
