"""The pin dialog: when the incident began, typed or taken from the alert chosen.

The field starts with a suggestion (the chosen alert's start, else the first
firing alert's, else now) and takes:

* `now`;
* `-25m` (any duration `parse_duration` reads: before now);
* `03:12` or `03:12:30`: that time today, or yesterday when today's is still
  to come (an incident starts in the past);
* `2026-12-03 03:12` (seconds optional, `T` also separates).

What the text means is said under the field at each key stroke: the time it
reads as, or why it cannot be read. Enter pins only a time that was read;
the dialog returns it (unix time), or None when cancelled.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Final

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import Input, Static

from collectors.base import parse_duration
from collectors.inert import inert
from tui.dialogs.frame import Dialog
from widgets.vocab import ago

__all__ = ["PinDialog", "parse_moment"]

_CLOCK: Final = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_DATE_TIME: Final = re.compile(r"(\d{4})-(\d{2})-(\d{2})[ T](\d{1,2}):(\d{2})(?::(\d{2}))?")
FORMATS: Final = "now, -25m, 03:12, 03:12:30 or 2026-12-03 03:12"
"""What the field takes, for the hint and the errors."""


def parse_moment(text: str, now: float) -> float:
    """The unix time `text` names (local time), at or before `now`.

    Raises:
        ValueError: text that is none of `FORMATS`, a date that does not
            exist, or a time still to come.
    """
    typed = text.strip()
    if typed.lower() == "now":
        return now
    if typed.startswith("-"):
        try:
            return now - parse_duration(typed[1:])
        except ValueError:
            raise ValueError(f"{typed!r}: a duration before now is like -25m or -1h30m") from None
    try:
        moment = _clock_or_date(typed, datetime.fromtimestamp(now))
    except ValueError as exc:  # 25:00, 2026-02-30
        raise ValueError(f"{typed!r} is not a time of day or date: {exc}") from None
    if moment is None:
        raise ValueError(f"{typed!r} is not a time: type {FORMATS}")
    if moment.timestamp() > now:
        raise ValueError(f"{typed!r} is still to come: an incident starts in the past")
    return moment.timestamp()


def _clock_or_date(typed: str, today: datetime) -> datetime | None:
    """The moment a time of day (the last one passed) or a date and time names; None if neither."""
    if clock := _CLOCK.fullmatch(typed):
        hour, minute, second = (int(part or 0) for part in clock.groups())
        moment = today.replace(hour=hour, minute=minute, second=second, microsecond=0)
        return moment - timedelta(days=1) if moment > today else moment
    if stamp := _DATE_TIME.fullmatch(typed):
        year, month, day, hour, minute, second = (int(part or 0) for part in stamp.groups())
        return datetime(year, month, day, hour, minute, second)
    return None


class PinDialog(Dialog[float]):
    """Asks when the incident began; says what the typed text means as it is typed.

    | Key | Does |
    | :- | :- |
    | enter | pin the time read |
    | escape | cancel |

    Args:
        suggested: the time the field starts with (unix time).
        why: where the suggestion comes from (`the chosen alert #14's start`).
        clock: the current time (the screens' clock).
    """

    def __init__(self, suggested: float, why: str, clock: Callable[[], float]) -> None:
        super().__init__("Pin the incident start", "Enter pins · Escape cancels")
        self._suggested = suggested
        self._why = why
        self._clock = clock

    def compose_dialog(self) -> ComposeResult:
        """The field, its reading, what it takes."""
        yield Static(f"When did the incident begin? ({FORMATS})", markup=False)
        yield Input(_local(self._suggested, self._clock()), id="pin-at", max_length=40)
        yield Static(self._reading(self._suggested, self._why), id="pin-reading", markup=False)
        yield Static("", id="pin-error", classes="dialog-error", markup=False)

    def _reading(self, moment: float, why: str = "") -> str:
        said = f"→ {_local(moment, moment, full=True)}, {ago(max(0.0, self._clock() - moment))}"
        return f"{said} ({why})" if why else said

    @on(Input.Changed, "#pin-at")
    def _changed(self, event: Input.Changed) -> None:
        self._read(event.value)

    @on(Input.Submitted, "#pin-at")
    def _submitted(self, event: Input.Submitted) -> None:
        event.stop()
        moment = self._read(event.value)
        if moment is not None:
            self.dismiss(moment)

    def _read(self, text: str) -> float | None:
        """Show what `text` reads as, or why it cannot be read; the time, or None."""
        error = self.query_one("#pin-error", Static)
        reading = self.query_one("#pin-reading", Static)
        try:
            moment = parse_moment(text, self._clock())
        except ValueError as exc:
            error.update(Text(inert(f"⚠ {exc}")))
            error.set_class(True, "-shown")
            reading.display = False
            return None
        error.set_class(False, "-shown")
        reading.display = True
        why = self._why if abs(moment - self._suggested) < 1 else ""
        reading.update(self._reading(moment, why))
        return moment


def _local(moment: float, now: float, *, full: bool = False) -> str:
    """`11:06:40` when on the day of `now`, else with the date (`2026-12-02 23:50:00`)."""
    same_day = time.localtime(moment)[:3] == time.localtime(now)[:3]
    return time.strftime(
        "%H:%M:%S" if same_day and not full else "%Y-%m-%d %H:%M:%S", time.localtime(moment)
    )
