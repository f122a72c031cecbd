"""The firing alerts, one line each: severity, since when, value, summary, source, ack.

The lines can be chosen (up/down, j/k): the highlight stays on its alert (by
id) from one refresh to the next, so the screens showing this list act on the
alert the person chose (`selected_id`), never on whichever moved under the cursor.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.widgets import Static

from collectors.inert import inert
from tui.data.alert_values import alert_value
from tui.data.reader import StoreReader
from tui.panels.base import LivePanel
from tui.panels.key_metrics import firing_alerts
from widgets.line_list import LineList
from widgets.vocab import SEVERITY_ICONS, flag_label, severity_label

__all__ = ["FiringLine", "FiringPanel"]


@dataclass(frozen=True, slots=True)
class FiringLine:
    """One firing alert as the list shows it."""

    id: int
    """The alert's id in the alert book."""
    severity: str
    started_at: float
    value: str
    summary: str
    """The rule's summary, or its name (untrusted: drawn inert)."""
    source: str
    acknowledged_by: str | None


class FiringPanel(LivePanel[tuple[FiringLine, ...]]):
    """The firing alerts, most severe first, then oldest first; one can be chosen."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"firing--{severity}" for severity in SEVERITY_ICONS}
    """
    | Class | Description |
    | :- | :- |
    | `firing--critical` | The severity of a critical alert (likewise error, warning, info). |
    """

    DEFAULT_CSS = """
    /* Filling the panel, a list given one more alert is not resized: sized to its
       lines, it showed a scrollbar until the next layout took it away (two more). */
    FiringPanel > LineList {
        height: 1fr;
    }
    FiringPanel > .firing--critical {
        color: $error;
        text-style: bold reverse;
    }
    FiringPanel > .firing--error {
        color: $error;
        text-style: bold;
    }
    FiringPanel > .firing--warning {
        color: $warning;
        text-style: bold;
    }
    FiringPanel > .firing--info {
        color: $primary;
    }
    FiringPanel > .firing-empty {
        color: $text-muted;
    }
    """

    _title: str | None = None
    """The border title last set."""

    def compose_body(self) -> ComposeResult:
        """The list, and the line shown when it is empty."""
        yield LineList(id=f"{self.id or 'firing'}-list")
        yield Static("no alert is firing", classes="firing-empty", markup=False)

    @property
    def selected_id(self) -> int | None:
        """The id of the highlighted alert, or None when none is firing."""
        key = self.query_one(LineList).highlighted_key
        return None if key is None else int(key)

    async def gather(self, reader: StoreReader) -> tuple[FiringLine, ...]:
        """The firing alerts with their values in their series' units (the catalogue's)."""
        now = reader.now()
        firing = await firing_alerts(reader, now)
        return tuple(
            FiringLine(
                id=alert.id,
                severity=str(alert.severity),
                started_at=alert.started_at,
                value=alert_value(alert, reader.rules),
                summary=alert.summary or alert.rule,
                source=alert.labels.get("source", ""),
                acknowledged_by=alert.acknowledged_by,
            )
            for alert in firing
        )

    def tick(self, now: float) -> bool:
        """Nothing here moves with time alone: an alert fires until a write says otherwise."""
        return True

    def present(self, data: tuple[FiringLine, ...]) -> None:
        """Write the list; the title only when its count changed (setting it redraws the panel)."""
        title = f"Firing alerts ({len(data)})"
        if title != self._title:
            self._title = self.border_title = title
        lines: list[tuple[str, Text]] = []
        for line in data:
            text = Text()
            style = self.get_component_rich_style(
                f"firing--{line.severity}", partial=True, default=Style.null()
            )
            text.append(f"{severity_label(line.severity):<10}", style)
            text.append(f" {time.strftime('%H:%M:%S', time.localtime(line.started_at))}")
            text.append(f" {line.value:>7}  ", "bold")
            text.append(inert(line.summary))
            if line.source:
                text.append(f" · {inert(line.source)}", "dim")
            if line.acknowledged_by is not None:
                text.append(f" · {flag_label('acked')} by {inert(line.acknowledged_by)}", "dim")
            lines.append((str(line.id), text))
        self.query_one(LineList).show(lines)
        self.query_one(LineList).display = bool(lines)
        self.query_one(".firing-empty", Static).display = not lines
