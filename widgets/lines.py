"""Several lines of `Text` as one renderable, each cut to the widget's width.

Textual wraps a rendered `Text` at the widget's width whatever its `no_wrap`
says, so a widget whose lines must never wrap (a bar, a gauge) cuts each
line itself, with an ellipsis.
"""

from __future__ import annotations

from collections.abc import Iterable

from rich.text import Text

__all__ = ["fit_lines"]


def fit_lines(lines: Iterable[Text], width: int) -> Text:
    """The lines joined by newlines, each cut to `width` cells with an ellipsis."""
    fitted = Text(end="", no_wrap=True)
    for index, line in enumerate(lines):
        if index:
            fitted.append("\n")
        line = line.copy()
        line.truncate(max(1, width), overflow="ellipsis")
        fitted.append_text(line)
    return fitted
