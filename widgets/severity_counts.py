"""How many alerts fire at each severity, on one line: `✖ 5 critical  ◆ 2 error  ⚠ 4 warning`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import ClassVar

from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive
from textual.widget import Widget

from widgets.vocab import ALERT_STATE_ICONS, SEVERITY_ICONS

__all__ = ["SeverityCounts"]


class SeverityCounts(Widget):
    """Firing alerts counted by severity, plus how many are pending.

    A severity with none firing is drawn muted; the words are always there.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "severity-counts--critical",
        "severity-counts--error",
        "severity-counts--warning",
        "severity-counts--info",
        "severity-counts--none",
    }
    """
    | Class | Description |
    | :- | :- |
    | `severity-counts--critical` | Critical alerts firing. |
    | `severity-counts--error` | Error alerts firing. |
    | `severity-counts--warning` | Warning alerts firing. |
    | `severity-counts--info` | Info alerts firing. |
    | `severity-counts--none` | A severity with no alert firing, and the pending count. |
    """

    DEFAULT_CSS = """
    SeverityCounts {
        text-wrap: nowrap;
        text-overflow: ellipsis;
        height: 1;
        width: 1fr;
    }
    SeverityCounts > .severity-counts--critical {
        color: $error;
        text-style: bold reverse;
    }
    SeverityCounts > .severity-counts--error {
        color: $error;
        text-style: bold;
    }
    SeverityCounts > .severity-counts--warning {
        color: $warning;
        text-style: bold;
    }
    SeverityCounts > .severity-counts--info {
        color: $primary;
    }
    SeverityCounts > .severity-counts--none {
        color: $text-muted;
    }
    """

    counts: reactive[tuple[tuple[str, int], ...]] = reactive(())
    """Firing alerts per severity, as `(severity, count)` pairs."""
    pending: reactive[int] = reactive(0)
    """Alerts pending (breaching, not yet held long enough to fire)."""

    def __init__(
        self,
        counts: Mapping[str, int] | None = None,
        *,
        pending: int = 0,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the counts.

        Args:
            counts: firing alerts per severity (missing severities count 0).
            pending: alerts pending.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.set_reactive(SeverityCounts.counts, tuple(sorted((counts or {}).items())))
        self.set_reactive(SeverityCounts.pending, pending)

    def render(self) -> RenderResult:
        """`alerts firing: ✖ 5 critical  ◆ 2 error  ⚠ 0 warning  ℹ 0 info  ◐ 1 pending`."""
        counts = dict(self.counts)
        muted = self.get_component_rich_style("severity-counts--none")
        text = Text("alerts firing:", no_wrap=True, overflow="ellipsis", end="")
        for severity, icon in SEVERITY_ICONS.items():
            count = counts.get(severity, 0)
            style = (
                self.get_component_rich_style(f"severity-counts--{severity}") if count else muted
            )
            text.append("  ")
            text.append(f"{icon} {count} {severity}", style)
        text.append(f"  {ALERT_STATE_ICONS['pending']} {self.pending} pending", muted)
        return text
