"""Horizontal bars, one row each: a latency distribution or a breakdown into phases."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Final

from rich.text import Text
from textual.app import RenderResult
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget

from collectors.inert import inert
from widgets.lines import fit_lines
from widgets.vocab import TONE_ICONS, Tone

__all__ = ["BarRow", "LatencyBars", "bar_cells"]

_EIGHTHS: Final = " ▏▎▍▌▋▊▉"


@dataclass(frozen=True, slots=True)
class BarRow:
    """One bar: a label, how long the bar is, and the numbers shown beside it."""

    label: str
    """What the row is, e.g. `<1s` or `queue → worker`; drawn inert."""
    fraction: float
    """The bar's length as a share (0..1) of the widest bar the widget can draw."""
    value: str
    """The number right of the bar, e.g. `80` or `1.2s`."""
    note: str = ""
    """A second column, left-aligned, e.g. ` 3.3%` or `target <5s`."""
    tone: Tone = "muted"
    """How the row reads; sets its icon and colour."""


def bar_cells(fraction: float, width: int) -> str:
    """A bar of `fraction` (0..1) of `width` cells, in eighths of a cell."""
    if width <= 0 or not math.isfinite(fraction):
        return ""
    eighths = round(min(max(fraction, 0.0), 1.0) * width * 8)
    full, part = divmod(eighths, 8)
    bar = "█" * full + (_EIGHTHS[part] if part else "")
    if not bar and fraction > 0:
        bar = "▏"  # a non-zero count always shows
    return bar


class LatencyBars(Widget):
    """Rows of labelled horizontal bars with their numbers, one row per `BarRow`.

    Each row is `icon label bar value note`; the icon and the bar's colour come
    from the row's tone (`ok`, `warning`, `error`, `muted`).
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "latency-bars--ok",
        "latency-bars--warning",
        "latency-bars--error",
        "latency-bars--muted",
    }
    """
    | Class | Description |
    | :- | :- |
    | `latency-bars--ok` | Icon and bar of a row within its target. |
    | `latency-bars--warning` | Icon and bar of a row past a warning threshold. |
    | `latency-bars--error` | Icon and bar of a row in breach. |
    | `latency-bars--muted` | Icon and bar of a row that is not judged. |
    """

    DEFAULT_CSS = """
    LatencyBars {
        height: auto;
        width: 1fr;
    }
    LatencyBars > .latency-bars--ok {
        color: $success;
    }
    LatencyBars > .latency-bars--warning {
        color: $warning;
    }
    LatencyBars > .latency-bars--error {
        color: $error;
    }
    LatencyBars > .latency-bars--muted {
        color: $text-muted;
    }
    """

    rows: reactive[tuple[BarRow, ...]] = reactive(())
    """The bars, top to bottom."""
    empty: reactive[str] = reactive("no data in this window")
    """What the widget says when it has no rows."""

    def __init__(
        self,
        rows: Sequence[BarRow] = (),
        *,
        empty: str = "no data in this window",
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the bars.

        Args:
            rows: the bars, top to bottom.
            empty: the line shown when there are no rows.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.set_reactive(LatencyBars.rows, tuple(rows))
        self.set_reactive(LatencyBars.empty, empty)

    def watch_rows(self, old: tuple[BarRow, ...], new: tuple[BarRow, ...]) -> None:
        """Lay the screen out again only when the number of lines changes."""
        if max(1, len(old)) != max(1, len(new)):
            self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """One line per row (the bars never wrap), or one for the empty message."""
        return max(1, len(self.rows))

    def render(self) -> RenderResult:
        """The rows, with the bars as wide as the widget allows."""
        if not self.rows:
            return Text(self.empty, style=self.get_component_rich_style("latency-bars--muted"))
        labels = [inert(row.label) for row in self.rows]
        label_width = max(len(label) for label in labels)
        value_width = max(len(row.value) for row in self.rows)
        note_width = max(len(row.note) for row in self.rows)
        fixed = 2 + label_width + 1 + 1 + value_width + (note_width + 1 if note_width else 0)
        bar_width = max(0, self.size.width - fixed)
        lines = []
        for row, label in zip(self.rows, labels, strict=True):
            style = self.get_component_rich_style(f"latency-bars--{row.tone}")
            line = Text()
            line.append(TONE_ICONS[row.tone], style)
            line.append(f" {label:<{label_width}} ")
            line.append(f"{bar_cells(row.fraction, bar_width):<{bar_width}}", style)
            line.append(f" {row.value:>{value_width}}")
            if note_width:
                line.append(f" {row.note:<{note_width}}")
            lines.append(line)
        return fit_lines(lines, self.size.width)
