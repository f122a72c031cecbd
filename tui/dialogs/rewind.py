"""The rewind dialog (`t`): which moment of the recording every screen should show.

The field takes what `tui.data.moment.parse_moment` reads (`03:12`, `-25m`,
a date and time, `pin` for the pinned incident start). What the text means
is said under the field at each key stroke: the moment it reads as, or the
one-line reason it cannot be read, so bad input is told at once and Enter
does nothing with it. The dialog returns the moment (unix time), or None
when cancelled.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Static

from collectors.inert import inert
from tui.data.moment import MOMENT_FORMATS, MomentError, parse_moment
from tui.data.rewind import as_of_label
from tui.dialogs.frame import Dialog
from widgets.vocab import ago

__all__ = ["RewindDialog"]


class RewindDialog(Dialog[float]):
    """Asks for a moment to show every screen as of; says what the text means as it is typed.

    | Key | Does |
    | :- | :- |
    | enter | rewind to the moment read |
    | escape | cancel (nothing changes) |

    Args:
        clock: the live time (a relative time counts back from it).
        pinned: the pinned incident start, if any.
    """

    def __init__(self, clock: Callable[[], float], pinned: float | None) -> None:
        super().__init__("Rewind to…", "Enter rewinds every screen · Escape cancels")
        self._clock = clock
        self._pinned = pinned

    def compose_dialog(self) -> ComposeResult:
        """The field, its reading, what it takes."""
        yield Static(f"Show every screen as of: {MOMENT_FORMATS}", markup=False)
        yield Input(placeholder="-15m", id="rewind-at", max_length=40)
        yield Static("", id="rewind-reading", markup=False)
        yield Static("", id="rewind-error", classes="dialog-error", markup=False)

    @on(Input.Changed, "#rewind-at")
    def _changed(self, event: Input.Changed) -> None:
        if event.value.strip():
            self._read(event.value)

    @on(Input.Submitted, "#rewind-at")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        moment = self._read(event.value)
        if moment is not None:
            self.dismiss(moment)

    def _read(self, text: str) -> float | None:
        """Show what `text` reads as, or why it cannot be read; the moment, or None."""
        error = self.query_one("#rewind-error", Static)
        reading = self.query_one("#rewind-reading", Static)
        now = self._clock()
        try:
            moment = parse_moment(text, now=now, pinned=self._pinned)
        except MomentError as exc:
            error.update(Text(inert(f"⚠ {exc}")))
            error.set_class(True, "-shown")
            reading.display = False
            return None
        error.set_class(False, "-shown")
        reading.display = True
        day = time.strftime("%Y-%m-%d", time.localtime(moment))
        reading.update(f"→ {as_of_label(moment, now)} ({day}, {ago(max(0.0, now - moment))})")
        return moment
