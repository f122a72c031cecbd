"""The acknowledge dialog: which alert, an optional note, Enter to acknowledge.

It returns the note (an empty string for none) or None when cancelled; the
Alerts screen writes the ack through the alert book.
"""

from __future__ import annotations

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Static

from collectors.inert import inert
from tui.dialogs.frame import Dialog

__all__ = ["NOTE_LIMIT", "AckDialog"]

NOTE_LIMIT = 1000
"""The longest note the alert book takes."""


class AckDialog(Dialog[str]):
    """Asks for an optional note before acknowledging an alert.

    | Key | Does |
    | :- | :- |
    | enter | acknowledge, with the note if one was typed |
    | escape | cancel |

    Args:
        alert_id: the alert's id (in the title).
        what: the alert in a line: severity, rule and labels (untrusted).
        summary: the rule's summary (untrusted).
        user: who the ack is recorded as.
    """

    def __init__(self, alert_id: int, what: str, summary: str, user: str) -> None:
        super().__init__(
            f"Acknowledge alert #{alert_id}",
            f"Enter acknowledges as {inert(user)} · Escape cancels",
        )
        self._what = what
        self._summary = summary

    def compose_dialog(self) -> ComposeResult:
        """The alert, then the note field."""
        yield Static(Text(inert(self._what), style="bold"))
        yield Static(Text(inert(self._summary)))
        yield Static("Note (optional): what you are doing about it", classes="dialog-label")
        yield Input(id="ack-note", max_length=NOTE_LIMIT, placeholder="e.g. scaling workers")

    @on(Input.Submitted, "#ack-note")
    def _acknowledge(self, event: Input.Submitted) -> None:
        event.stop()
        self.dismiss(event.value.strip())
