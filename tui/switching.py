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
for the one app of a process.
"""

from __future__ import annotations

import gc
from collections.abc import Callable
from typing import Any

from textual.app import App
from textual.screen import Screen

__all__ = ["QuickSwitch"]


class QuickSwitch:
    """An app's frame holds and first views.

    Args:
        app: the app.
        freeze_gc: freeze what a screen's first view leaves alive out of later collections.
    """

    def __init__(self, app: App[Any], *, freeze_gc: bool) -> None:
        self._app = app
        self._freeze_gc = freeze_gc
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
        """The screen on view has drawn what it read: end the holds; a first view, freeze."""
        holds, self._holds = self._holds, []
        for end in holds:
            end()
        if self._freeze_gc and type(screen) not in self._viewed:
            self._viewed.add(type(screen))
            self._app.call_after_refresh(_freeze_survivors)


def _freeze_survivors() -> None:
    """Collect the garbage, then leave what survives out of later collections."""
    gc.collect()
    gc.freeze()
