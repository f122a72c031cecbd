"""Rewind (as-of mode) arithmetic: where `[` and `]` go, and how the tab bar says the moment.

A step moves to the neighbouring slot boundary of the screen's chart, so
that every press shifts the chart by exactly one slot and the tab bar shows a
round time (`⏪ as of 03:12:00`). Stepping forward never passes now: the step
that would reach it returns to live (None).

Acknowledging, silencing and ending a silence are refused while rewound
(`rewound_refusal`): they act on the alerts of now, while a rewound view shows
them as they were, and an on-call person must see what they act on. Plain
functions, no Textual.
"""

from __future__ import annotations

import math
import time
from typing import Final

__all__ = ["AS_OF_ICON", "as_of_label", "rewound_refusal", "step_moment"]

AS_OF_ICON: Final = "⏪"
"""The icon before `as of` while the view is rewound (never the only sign: the words follow)."""


def step_moment(moment: float | None, step: float, direction: int, now: float) -> float | None:
    """The moment one slot before (`direction` -1) or after (+1) `moment`; None means live.

    Args:
        moment: the moment on view, or None when live (then the step starts from now).
        step: the screen's slot in seconds.
        direction: -1 for `[`, +1 for `]`.
        now: the live time (a step forward that reaches it is live).
    """
    at = now if moment is None else moment
    if direction < 0:
        # The boundary strictly before: a moment between two boundaries goes to the earlier.
        return (math.ceil(at / step) - 1) * step
    if moment is None:
        return None
    ahead = (math.floor(at / step) + 1) * step
    return None if ahead >= now else ahead


def as_of_label(moment: float, now: float) -> str:
    """`⏪ as of 03:12:00`, with the date when the moment is not on the day of `now`."""
    local = time.localtime(moment)
    same_day = local[:3] == time.localtime(now)[:3]
    stamp = time.strftime("%H:%M:%S" if same_day else "%Y-%m-%d %H:%M:%S", local)
    return f"{AS_OF_ICON} as of {stamp}"


def rewound_refusal(doing: str, moment: float, now: float) -> str:
    """The one-line notice refusing `doing` (e.g. `acknowledge`) while the view shows `moment`."""
    return f"Showing {as_of_label(moment, now)}: return to live (Esc) to {doing}"
