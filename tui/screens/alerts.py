"""The Alerts screen: firing, pending and recently resolved alerts; acknowledge, silence, history.

Two panels, each a `LivePanel`:

* **Alerts**: the alert book's visible alerts (`AlertBook.visible`) in a
  table, firing first by severity, then pending, then resolved, newest first
  within each, with a detail pane for the row under the cursor (summary,
  labels, who acknowledged it and why, the silence muting it).
* **Silences**: the silences that have not ended.

Acknowledgements and silences are written through the alert book's own
durable connection, so they work under `--attach` too and every other
process sees them at its next read. A write that cannot be done (the alert
resolved meanwhile, a read-only database) becomes a one-line notification.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import DataTable, Input, Static

from collectors.alerts.book import AlertBookError, AlertRow, Silence
from collectors.alerts.rules import Rule
from collectors.alerts.state import AlertState
from collectors.inert import inert
from tui.data.reader import StoreReader
from tui.panels.alert_lines import (
    SEVERITY_FILTERS,
    SILENCE_COLUMNS,
    alert_detail,
    alert_line,
    ordered,
    silence_row,
)
from tui.panels.base import LivePanel
from tui.screens import SCREENS
from tui.screens.alert_actions import AlertActionsScreen
from tui.screens.text_filter import FilteredScreen
from widgets.alert_table import AlertTable
from widgets.keyed_table import KeyedTable

__all__ = ["AlertsPanel", "AlertsScreen", "AlertsView", "SilencesPanel", "SilencesView"]

TEXT_FILTER_HINT = "/ filter: a rule, label or word of the summary (Enter: back to the table)"


@dataclass(frozen=True, slots=True)
class AlertsView:
    """What the alerts panel read: the visible alerts, in order, and the live silences."""

    now: float
    alerts: tuple[AlertRow, ...]
    silences: tuple[Silence, ...]
    rules: Mapping[str, Rule] = field(default_factory=dict)
    """The rules in force by name: each value's unit, statistic and window."""
    rewound: bool = False
    """Whether `now` is a past moment on view (read-only: nothing is acknowledged there)."""


@dataclass(frozen=True, slots=True)
class SilencesView:
    """What the silences panel read."""

    now: float
    silences: tuple[Silence, ...]


