"""Acting on the alert a person chose: acknowledge, silence its rule, read its history.

The screens that list alerts (the alerts table, the firing lists of the
overview and the incident view) derive from `AlertActionsScreen` and say which
alert is chosen (`chosen_alert_id`); the keys `a`, `s` and `h` and the command
palette then work the same on each, through the dialogs of `tui.dialogs`.

The alert is read again from the alert book when a key is pressed, so an
alert that resolved since the last refresh is told as such ("resolved at
03:14, 2m ago: there is nothing left to acknowledge") instead of a bare
refusal, and so is one that resolved while the ack dialog was open.
Writes go through the alert book's durable connection; a write that cannot
be done becomes a one-line notification. While the view is rewound, `a` and
`s` are refused with a one-line notice (they act on now; `h` still reads).
"""

from __future__ import annotations

import time
from functools import partial
from typing import ClassVar

from textual.binding import Binding, BindingType

from collectors.alerts.book import AlertBookError, AlertRow
from collectors.alerts.state import AlertState
from collectors.base import format_duration
from collectors.inert import inert
from tui.data.reader import StoreReader
from tui.data.rewind import rewound_refusal
from tui.dialogs.ack import AckDialog
from tui.dialogs.alert_history import AlertHistoryDialog
from tui.dialogs.silence import SilenceDialog, SilenceRequest
from tui.panels.alert_lines import alert_title, history_rows
from tui.screens.base import LiveScreen
from widgets.vocab import ago

__all__ = ["AlertActionsScreen", "not_firing"]


def not_firing(alert: AlertRow, now: float) -> str | None:
    """Why `alert` cannot be acknowledged now, in a sentence; None when it is firing."""
    if alert.state is AlertState.FIRING:
        return None
    if alert.state is AlertState.RESOLVED and alert.resolved_at is not None:
        at = time.strftime("%H:%M", time.localtime(alert.resolved_at))
        since = ago(max(0.0, now - alert.resolved_at))
        return (
            f"Alert #{alert.id} resolved at {at} ({since}): there is nothing left to "
            "acknowledge. h shows its history."
        )
    return (
        f"Alert #{alert.id} is {alert.state}, not firing yet: "
        "only a firing alert can be acknowledged."
    )


class AlertActionsScreen(LiveScreen):
    """A screen that lists alerts; `a`, `s` and `h` act on the one chosen.

    | Key | Does |
    | :- | :- |
    | a | acknowledge the chosen alert (asks for an optional note) |
    | s | silence the chosen alert's rule (asks how long and why) |
    | h | the chosen alert's history |
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "acknowledge", "Ack"),
        Binding("s", "silence", "Silence"),
        Binding("h", "history", "History"),
    ]

    def __init__(self) -> None:
        super().__init__()
        self._reader: StoreReader | None = None

    def chosen_alert_id(self) -> int | None:
        """The id of the alert the keys act on, or None when none is chosen."""
        raise NotImplementedError

    def nothing_chosen(self) -> str:
        """What to say when a key needs an alert and none is chosen."""
        return "No alert is chosen."

    async def refresh_from(self, reader: StoreReader) -> None:
        """Remember the reader for the actions, then refresh every panel."""
        self._reader = reader
        await super().refresh_from(reader)

    async def _reread(self) -> None:
        """Read the store again at once, so a change just written shows now."""
        if self._reader is not None:
            await self.refresh_from(self._reader)

    def refused_while_rewound(self, doing: str) -> bool:
        """Say (and return True) that `doing` waits for live, when the view is rewound."""
        reader = self._reader
        if reader is None or reader.as_of is None:
            return False
        refusal = rewound_refusal(doing, reader.as_of, self.live_now(reader.as_of))
        self.notify(refusal, title="Rewound", severity="warning", markup=False)
        return True

    async def _chosen(self) -> tuple[StoreReader, AlertRow] | None:
        """The reader and the chosen alert as the book has it now, or None (said)."""
        alert_id = self.chosen_alert_id()
        reader = self._reader
        alert = None
        if alert_id is not None and reader is not None:
            alert = await reader.book.get(alert_id)
        if alert is None or reader is None:
            self.notify(self.nothing_chosen(), severity="warning")
            return None
        return reader, alert

    # ------------------------------------------------------------------ acknowledge

    async def action_acknowledge(self) -> None:
        """Ask for a note, then acknowledge the chosen alert (or say why it cannot be)."""
        if self.refused_while_rewound("acknowledge"):
            return
        chosen = await self._chosen()
        if chosen is None:
            return
        reader, alert = chosen
        refusal = not_firing(alert, reader.now())
        if refusal is not None:
            self.notify(inert(refusal), title="Not acknowledged", severity="warning", markup=False)
            return
        dialog = AckDialog(alert.id, alert_title(alert), alert.summary, reader.user)
        self.app.push_screen(dialog, partial(self._acknowledge, reader, alert.id))

    async def _acknowledge(self, reader: StoreReader, alert_id: int, note: str | None) -> None:
        if note is None:
            return
        try:
            await reader.book.acknowledge(alert_id, reader.user, note or None, reader.now())
        except AlertBookError as exc:
            alert = await reader.book.get(alert_id)
            refusal = None if alert is None else not_firing(alert, reader.now())
            why = f"{refusal} (it changed while the dialog was open)" if refusal else str(exc)
            self.notify(inert(why), title="Not acknowledged", severity="error", markup=False)
            return
        self.notify(f"Alert #{alert_id} acknowledged as {inert(reader.user)}", markup=False)
        await self._reread()

    # ------------------------------------------------------------------ silence

    async def action_silence(self) -> None:
        """Ask how long and why, then silence the chosen alert's rule."""
        if self.refused_while_rewound("silence"):
            return
        chosen = await self._chosen()
        if chosen is None:
            return
        reader, alert = chosen
        self.app.push_screen(
            SilenceDialog(alert.rule, reader.user), partial(self._silence, reader, alert.rule)
        )

    async def _silence(
        self, reader: StoreReader, rule: str, request: SilenceRequest | None
    ) -> None:
        if request is None:
            return
        now = reader.now()
        try:
            await reader.book.add_silence(
                {"rule": rule},
                starts_at=now,
                ends_at=now + request.seconds,
                created_by=reader.user,
                comment=request.comment,
                now=now,
            )
        except AlertBookError as exc:
            self.notify(inert(str(exc)), title="Not silenced", severity="error", markup=False)
            return
        self.notify(f"{inert(rule)} silenced for {format_duration(request.seconds)}", markup=False)
        await self._reread()

    # ------------------------------------------------------------------ history

    async def action_history(self) -> None:
        """Show the chosen alert's history."""
        chosen = await self._chosen()
        if chosen is None:
            return
        reader, alert = chosen
        rows = history_rows(
            await reader.book.events(alert.id), reader.now(), reader.rules.get(alert.rule)
        )
        self.app.push_screen(AlertHistoryDialog(alert.id, alert_title(alert), rows))
