"""An SLA compliance gauge: the percentage, its band against the target and floor, a bar, the trend.

The target and the floor are plain numbers the caller passes in (the screens
take them from the rules in force, `tui.data.thresholds`); the widget holds none.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import ClassVar, Final

from rich.style import Style
from rich.text import Text
from textual.app import RenderResult
from textual.geometry import Size
from textual.reactive import reactive
from textual.widget import Widget

from collectors.inert import inert
from widgets.latency_bars import bar_cells
from widgets.lines import fit_lines
from widgets.vocab import COMPLIANCE_WORDS, TONE_ICONS, Tone

__all__ = [
    "GaugeReading",
    "SlaGauge",
    "compliance_band",
    "trend_text",
]

_BAR_MIN: Final = 10
"""The bar is never narrower than this, even if the trend is then cut."""
_STEADY: Final = 0.05
"""A change smaller than this (in points) reads as no change."""


def compliance_band(percent: float | None, target: float, floor: float) -> Tone:
    """The band of a compliance percentage: at or above `target` ok, down to `floor` warning.

    Below `floor` is an error; no (finite) percentage is muted.
    """
    if percent is None or not math.isfinite(percent):
        return "muted"
    if percent >= target:
        return "ok"
    return "warning" if percent >= floor else "error"


def trend_text(value: float | None, previous: float | None, window: str) -> tuple[str, str]:
    """The trend against the previous window, e.g. `▲ +2.1 pts vs previous 1h`, and its kind.

    The kind is `up`, `down`, `steady` or `none` (no data in one of the windows).
    """
    if value is None or previous is None:
        return f"no data for the previous {window}", "none"
    delta = value - previous
    if abs(delta) < _STEADY:
        return f"= 0.0 pts vs previous {window}", "steady"
    arrow, kind = ("▲", "up") if delta > 0 else ("▼", "down")
    return f"{arrow} {delta:+.1f} pts vs previous {window}", kind


def _lines(reading: GaugeReading | None) -> int:
    return 3 if reading is not None and reading.detail else 2


@dataclass(frozen=True, slots=True)
class GaugeReading:
    """What one gauge shows."""

    title: str
    """What is measured, e.g. `chatwoot · first reply within 15m`; drawn inert."""
    value: float | None
    """Compliance in percent over the window, or None without data."""
    previous: float | None = None
    """Compliance over the previous window of the same length, for the trend."""
    window: str = ""
    """The window's name, e.g. `1h`."""
    detail: str = ""
    """A muted third line, e.g. the first-response figures behind the percentage."""
    target: float = field(kw_only=True)
    """At or above this percentage is on target (ok)."""
    floor: float = field(kw_only=True)
    """From here up to the target is below target (warning); under it, critical."""


class SlaGauge(Widget):
    """A compliance percentage in its bands, with a bar to 100 % and the trend.

    The widget carries the class `-ok`, `-warning`, `-error` or `-muted` of its
    band; the band's icon and word are always drawn beside the number.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "sla-gauge--ok",
        "sla-gauge--warning",
        "sla-gauge--error",
        "sla-gauge--muted",
        "sla-gauge--up",
        "sla-gauge--down",
        "sla-gauge--target",
    }
    """
    | Class | Description |
    | :- | :- |
    | `sla-gauge--ok` | Number, word and bar at or above the target. |
    | `sla-gauge--warning` | The same from the floor up to the target. |
    | `sla-gauge--error` | The same below the floor. |
    | `sla-gauge--muted` | No data; also the detail line and a steady trend. |
    | `sla-gauge--up` | A trend that improved on the previous window. |
    | `sla-gauge--down` | A trend that worsened. |
    | `sla-gauge--target` | The target mark on the bar. |
    """

    DEFAULT_CSS = """
    SlaGauge {
        height: auto;
        width: 1fr;
    }
    SlaGauge > .sla-gauge--ok, SlaGauge > .sla-gauge--up {
        color: $success;
    }
    SlaGauge > .sla-gauge--warning {
        color: $warning;
    }
    SlaGauge > .sla-gauge--error, SlaGauge > .sla-gauge--down {
        color: $error;
    }
    SlaGauge > .sla-gauge--muted, SlaGauge > .sla-gauge--target {
        color: $text-muted;
    }
    """

    reading: reactive[GaugeReading | None] = reactive(None)
    """What the gauge shows; None draws an empty gauge."""

    def __init__(
        self,
        reading: GaugeReading | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the gauge.

        Args:
            reading: what the gauge shows.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.reading = reading

    @property
    def band(self) -> Tone:
        """The band of the current reading."""
        reading = self.reading
        if reading is None:
            return "muted"
        return compliance_band(reading.value, reading.target, reading.floor)

    def watch_reading(self, old: GaugeReading | None, new: GaugeReading | None) -> None:
        """Carry the band as a class (`-ok`, ...); lay out again if the line count changes."""
        band = self.band
        for tone in COMPLIANCE_WORDS:
            self.set_class(tone == band, f"-{tone}")
        if _lines(old) != _lines(new):
            self.refresh(layout=True)

    def get_content_height(self, container: Size, viewport: Size, width: int) -> int:
        """Two lines, three with a detail line (none of them wraps)."""
        return _lines(self.reading)

    def render(self) -> RenderResult:
        """Title, number and band; the bar and the trend; the detail line if any."""
        reading = self.reading
        if reading is None:
            return Text("")
        band = self.band
        band_style = self.get_component_rich_style(f"sla-gauge--{band}")
        muted = self.get_component_rich_style("sla-gauge--muted")
        head = Text()
        if reading.title:
            head.append(f"{inert(reading.title)}  ")
        number = "–" if reading.value is None else f"{reading.value:.1f}%"
        head.append(f"{TONE_ICONS[band]} {number} {COMPLIANCE_WORDS[band]}", band_style)
        head.append(f" (target ≥{reading.target:g}%)", muted)
        trend, kind = trend_text(reading.value, reading.previous, reading.window)
        trend_class = {"up": "sla-gauge--up", "down": "sla-gauge--down"}.get(kind)
        trend_style = self.get_component_rich_style(trend_class) if trend_class else muted
        width = self.size.width
        bar = self._bar(reading, max(_BAR_MIN, width - len(trend) - 2), band_style)
        bar.append("  ")
        bar.append(trend, trend_style)
        lines = [head, bar]
        if reading.detail:
            lines.append(Text(inert(reading.detail), muted))
        return fit_lines(lines, width)

    def _bar(self, reading: GaugeReading, width: int, style: Style) -> Text:
        """A bar of the reading's percentage, `width` cells long, with a mark at the target."""
        target_cell = min(width - 1, int(width * reading.target / 100))
        filled = "" if reading.value is None else bar_cells(reading.value / 100, width)
        bar = Text()
        bar.append(filled, style)
        if len(filled) <= target_cell:
            bar.append(" " * (target_cell - len(filled)))
            bar.append("┊", self.get_component_rich_style("sla-gauge--target"))
        bar.append(" " * (width - len(bar)))
        return bar