class AlertsPanel(LivePanel[AlertsView]):
    """The alerts table, filtered by severity, and the detail of the highlighted alert."""

    DEFAULT_CSS = """
    AlertsPanel > AlertTable {
        height: 1fr;
    }
    AlertsPanel > .alert-detail {
        height: auto;
        max-height: 6;
        border-top: solid $panel-lighten-2;
    }
    AlertsPanel > .absent {
        color: $text-muted;
    }
    """

    def __init__(self, title: str = "", *, id: str | None = None) -> None:
        super().__init__(title, id=id)
        self._view = AlertsView(0.0, (), ())
        self._filter = 0
        self._text = ""
        self._detail: Text | None = None

    def compose_body(self) -> ComposeResult:
        """The text filter (`/` goes there), the table, the empty line, the detail pane."""
        yield Input(
            placeholder=TEXT_FILTER_HINT, id="alert-filter", classes="text-filter", compact=True
        )
        yield AlertTable(id="alert-table")
        yield Static("", classes="absent", markup=False)
        yield Static("", classes="alert-detail")

    async def gather(self, reader: StoreReader) -> AlertsView:
        """The visible alerts in screen order, and the silences that have not ended."""
        now = reader.now()
        alerts = ordered(await reader.book.visible(now))
        silences = tuple(await reader.book.silences(now))
        return AlertsView(now, tuple(alerts), silences, reader.rules, reader.as_of is not None)

    def present(self, data: AlertsView) -> None:
        """Draw the view through the current filter."""
        self._view = data
        self._draw()

    @property
    def filter_name(self) -> str:
        """The severity filter in use (`all`, `critical`, `error+`, `warning+`, `info`)."""
        return SEVERITY_FILTERS[self._filter][0]

    def cycle_filter(self) -> None:
        """Move to the next severity filter and redraw at once."""
        self._filter = (self._filter + 1) % len(SEVERITY_FILTERS)
        self._draw()

    def filter_text(self, text: str) -> None:
        """Show only the alerts whose rule, labels, summary, severity or state hold `text`."""
        self._text = text.strip().lower()
        self._draw()

    @property
    def shown(self) -> list[AlertRow]:
        """The alerts the filters let through, in screen order."""
        allowed = SEVERITY_FILTERS[self._filter][1]
        return [
            a
            for a in self._view.alerts
            if a.severity in allowed and (not self._text or self._text in _searchable(a))
        ]

    @property
    def selected(self) -> AlertRow | None:
        """The alert under the table's cursor."""
        key = self.query_one(AlertTable).cursor_key
        return next((a for a in self._view.alerts if str(a.id) == key), None)

    def _draw(self) -> None:
        view, shown = self._view, self.shown
        rules = [a.rule for a in shown]
        table = self.query_one(AlertTable)
        table.show_alerts(
            [
                alert_line(
                    a, view.silences, view.now, view.rules, with_labels=rules.count(a.rule) > 1
                )
                for a in shown
            ]
        )
        had_focus = table.has_focus
        table.display = bool(shown)
        # Keys go to the screen while the table is empty, not to the filter box.
        if had_focus and not shown:
            self.screen.set_focus(None)
        elif shown and self.screen.focused is None:
            table.focus()
        absent = self.query_one(".absent", Static)
        absent.display = not shown
        if not view.alerts:
            absent.update("No alert is firing or pending, and none resolved in the last 15 min.")
        elif not shown and self._text:
            absent.update(f"No alert matches ‘{inert(self._text)}’: / changes the filter.")
        elif not shown:
            absent.update(f"No {self.filter_name} alerts: press f to change the filter.")
        title = self._title(view, shown)
        if title != self.border_title:
            self.border_title = title
        self._draw_detail()

    def _title(self, view: AlertsView, shown: list[AlertRow]) -> str:
        counts = [
            f"{sum(1 for a in view.alerts if a.state is state)} {state}"
            for state in (AlertState.FIRING, AlertState.PENDING, AlertState.RESOLVED)
        ]
        title = "Alerts · " + " · ".join(counts)
        if self._filter:
            title += f" · filter {self.filter_name}"
        if self._text:
            title += f" · matching ‘{inert(self._text)}’"
        if self._filter or self._text:
            title += f": {len(shown)} shown"
        return title

    def _draw_detail(self) -> None:
        alert = self.selected if self.shown else None
        view = self._view
        text = (
            alert_detail(alert, view.silences, view.now, view.rules, rewound=view.rewound)
            if alert
            else Text("")
        )
        detail = self.query_one(".alert-detail", Static)
        detail.display = alert is not None
        if text != self._detail:
            self._detail = text
            detail.update(text)

    @on(DataTable.RowHighlighted, "#alert-table")
    def _highlighted(self) -> None:
        self._draw_detail()


def _searchable(alert: AlertRow) -> str:
    """What `/` looks in: rule, labels, summary, severity and state, in lower case."""
    labels = " ".join(f"{key}={value}" for key, value in alert.labels.items())
    return f"{alert.rule} {labels} {alert.summary} {alert.severity} {alert.state}".lower()


