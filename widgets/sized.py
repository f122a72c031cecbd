"""A base for leaf widgets whose new size needs no second layout of the screen.

Textual's `Widget.virtual_size` is a reactive that asks for a layout when it
changes, and each layout sets it to every widget's new size. So a layout that
resizes a widget (a metric's note widens its text, its sparkline narrows) is
followed by a second layout of the whole screen, which moves nothing: a widget
that does not scroll and has no children draws to its size, and nothing is
arranged by its virtual size. `SizedByLayout` keeps the repaint its new size
needs and drops that second layout.
"""

from __future__ import annotations

from textual.geometry import Size
from textual.reactive import Reactive
from textual.widget import Widget

__all__ = ["SizedByLayout"]


class SizedByLayout(Widget):
    """A leaf widget that does not scroll: a change of its size is drawn, not laid out again."""

    virtual_size: Reactive[Size] = Reactive(Size(0, 0), layout=False)
    """The size of the content; for a leaf that does not scroll, its own size."""
