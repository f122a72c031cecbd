"""The table of alerts: severity, rule, value, ack mark, then state, since and summary.

The columns an on-call person needs come first, so that at 80 columns they are
on screen: severity, rule, value and the ack / silence mark. Rule and marks are
cut to fixed widths with an ellipsis (an ack note never widens the table); the
whole text is in the alerts screen's detail pane.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Final

from rich.text import Text

from collectors.inert import inert
from widgets.keyed_table import KeyedTable
from widgets.vocab import alert_state_label, severity_label

__all__ = ["COLUMNS", "AlertLine", "AlertTable"]

COLUMNS: Final = ("severity", "rule", "value", "ack", "state", "since", "summary")
"""The column titles, left to right."""
RULE_WIDTH: Final = 28
"""The rule column's width: longer names are cut with an ellipsis."""
MARK_WIDTH: Final = 12
"""The ack / silence column's width: `✓ ana: on it`, `🔕 11:30`, `≈ flapping`."""
SUMMARY_WIDTH: Final = 40
"""The summary column's width, so that at 120 columns the table ends inside the screen."""
_SHORT_MARKS: Final = (("✓ acked by ", "✓ "), ("🔕 silenced until ", "🔕 "))


@dataclass(frozen=True, slots=True)
class AlertLine:
    """One row of the table: plain text, shown inert."""

    key: str
    """Identifies the row (the alert's id) across refreshes."""
    severity: str
    """`critical`, `error`, `warning` or `info`."""
    state: str
    """`firing`, `pending` or `resolved`."""
    since: str
    """When it entered its state (`11:08`)."""
    rule: str
    """The rule's name, with the alert's labels."""
    notes: str
    """Ack, silence and flapping marks (`✓ acked by ana: on it`)."""
    value: str
    """The latest checked value."""
    summary: str
    """The rule's one-line summary."""


class AlertTable(KeyedTable):
    """Alerts, one per row, in the order given; severity and state are styled per level.

    | Key | Does |
    | :- | :- |
    | up / down | move the cursor |
    | enter | select the row (posts `DataTable.RowSelected`) |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "alert-table--critical",
        "alert-table--error",
        "alert-table--warning",
        "alert-table--info",
        "alert-table--firing",
        "alert-table--pending",
        "alert-table--resolved",
    }
    """
    | Class | Description |
    | :- | :- |
    | `alert-table--critical` ... `--info` | The severity cell of each severity. |
    | `alert-table--firing` ... `--resolved` | The state cell of each state. |
    """

    DEFAULT_CSS = """
    AlertTable > .alert-table--critical {
        color: $error;
        text-style: bold;
    }
    AlertTable > .alert-table--error {
        color: $error;
    }
    AlertTable > .alert-table--warning {
        color: $warning;
    }
    AlertTable > .alert-table--info {
        color: $text-muted;
    }
    AlertTable > .alert-table--firing {
        color: $error;
    }
    AlertTable > .alert-table--pending {
        color: $warning;
    }
    AlertTable > .alert-table--resolved {
        color: $success;
    }
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the table.

        Args:
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(COLUMNS, name=name, id=id, classes=classes, disabled=disabled)
        self._lines: tuple[AlertLine, ...] = ()

    def on_mount(self) -> None:
        """Restyle the rows when the theme changes (the colours are in the cells)."""
        self.watch(self.app, "theme", self._restyle, init=False)

    def show_alerts(self, lines: Sequence[AlertLine], *, rebuild: bool = False) -> None:
        """Show these alerts, updating only what changed."""
        self._lines = tuple(lines)
        self.show([(line.key, self._cells(line)) for line in lines], rebuild=rebuild)

    def _restyle(self) -> None:
        # After the refresh that applies the new theme's colours to the component classes.
        self.call_after_refresh(self.show_alerts, self._lines, rebuild=True)

    def _cells(self, line: AlertLine) -> tuple[Text | str, ...]:
        severity = self._styled(severity_label(line.severity), line.severity)
        state = self._styled(alert_state_label(line.state), line.state)
        rule = _cut(line.rule, RULE_WIDTH)
        mark = _mark(line.notes)
        summary = _cut(line.summary, SUMMARY_WIDTH)
        return (severity, rule, line.value, mark, state, line.since, summary)

    def _styled(self, label: str, word: str) -> Text:
        style = (
            self.get_component_rich_style(f"alert-table--{word}", partial=True)
            if f"alert-table--{word}" in self.COMPONENT_CLASSES
            else ""
        )
        return Text(label, style=style, no_wrap=True, end="")


def _mark(notes: str) -> Text:
    for long, short in _SHORT_MARKS:
        notes = notes.replace(long, short)
    return _cut(notes, MARK_WIDTH)


def _cut(text: str, width: int) -> Text:
    cell = Text(inert(text), no_wrap=True, end="")  # before `Text` drops control characters
    cell.truncate(width, overflow="ellipsis")
    return cell
