"""The motion keys on-call people have in their fingers (less, vim, k9s, htop).

`j`/`k` move down and up a line, `g`/`G` go to the top and the bottom. Each
scrolling widget maps them onto its own actions (a table's cursor, a pane's
scroll), beside the arrows, home/end and page keys it already has. They are
never shown in the footer, only in the key reference (`?`).
"""

from __future__ import annotations

from textual.binding import Binding, BindingType

__all__ = ["motion_bindings"]


def motion_bindings(*, down: str, up: str, top: str, bottom: str) -> list[BindingType]:
    """`j`, `k`, `g` and `G` bound to a widget's own down, up, top and bottom actions.

    Args:
        down: the action that moves one line down (`cursor_down`, `scroll_down`).
        up: the action that moves one line up.
        top: the action that goes to the first line.
        bottom: the action that goes to the last line.
    """
    return [
        Binding("j", down, "Down", show=False),
        Binding("k", up, "Up", show=False),
        Binding("g", top, "Top", show=False),
        Binding("G", bottom, "Bottom", show=False),
    ]
