"""Range checks for one upstream field at a time: a value outside its range is dropped, not stored.

Every source's `parse_*` functions pass the numbers an upstream sends through
these before they become samples, so one bad field costs only its own series
and the rest of the poll is kept. Each check returns the value (as the type
the series stores) or None, and when it drops a value appends one line to
`notes` naming the field and what was there, e.g.
`conversations/meta.meta.all_count: -26344906.83 is not a count (negative)`.

The ranges:

* `number`: a finite real (not a boolean) within ±2**53, the range in which
  a float still holds every integer; a 401-digit integer or `1e308` is not a
  figure any upstream here measures.
* `count`: a `number` that is a whole number and not negative.
* `non_negative`: a `number` from 0 (a duration, an age, a size).
* `percent`: a `number` from 0 to 100.
* `timestamp`: unix seconds after 2000-01-01, not before `not_before`
  (the conversation a reply belongs to) and at most `skew` past `now`.

Values are quoted in notes short and bounded (a huge integer as its number of
digits), since they come from outside and a note is one line.
"""

from __future__ import annotations

import math
from typing import Final

__all__ = [
    "CLOCK_SKEW",
    "EARLIEST",
    "LIMIT",
    "count",
    "non_negative",
    "number",
    "percent",
    "shown",
    "timestamp",
]

LIMIT: Final = float(2**53)
"""The largest magnitude a figure may have: beyond it floats skip integers."""
EARLIEST: Final = 946_684_800.0
"""2000-01-01T00:00:00Z: no upstream here has records older than this."""
CLOCK_SKEW: Final = 300.0
"""How far past our clock an upstream's timestamp may be before it is not believed."""
_SHOWN_LENGTH: Final = 24


def shown(value: object) -> str:
    """A value as a note quotes it: short, one line, a huge integer by its size."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > LIMIT:
        digits = math.floor(value.bit_length() * math.log10(2)) + 1
        return f"a {digits}-digit integer"
    text = repr(value) if isinstance(value, str) else str(value)
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN_LENGTH else text[: _SHOWN_LENGTH - 1] + "…"


def _drop(notes: list[str], field: str, value: object, why: str) -> None:
    notes.append(f"{field}: {shown(value)} {why}")


def number(value: object, field: str, notes: list[str]) -> float | None:
    """A finite real within ±2**53, or None (with a note unless the value is absent).

    Args:
        value: what the upstream sent (None means absent: no note).
        field: the field's name as notes show it.
        notes: where the reason a value was dropped goes.
    """
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        _drop(notes, field, value, "is not a number")
        return None
    if isinstance(value, int) and abs(value) > LIMIT:
        _drop(notes, field, value, "is too large")
        return None
    if not math.isfinite(value):
        _drop(notes, field, value, "is not a finite number")
        return None
    if abs(value) > LIMIT:
        _drop(notes, field, value, "is too large")
        return None
    return float(value)


def count(value: object, field: str, notes: list[str]) -> int | None:
    """A non-negative whole number, or None with a note naming the field and the value."""
    figure = number(value, field, notes)
    if figure is None:
        return None
    if figure < 0:
        _drop(notes, field, value, "is not a count (negative)")
        return None
    if not figure.is_integer():
        _drop(notes, field, value, "is not a count (fractional)")
        return None
    return int(figure)


def non_negative(value: object, field: str, notes: list[str]) -> float | None:
    """A number from 0 (a duration, an age, a size), or None with a note."""
    figure = number(value, field, notes)
    if figure is not None and figure < 0:
        _drop(notes, field, value, "is negative")
        return None
    return figure


def percent(value: object, field: str, notes: list[str]) -> float | None:
    """A percentage from 0 to 100, or None with a note."""
    figure = number(value, field, notes)
    if figure is not None and not 0.0 <= figure <= 100.0:
        _drop(notes, field, value, "is not a percentage (0-100)")
        return None
    return figure


def timestamp(
    value: object,
    field: str,
    notes: list[str],
    *,
    now: float,
    not_before: float | None = None,
    not_before_what: str = "its start",
    skew: float = CLOCK_SKEW,
) -> float | None:
    """Unix seconds in a believable range, or None with a note.

    Args:
        value: what the upstream sent.
        field: the field's name as notes show it.
        notes: where the reason a value was dropped goes.
        now: our clock.
        not_before: the earliest the value may be (e.g. when its conversation began).
        not_before_what: what `not_before` is, for the note.
        skew: how far past `now` the upstream's clock may run.
    """
    figure = number(value, field, notes)
    if figure is None:
        return None
    if figure > now + skew:
        _drop(notes, field, value, "is in the future")
        return None
    if figure < EARLIEST:
        _drop(notes, field, value, "is before 2000")
        return None
    if not_before is not None and figure < not_before:
        _drop(notes, field, value, f"is before {not_before_what}")
        return None
    return figure
