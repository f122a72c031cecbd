"""The alert history dialog: every state change, ack and notification of one alert."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Static

from collectors.inert import inert
from tui.dialogs.frame import Dialog
from widgets.keyed_table import KeyedTable, Row

__all__ = ["HISTORY_COLUMNS", "AlertHistoryDialog"]

HISTORY_COLUMNS = ("time", "kind", "from → to", "value", "who", "note")
"""The columns of the history table."""


class AlertHistoryDialog(Dialog[None]):
    """An alert's events, oldest first, in a scrolling table.

    | Key | Does |
    | :- | :- |
    | up / down | scroll |
    | escape / h | close |

    Args:
        alert_id: the alert's id (in the title).
        what: the alert in a line (untrusted).
        rows: the events, from `tui.panels.alert_lines.history_rows`.
    """

    DEFAULT_CSS = """
    AlertHistoryDialog > .dialog-box {
        width: 110;
    }
    AlertHistoryDialog KeyedTable {
        height: auto;
        max-height: 20;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close"),
        Binding("h", "cancel", "Close", show=False),
    ]

    def __init__(self, alert_id: int, what: str, rows: Sequence[Row]) -> None:
        super().__init__(f"History of alert #{alert_id}", "Escape or h closes")
        self._what = what
        self._rows = list(rows)

    def compose_dialog(self) -> ComposeResult:
        """The alert, then its events."""
        yield Static(Text(inert(self._what), style="bold"))
        yield KeyedTable(HISTORY_COLUMNS, id="history")

    def on_mount(self) -> None:
        """Fill the table."""
        table = self.query_one("#history", KeyedTable)
        table.show(self._rows)
        table.focus()
