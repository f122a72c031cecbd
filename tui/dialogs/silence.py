"""The silence dialog: for how long (`1h`, `30m`) and why, Enter to silence the rule.

It returns a `SilenceRequest` or None when cancelled. A duration that
`parse_duration` rejects, or a missing comment, shows one line in the dialog
and keeps it open: nothing is written until both are right.
"""

from __future__ import annotations

from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Static

from collectors.base import parse_duration
from collectors.inert import inert
from tui.dialogs.ack import NOTE_LIMIT
from tui.dialogs.frame import Dialog

__all__ = ["SilenceDialog", "SilenceRequest"]

DEFAULT_DURATION = "1h"
"""What the duration field starts with."""


@dataclass(frozen=True, slots=True)
class SilenceRequest:
    """What the dialog was told: how long and why."""

    seconds: float
    comment: str


class SilenceDialog(Dialog[SilenceRequest]):
    """Asks how long to silence a rule, and why.

    | Key | Does |
    | :- | :- |
    | enter | next field, then silence (once both fields are right) |
    | tab | next field |
    | escape | cancel |

    Args:
        rule: the rule to silence (untrusted).
        user: who the silence is recorded as.
    """

    def __init__(self, rule: str, user: str) -> None:
        super().__init__(
            "Silence a rule", f"Enter silences as {inert(user)} · Tab next field · Escape cancels"
        )
        self._rule = rule

    def compose_dialog(self) -> ComposeResult:
        """The rule, the duration and comment fields, the error line."""
        rule = Text("Mute the notifications of every ")
        rule.append(inert(self._rule), style="bold")
        rule.append(" alert (they stay on this screen).")
        yield Static(rule)
        yield Static("For (30m, 2h, 1d)", classes="dialog-label")
        yield Input(DEFAULT_DURATION, id="silence-for", max_length=20)
        yield Static("Why (required)", classes="dialog-label")
        yield Input(id="silence-comment", max_length=NOTE_LIMIT, placeholder="e.g. deploy")
        yield Static("", id="silence-error", classes="dialog-error", markup=False)

    @on(Input.Submitted)
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        duration = self.query_one("#silence-for", Input)
        comment = self.query_one("#silence-comment", Input)
        try:
            seconds = parse_duration(duration.value)
            if seconds <= 0:
                raise ValueError("a silence must last longer than 0s")
        except ValueError as exc:
            self._error(str(exc), duration)
            return
        self._error("", None)
        if event.input is duration and not comment.value.strip():
            comment.focus()
            return
        if not comment.value.strip():
            self._error("say why in the comment: it is required", comment)
            return
        self.dismiss(SilenceRequest(seconds, comment.value.strip()))

    def _error(self, message: str, field: Input | None) -> None:
        error = self.query_one("#silence-error", Static)
        error.update(Text(inert(f"⚠ {message}")) if message else "")
        error.set_class(bool(message), "-shown")
        if field is not None:
            field.focus()
