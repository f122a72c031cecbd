"""The time-input dialog the rewind (`t`) and the pin (`p`) share: type a moment, Enter takes it.

The field takes what `tui.data.moment.parse_moment` reads (`03:12`, `-25m`,
a date and time, `pin` for the pinned incident start, `now`). What the text
means is said under the field at each key stroke: the moment it reads as
(with where a suggested moment comes from), or the one-line reason it cannot
be read, so bad input is told at once and Enter does nothing with it. The
dialog returns the moment (unix time), or None when cancelled.

The widgets' ids are `<field>-at`, `<field>-reading` and `<field>-error`.
"""

from __future__ import annotations

import time
from collections.abc import Callable

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Static

from collectors.inert import inert
from tui.data.moment import MomentError, parse_moment
from tui.dialogs.frame import Dialog
from widgets.vocab import ago

__all__ = ["MomentDialog"]


class MomentDialog(Dialog[float]):
    """Asks for a moment of the past; says what the text means as it is typed.

    | Key | Does |
    | :- | :- |
    | enter | take the moment read |
    | escape | cancel |

    Args:
        title: the box's border title.
        hint: the keys line (`Enter pins · Escape cancels`).
        question: the line above the field.
        field: the prefix of the widgets' ids (`pin`, `rewind`).
        clock: the live time (a relative time counts back from it).
        pinned: the pinned incident start, for `pin` (None: nothing pinned).
        suggested: the moment the field starts with (None: an empty field).
        why: where the suggestion comes from (`the chosen alert #14's start`),
            said while the field reads as it.
        placeholder: the example shown in an empty field.
    """

    def __init__(
        self,
        *,
        title: str,
        hint: str,
        question: str,
        field: str,
        clock: Callable[[], float],
        pinned: float | None,
        suggested: float | None = None,
        why: str = "",
        placeholder: str = "",
    ) -> None:
        super().__init__(title, hint)
        self._question = question
        self._field = field
        self._clock = clock
        self._pinned = pinned
        self._suggested = suggested
        self._why = why
        self._placeholder = placeholder

    def compose_dialog(self) -> ComposeResult:
        """The question, the field, its reading, the error line."""
        now = self._clock()
        start = "" if self._suggested is None else _local(self._suggested, now)
        yield Static(self._question, markup=False)
        yield Input(start, placeholder=self._placeholder, id=f"{self._field}-at", max_length=40)
        yield Static("", id=f"{self._field}-reading", markup=False)
        yield Static("", id=f"{self._field}-error", classes="dialog-error", markup=False)

    def on_mount(self) -> None:
        """A suggested moment is read at once."""
        typed = self.query_one(Input).value
        if typed:
            self._read(typed)

    @on(Input.Changed)
    def _changed(self, event: Input.Changed) -> None:
        if event.value.strip():
            self._read(event.value)
        else:  # nothing typed yet: nothing to complain about
            self.query_one(f"#{self._field}-error", Static).set_class(False, "-shown")
            self.query_one(f"#{self._field}-reading", Static).update("")

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        moment = self._read(event.value)
        if moment is not None:
            self.dismiss(moment)

    def _read(self, text: str) -> float | None:
        """Show what `text` reads as, or why it cannot be read; the moment, or None."""
        error = self.query_one(f"#{self._field}-error", Static)
        reading = self.query_one(f"#{self._field}-reading", Static)
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
        said = f"→ {_local(moment, moment, full=True)}, {ago(max(0.0, now - moment))}"
        suggested = self._suggested is not None and abs(moment - self._suggested) < 1
        reading.update(f"{said} ({self._why})" if suggested and self._why else said)
        return moment


def _local(moment: float, now: float, *, full: bool = False) -> str:
    """`11:06:40` when on the day of `now`, else with the date (`2026-12-02 23:50:00`)."""
    same_day = time.localtime(moment)[:3] == time.localtime(now)[:3]
    return time.strftime(
        "%H:%M:%S" if same_day and not full else "%Y-%m-%d %H:%M:%S", time.localtime(moment)
    )
