"""The rewind dialog (`t`): which moment of the recording every screen should show.

The time-input dialog of `tui.dialogs.moment` with the rewind's words: an
empty field (`-15m` as the example) that takes any moment `parse_moment`
reads, `pin` for the pinned incident start. Returns the moment (unix time),
or None when cancelled.
"""

from __future__ import annotations

from collections.abc import Callable

from tui.data.moment import MOMENT_FORMATS
from tui.dialogs.moment import MomentDialog

__all__ = ["RewindDialog"]


class RewindDialog(MomentDialog):
    """Asks for a moment to show every screen as of.

    | Key | Does |
    | :- | :- |
    | enter | rewind to the moment read |
    | escape | cancel (nothing changes) |

    Args:
        clock: the live time (a relative time counts back from it).
        pinned: the pinned incident start, if any.
    """

    def __init__(self, clock: Callable[[], float], pinned: float | None) -> None:
        super().__init__(
            title="Rewind to…",
            hint="Enter rewinds every screen · Escape cancels",
            question=f"Show every screen as of: {MOMENT_FORMATS}",
            field="rewind",
            clock=clock,
            pinned=pinned,
            placeholder="-15m",
        )
