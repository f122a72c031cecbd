"""The firing alerts, one line each: severity, since when, value, summary, source, ack."""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar

from rich.style import Style
from rich.text import Text

from collectors.inert import inert
from tui.data.alert_values import alert_value
from tui.data.reader import StoreReader
from tui.panels.key_metrics import firing_alerts
from tui.panels.text_list import TextListPanel
from widgets.vocab import SEVERITY_ICONS, flag_label, severity_label

__all__ = ["FiringLine", "FiringPanel"]


@dataclass(frozen=True, slots=True)
class FiringLine:
    """One firing alert as the list shows it."""

    severity: str
    started_at: float
    value: str
    summary: str
    """The rule's summary, or its name (untrusted: drawn inert)."""
    source: str
    acknowledged_by: str | None


class FiringPanel(TextListPanel[tuple[FiringLine, ...]]):
    """The firing alerts, most severe first, then oldest first."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {f"firing--{severity}" for severity in SEVERITY_ICONS}
    """
    | Class | Description |
    | :- | :- |
    | `firing--critical` | The severity of a critical alert (likewise error, warning, info). |
    """

    DEFAULT_CSS = """
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
    """

    async def gather(self, reader: StoreReader) -> tuple[FiringLine, ...]:
        """The firing alerts with their values in their series' units (the catalogue's)."""
        now = reader.now()
        firing = await firing_alerts(reader, now)
        return tuple(
            FiringLine(
                severity=str(alert.severity),
                started_at=alert.started_at,
                value=alert_value(alert, reader.rules),
                summary=alert.summary or alert.rule,
                source=alert.labels.get("source", ""),
                acknowledged_by=alert.acknowledged_by,
            )
            for alert in firing
        )

    def present(self, data: tuple[FiringLine, ...]) -> None:
        """Write the list."""
        self.border_title = f"Firing alerts ({len(data)})"
        lines = []
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
            lines.append(text)
        self.show_lines(lines, "no alert is firing")
