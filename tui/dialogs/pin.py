"""The pin dialog (`p`): when the incident began, typed or taken from the alert chosen.

The time-input dialog of `tui.dialogs.moment` with the pin's words: the field
starts with a suggestion (the moment on view while rewound, else the chosen
alert's start, else the first firing alert's, else now) and says where it
comes from while the field reads as it; any other moment `parse_moment`
reads can be typed instead. Returns the moment (unix time), or None when
cancelled.
"""

from __future__ import annotations

from collections.abc import Callable

from tui.data.moment import MOMENT_FORMATS
from tui.dialogs.moment import MomentDialog

__all__ = ["PinDialog"]


class PinDialog(MomentDialog):
    """Asks when the incident began, starting from a suggested alert start.

    | Key | Does |
    | :- | :- |
    | enter | pin the time read |
    | escape | cancel |

    Args:
        suggested: the time the field starts with (unix time).
        why: where the suggestion comes from (`the chosen alert #14's start`).
        clock: the current time (the screens' clock).
        pinned: the incident start pinned now, for `pin` (None: nothing pinned).
    """

    def __init__(
        self, suggested: float, why: str, clock: Callable[[], float], pinned: float | None
    ) -> None:
        super().__init__(
            title="Pin the incident start",
            hint="Enter pins · Escape cancels",
            question=f"When did the incident begin? ({MOMENT_FORMATS})",
            field="pin",
            clock=clock,
            pinned=pinned,
            suggested=suggested,
            why=why,
        )
