"""The time windows a screen can look at (5 m, 1 h, 24 h, 7 d) and the spans they cover.

A short window ends now. A long one (a day or more) ends at the last whole
minute: its figures are then a merge of finished minute rollups that stays
the same for a minute, so `ReadCache` can keep it instead of merging ten
thousand sketches on every refresh.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Final

__all__ = ["DEFAULT_WINDOW", "WINDOWS", "Span", "Window"]

_SETTLED_FROM: Final = 86400.0
"""Windows this long or longer end at the last whole minute."""
_SLOT_MIN: Final = 10.0
"""The shortest chart slot: a 5-minute window has at most 30."""
_SLOT_MIN_LONG: Final = 60.0
"""The shortest chart slot from an hour up: whole minutes, read from the rollups."""


@dataclass(frozen=True, slots=True)
class Span:
    """A stretch of time `[start, end)` to read."""

    start: float
    end: float
    settled: bool = False
    """Whether it ends at a whole minute already past, so a read of it can be kept."""

    @property
    def seconds(self) -> float:
        """Its length."""
        return self.end - self.start

    def grid(self, cells: int) -> tuple[Span, int]:
        """The span a chart `cells` wide draws, and how many equal slots it cuts it into.

        One slot per cell, but none shorter than 10 s (a minute from an hour
        up): shorter slots would mostly fall between two polls. A slot of a
        minute or more is a whole number of minutes, so each minute's rollup
        falls in the slot that holds it and a slot's window is the true window
        of its data. The grid ends at the last slot boundary: the chart shows
        finished slots only, so it changes (and is drawn again) once a slot,
        not on every poll.
        """
        shortest = _SLOT_MIN_LONG if self.seconds >= 3600 else _SLOT_MIN
        step = max(shortest, self.seconds / max(1, cells))
        if step >= 60:
            step = math.ceil(step / 60) * 60.0
        slots = max(1, math.ceil(self.seconds / step - 1e-9))
        end = math.floor(self.end / step) * step
        return Span(end - slots * step, end, self.settled), slots


@dataclass(frozen=True, slots=True)
class Window:
    """A named window length."""

    label: str
    seconds: float

    def span(self, now: float) -> Span:
        """The window ending now (or at the last whole minute, for a long window)."""
        if self.seconds >= _SETTLED_FROM:
            end = math.floor(now / 60) * 60.0
            return Span(end - self.seconds, end, settled=True)
        return Span(now - self.seconds, now)

    def previous(self, now: float) -> Span:
        """The window of the same length just before `span(now)`, for trends."""
        current = self.span(now)
        return Span(current.start - self.seconds, current.start, settled=current.settled)


WINDOWS: Final = (
    Window("5m", 300.0),
    Window("1h", 3600.0),
    Window("24h", 86400.0),
    Window("7d", 7 * 86400.0),
)
"""The windows of the Latency and SLA screens, in the order `w` cycles through them."""

DEFAULT_WINDOW: Final = WINDOWS[1]
"""An hour: seed 001's sample window."""
