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

from dataclasses import dataclass
from typing import ClassVar

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from collectors.alerts.book import AlertBookError, AlertRow, Silence
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
from tui.screens.alert_actions import AlertActionsScreen
from widgets.alert_table import AlertTable
from widgets.keyed_table import KeyedTable

__all__ = ["AlertsPanel", "AlertsScreen", "AlertsView", "SilencesPanel", "SilencesView"]


@dataclass(frozen=True, slots=True)
class AlertsView:
    """What the alerts panel read: the visible alerts, in order, and the live silences."""

    now: float
    alerts: tuple[AlertRow, ...]
    silences: tuple[Silence, ...]


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
        self._detail: Text | None = None

    def compose_body(self) -> ComposeResult:
        """The table, the line shown when it is empty, the detail pane."""
        yield AlertTable(id="alert-table")
        yield Static("", classes="absent", markup=False)
        yield Static("", classes="alert-detail")

    async def gather(self, reader: StoreReader) -> AlertsView:
        """The visible alerts in screen order, and the silences that have not ended."""
        now = reader.now()
        alerts = ordered(await reader.book.visible(now))
        return AlertsView(now, tuple(alerts), tuple(await reader.book.silences(now)))

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

    @property
    def shown(self) -> list[AlertRow]:
        """The alerts the filter lets through, in screen order."""
        allowed = SEVERITY_FILTERS[self._filter][1]
        return [a for a in self._view.alerts if a.severity in allowed]

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
                alert_line(a, view.silences, view.now, with_labels=rules.count(a.rule) > 1)
                for a in shown
            ]
        )
        table.display = bool(shown)
        absent = self.query_one(".absent", Static)
        absent.display = not shown
        if not view.alerts:
            absent.update("No alert is firing or pending, and none resolved in the last 15 min.")
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
            title += f" · filter {self.filter_name}: {len(shown)} shown"
        return title

    def _draw_detail(self) -> None:
        alert = self.selected if self.shown else None
        view = self._view
        text = alert_detail(alert, view.silences, view.now) if alert else Text("")
        detail = self.query_one(".alert-detail", Static)
        detail.display = alert is not None
        if text != self._detail:
            self._detail = text
            detail.update(text)

    @on(DataTable.RowHighlighted, "#alert-table")
    def _highlighted(self) -> None:
        self._draw_detail()


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


class AlertsScreen(AlertActionsScreen):
    """The Alerts screen: what is firing, pending or just resolved, and what to do about it.

    | Key | Does |
    | :- | :- |
    | up / down | choose an alert (its detail shows below the table) |
    | a | acknowledge the alert (asks for an optional note) |
    | s | silence the alert's rule (asks how long and why) |
    | h / enter | the alert's history |
    | f | cycle the severity filter: all, critical, error+, warning+, info |
    | u | end the silence highlighted in the silences table |
    | tab | move between the alerts and the silences |
    """

    TITLE = "Alerts"
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
        silence_id = self.query_one(SilencesPanel).selected
        reader = self._reader
        if silence_id is None or reader is None:
            self.notify("There is no silence to end.", severity="warning")
            return
        try:
            await reader.book.end_silence(silence_id, reader.now())
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