class SilencesPanel(LivePanel[SilencesView]):
    """The silences that have not ended; `u` ends the highlighted one."""

    DEFAULT_CSS = """
    SilencesPanel > KeyedTable {
        height: auto;
        max-height: 6;
    }
    SilencesPanel > .absent {
        color: $text-muted;
    }
    """

    def compose_body(self) -> ComposeResult:
        """The table and the line shown when there is no silence."""
        yield KeyedTable(SILENCE_COLUMNS, id="silence-table")
        yield Static(
            "No silence. Press s on an alert to silence its rule.", classes="absent", markup=False
        )

    async def gather(self, reader: StoreReader) -> SilencesView:
        """The silences that have not ended, soonest end first."""
        now = reader.now()
        return SilencesView(now, tuple(await reader.book.silences(now)))

    def present(self, data: SilencesView) -> None:
        """Show the silences, or the line saying there are none."""
        table = self.query_one(KeyedTable)
        table.show([silence_row(s, data.now) for s in data.silences])
        table.display = bool(data.silences)
        self.query_one(".absent", Static).display = not data.silences

    @property
    def selected(self) -> int | None:
        """The id of the silence under the table's cursor."""
        key = self.query_one(KeyedTable).cursor_key
        return int(key) if key is not None else None


class AlertsScreen(FilteredScreen, AlertActionsScreen):
    """The Alerts screen: what is firing, pending or just resolved, and what to do about it.

    | Key | Does |
    | :- | :- |
    | up / down | choose an alert (its detail shows below the table) |
    | a | acknowledge the alert (asks for an optional note) |
    | s | silence the alert's rule (asks how long and why) |
    | h / enter | the alert's history |
    | f | cycle the severity filter: all, critical, error+, warning+, info |
    | / | filter by text (rule, labels, summary); Enter or Escape back to the table |
    | n / N | next / previous alert shown (wraps) |
    | escape | back to the screen before |
    | u | end the silence highlighted in the silences table |
    | tab | move between the alerts and the silences |
    """

    TITLE = SCREENS["alerts"].TITLE
    AUTO_FOCUS = "#alert-table"
    # Not DEFAULT_CSS: the shared stylesheet's `LivePanel { height: auto }` would win.
    CSS = """
    AlertsPanel {
        height: 1fr;
    }
    SilencesPanel {
        max-height: 9;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("f", "cycle_filter", "Filter"),
        Binding("u", "end_silence", "Unsilence"),
    ]
    NO_MATCH = "No alert matches the filter."

    def compose_panels(self) -> ComposeResult:
        """The alerts above the silences."""
        yield AlertsPanel("Alerts", id="alerts")
        yield SilencesPanel("Silences", id="silences")

    def chosen_alert_id(self) -> int | None:
        """The alert under the table's cursor (it stays there by id when the alert resolves)."""
        alert = self.query_one(AlertsPanel).selected
        return None if alert is None else alert.id

    def nothing_chosen(self) -> str:
        """What to say when a key needs an alert and the table has none."""
        return "No alert is selected."

    async def action_end_silence(self) -> None:
        """End the silence highlighted in the silences table."""
        if self.refused_while_rewound("end a silence"):
            return
        silence_id = self.query_one(SilencesPanel).selected
        reader = self._reader
        if silence_id is None or reader is None:
            self.notify("There is no silence to end.", severity="warning")
            return
        try:
            await reader.book.end_silence(silence_id, reader.now(), by=reader.user)
        except AlertBookError as exc:
            self.notify(inert(str(exc)), title="Not ended", severity="error", markup=False)
            return
        self.notify(f"Silence {silence_id} ended")
        await self._reread()

    # ------------------------------------------------------------------ filter

    @on(DataTable.RowSelected, "#alert-table")
    async def _selected(self) -> None:
        await self.action_history()

    def action_cycle_filter(self) -> None:
        """Show the next severity filter."""
        self.query_one(AlertsPanel).cycle_filter()

    def filter_changed(self, text: str) -> None:
        """Show only the alerts that hold `text`."""
        self.query_one(AlertsPanel).filter_text(text)

    def step_match(self, step: int) -> bool:
        """Move the table's cursor to the next (or previous) alert shown, wrapping."""
        table = self.query_one(AlertTable)
        if not table.row_count:
            return False
        table.move_cursor(row=(table.cursor_row + step) % table.row_count)
        table.focus()
        return True

    def results(self) -> Widget | None:
        """The alerts table."""
        return self.query_one(AlertTable)
