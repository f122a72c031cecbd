"""A moment typed by a person (`03:12`, `-25m`, a date, `pin`): the time a rewind goes to.

Contract: `parse_moment(text, now=..., pinned=...)` returns a unix time at or
before `now`, or raises `MomentError` with one line fit to show as typed.
It takes:

* `03:12` or `03:12:30`: that local time today, or yesterday when today's is
  still to come (a rewind looks back);
* `-25m`, `-2h`, `-90s`, `-1d` (any duration `parse_duration` reads) before now;
* `2026-12-03 03:12`, `2026-12-03 03:12:30` and ISO 8601 (`T` or a space,
  with a zone such as `Z` or `+01:00`, or local time without one);
* `pin` or `incident`: the pinned incident start (an error when none is pinned);
* `now`.

Nothing here reads the clock: `now` is always given, so tests never depend on
today's date.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta
from typing import Final

from collectors.durations import parse_duration

__all__ = ["MOMENT_FORMATS", "MomentError", "parse_moment"]

MOMENT_FORMATS: Final = "03:12, 03:12:30, -25m, 2026-12-03 03:12, pin or now"
"""What a moment may be, for hints and errors."""
_CLOCK: Final = re.compile(r"(\d{1,2}):(\d{2})(?::(\d{2}))?")
_PINNED: Final = frozenset({"pin", "incident"})


class MomentError(ValueError):
    """Text that names no moment a view can go to; the message is one line for the user."""


def parse_moment(text: str, *, now: float, pinned: float | None) -> float:
    """The unix time `text` names, at or before `now`.

    Args:
        text: what the person typed.
        now: the current time (unix).
        pinned: the pinned incident start, or None when nothing is pinned.

    Raises:
        MomentError: none of the accepted forms, a date that does not exist,
            a time still to come, or `pin` with nothing pinned.
    """
    typed = " ".join(text.split())
    word = typed.lower()
    if not typed:
        raise MomentError(f"type a time: {MOMENT_FORMATS}")
    if word == "now":
        return now
    if word in _PINNED:
        if pinned is None:
            raise MomentError(f"{typed!r}: no incident is pinned (p pins one)")
        return _not_after(pinned, now, typed)
    if typed.startswith("-"):
        try:
            return now - parse_duration(typed[1:])
        except ValueError:
            raise MomentError(f"{typed!r}: a time before now is like -25m, -2h or -1d") from None
    return _not_after(_clock_or_date(typed, now), now, typed)


def _clock_or_date(typed: str, now: float) -> float:
    """A time of day (the last one passed) or an ISO 8601 date and time, as unix time."""
    today = datetime.fromtimestamp(now)
    try:
        if clock := _CLOCK.fullmatch(typed):
            hour, minute, second = (int(part or 0) for part in clock.groups())
            moment = today.replace(hour=hour, minute=minute, second=second, microsecond=0)
            return (moment - timedelta(days=1) if moment > today else moment).timestamp()
        if not re.match(r"\d{4}-\d{2}-\d{2}", typed):
            raise MomentError(f"{typed!r} is not a time: type {MOMENT_FORMATS}")
        stamp = datetime.fromisoformat(typed)  # naive: local time
    except ValueError as exc:  # 25:00, 2026-02-30, 2026-12-03 3pm
        if isinstance(exc, MomentError):
            raise
        raise MomentError(f"{typed!r} is not a time of day or date: {exc}") from None
    return stamp.timestamp()


def _not_after(moment: float, now: float, typed: str) -> float:
    if moment > now:
        raise MomentError(f"{typed!r} is still to come: only the past can be shown")
    return moment
