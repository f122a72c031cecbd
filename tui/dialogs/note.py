"""The note dialog (`n`): a line of text and the moment it is about, for the incident timeline.

The time field starts at the moment on view (now, or the as-of moment when
the view is rewound) and takes what `tui.data.moment` reads (`03:12`,
`-25m`, a date and time, `pin`); what it reads as is said under it at each
key stroke. Enter returns `(text, moment)` when the text is not empty and
the time was read; Escape returns None. The text is kept as typed (the
annotation stores it as given) and is shown inert wherever it appears.
"""

from __future__ import annotations

import time

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Static

from collectors.alerts.annotations import TEXT_LIMIT
from collectors.inert import inert
from tui.data.moment import MOMENT_FORMATS, MomentError, parse_moment
from tui.dialogs.frame import Dialog

__all__ = ["NoteDialog"]


class NoteDialog(Dialog[tuple[str, float]]):
    """Asks for a note and when it happened.

    | Key | Does |
    | :- | :- |
    | enter | add the note (from either field) |
    | tab | between the text and the time |
    | escape | cancel |

    Args:
        moment: the moment on view (unix time): where the time field starts,
            and the latest time it takes.
        pinned: the pinned incident start, for `pin` (None: nothing pinned).
        user: who the note is recorded as.
    """

    def __init__(self, moment: float, pinned: float | None, user: str) -> None:
        super().__init__(
            "Add a note to the timeline",
            f"Enter adds it as {inert(user)} · Tab: the time · Escape cancels",
        )
        self._moment = moment
        self._pinned = pinned

    def compose_dialog(self) -> ComposeResult:
        """The text, the time and what it reads as, the error line."""
        yield Static("What happened? (a deploy, a finding, a decision)", markup=False)
        yield Input(id="note-text", max_length=TEXT_LIMIT, placeholder="e.g. deploy v4.2.1")
        yield Static(f"When ({MOMENT_FORMATS})", classes="dialog-label", markup=False)
        stamp = time.strftime("%Y-%m-%d %H:%M:%S", time.localtime(self._moment))
        yield Input(stamp, id="note-at", max_length=40)
        yield Static("", id="note-reading", markup=False)
        yield Static("", id="note-error", classes="dialog-error", markup=False)

    def on_mount(self) -> None:
        """The cursor starts in the text."""
        self.query_one("#note-text", Input).focus()

    @on(Input.Changed, "#note-at")
    def _time_changed(self, event: Input.Changed) -> None:
        self._read_time(event.value)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        text = self.query_one("#note-text", Input).value
        moment = self._read_time(self.query_one("#note-at", Input).value)
        if moment is None:
            return
        if not text.strip():
            self._error("type the note first")
            return
        self.dismiss((text, moment))

    def _read_time(self, typed: str) -> float | None:
        """Say what `typed` reads as, or why it cannot be read; the time, or None."""
        reading = self.query_one("#note-reading", Static)
        try:
            moment = parse_moment(typed, now=self._moment, pinned=self._pinned)
        except MomentError as exc:
            self._error(str(exc))
            reading.update("")
            return None
        self.query_one("#note-error", Static).set_class(False, "-shown")
        reading.update(f"→ {time.strftime('%Y-%m-%d %H:%M:%S', time.localtime(moment))}")
        return moment

    def _error(self, text: str) -> None:
        error = self.query_one("#note-error", Static)
        error.update(Text(inert(f"⚠ {text}")))
        error.set_class(True, "-shown")
