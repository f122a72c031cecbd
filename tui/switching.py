"""What keeps a screen switch quick: frames held only as long as needed, and no GC pauses.

A switch shows the new screen in one frame with what it read: Textual holds
the frames of a transition for a fixed 50 ms (`App.delay_update`, on a screen
switch and when the command palette closes); `QuickSwitch.hold` ends the hold
as soon as the screen on view has drawn its read (`QuickSwitch.drawn`), or
after those 50 ms if the read takes longer (the screen as last read shows
meanwhile).

With `freeze_gc` (the terminal's TUI), once a screen has been drawn for the
first time, a full garbage collection runs and what survives it (the screen's
widgets, Textual's and the modules' objects) is frozen out of later
collections (`gc.freeze`): otherwise a full collection walks them all again, a
150-200 ms pause that lands on a key press every few dozen. It is process-wide,
for the one app of a process. The screens built by warming are frozen once,
when it has built the last.

The screens not visited yet are built in the background once the first
frame is on view (`tui.warming`), so a first view costs what a switch back does.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.screen import Screen

from tui.warming import Reads, Warming

__all__ = ["QuickSwitch"]


class QuickSwitch:
    """An app's frame holds and first views.

    Args:
        app: the app.
        freeze_gc: freeze what a screen's first view leaves alive out of later collections.
        reads: the app's reader and whether it reads the screen on view, for warming
            (None: no warming).
    """

    def __init__(
        self,
        app: App[Any],
        *,
        freeze_gc: bool,
        reads: Reads | None,
    ) -> None:
        self._app = app
        self._freeze_gc = freeze_gc
        self.warming = Warming(app, reads, self._built)
        """Builds the screens not visited yet once the screen on view has drawn its read
        (the app's `warming`)."""
        self._holds: list[Callable[[], None]] = []
        self._viewed: set[type[Screen[Any]]] = set()

    def hold(self, delay: float) -> None:
        """Hold the app's frames until the screen on view has drawn its read, `delay` at most."""
        app = self._app
        app._begin_batch()  # what Textual's delay_update does, ended sooner
        ended = False

        def end() -> None:
            nonlocal ended
            if ended:
                return
            ended = True
            app._end_batch()
            if not app._batch_count:
                app.screen.refresh()

        self._holds.append(end)
        app.set_timer(delay, end, name="delay_update")

    def drawn(self, screen: Screen[Any]) -> None:
        """The screen on view has drawn what it read: end the holds; a first view, freeze.

        Then, once that frame is written, warming goes on (`Warming.resume`).
        """
        holds, self._holds = self._holds, []
        for end in holds:
            end()
        self._app.call_after_refresh(self.warming.resume)
        if self._freeze_gc and type(screen) not in self._viewed:
            self._viewed.add(type(screen))
            self._app.call_after_refresh(_freeze_survivors)

    def _built(self, screens: list[Screen[Any]]) -> None:
        """Warming built `screens`: freeze once for them all, not at each first view."""
        if not self._freeze_gc:
            return
        fresh = {type(screen) for screen in screens} - self._viewed
        if fresh:
            self._viewed |= fresh
            _freeze_survivors()


def _freeze_survivors() -> None:
    """Collect the garbage, then leave what survives out of later collections."""
    gc.collect()
    gc.freeze()
