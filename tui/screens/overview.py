"""The Overview screen (key 1, the default): every source and every alert at a glance.

From the top: seed 004's backlog banner (past `chatwoot_pending_backlog`'s
threshold in the rules in force is a backlog, past its escalation urgent),
the firing alerts counted by severity,
then one row per source: its state badge (`● ok`, `◐ stale`, `✖ down` and
"updated 12s ago"), its last error when it is not ok, and its key numbers
(`tui.panels.key_metrics`), each with a sparkline of the last hour. A number a
firing alert is about is marked `⚠`. Tab moves between the sparklines; Enter
or a click on one opens the logs of that slot.

At 80x24 a source is its header line and one or a few lines of numbers in
two columns; a wider terminal gets more columns, and a taller one the list
of firing alerts below the sources, where `a`, `s` and `h` act on the alert
chosen (`tui.screens.alert_actions`).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from itertools import pairwise
from typing import ClassVar, Final

from textual import events, on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import OptionList, Static

from collectors.alerts.state import AlertState
from collectors.base import SourceState, SourceStatus
from collectors.series import (
    CHATWOOT_CONVERSATIONS,
)
from collectors.store.database import SeriesInfo, Store
from tui.data.reader import StoreReader
from tui.data.source_badge import worst_of_checks
from tui.data.thresholds import Limit
from tui.panels.base import LivePanel, PanelRead
from tui.panels.chart_panel import ChartPanel
from tui.panels.firing import FiringPanel
from tui.panels.key_metrics import (
    KEY_METRICS,
    AlertTarget,
    MetricSpec,
    alarm_for,
    alert_targets,
    firing_alerts,
    read_metric,
    series_by_source,
)
from tui.screens import SCREENS
from tui.screens.alert_actions import AlertActionsScreen
from widgets.backlog_banner import BacklogBanner
from widgets.metric_row import MetricReading
from widgets.severity_counts import SeverityCounts
from widgets.source_row import SourceRow, SourceView

__all__ = ["AlertStrip", "OverviewScreen", "SourcesPanel"]

WINDOW: Final = 3600.0
"""Seconds of history in an overview sparkline."""
TALL: Final = 32
"""Terminal rows from which the overview lists the firing alerts below the sources."""
_FALLBACK_SERIES: Final = 3
"""Series shown for a source that writes none of the key numbers."""

# Broken sources sort first. At 3 a.m. the question is "what is broken?", and
# at 80x24 a down source at the bottom of a long list would be off screen, with
# nothing in view saying that some numbers have stopped updating. A row moves
# only when its state changes, which is when the eye should go to it. Within a
# state the order is stable: by the first key number a source writes (Chatwoot
# before Sidekiq, the pipeline, AWS and logs), then by name.
_STATE_ORDER: Final = {SourceState.DOWN: 0, SourceState.STALE: 1, SourceState.OK: 2}
_NO_DATA_ORDER: Final = 1.5
"""A source that answers with no data sorts after the failing ones, before the healthy."""


@dataclass(frozen=True, slots=True)
class StripData:
    """What the alert strip shows."""

    counts: tuple[tuple[str, int], ...]
    """Firing alerts per severity."""
    pending_alerts: int
    backlog: int | None
    """Pending conversations of the most backlogged Chatwoot source; None without one."""
    backlog_source: str
    backlog_limit: Limit
    """When the count is a backlog and when urgent (`chatwoot_pending_backlog`)."""


class AlertStrip(LivePanel[StripData]):
    """The backlog banner and the firing alerts counted by severity."""

    async def gather(self, reader: StoreReader) -> StripData:
        """Count the alerts; read the pending conversations."""
        now = reader.now()
        alerts = await reader.book.visible(now)
        counts: dict[str, int] = defaultdict(int)
        for alert in alerts:
            if alert.state is AlertState.FIRING:
                counts[str(alert.severity)] += 1
        pending = await reader.store.series(CHATWOOT_CONVERSATIONS, labels={"status": "pending"})
        worst = max(
            (s for s in pending if s.last_value is not None),
            key=lambda s: s.last_value or 0.0,
            default=None,
        )
        return StripData(
            counts=tuple(sorted(counts.items())),
            pending_alerts=sum(a.state is AlertState.PENDING for a in alerts),
            backlog=None if worst is None or worst.last_value is None else round(worst.last_value),
            backlog_source="" if worst is None else worst.source,
            backlog_limit=reader.thresholds.backlog,
        )

    def compose_body(self) -> ComposeResult:
        """Banner, then the counts."""
        yield BacklogBanner()
        yield SeverityCounts()

    def present(self, data: StripData) -> None:
        """Set the banner and the counts."""
        banner = self.query_one(BacklogBanner)
        banner.where = data.backlog_source
        banner.backlog_above = data.backlog_limit.warn
        banner.urgent_above = data.backlog_limit.crit
        banner.pending = data.backlog
        counts = self.query_one(SeverityCounts)
        counts.counts, counts.pending = data.counts, data.pending_alerts

    def tick(self, now: float) -> bool:
        """Nothing here moves with time alone: firing and pending alerts, a count."""
        return True


@dataclass(frozen=True, slots=True)
class SourcesData:
    """What the sources panel shows."""

    window: tuple[float, float]
    """The sparklines' time window."""
    points: int
    """Points read per sparkline (one a cell)."""
    sources: tuple[SourceView, ...]
    """In the order shown."""
    updated: tuple[float | None, ...]
    """When each source last updated, in the order shown (its age moves with the clock)."""


class SourcesPanel(ChartPanel[SourcesData]):
    """One `SourceRow` per source that has reported, broken ones first."""

    def compose_body(self) -> ComposeResult:
        """The rows (mounted as sources appear) and a line for when there are none."""
        yield Static("no source has reported yet: waiting for the first poll", classes="empty")
        yield VerticalScroll(id="source-rows", can_focus=False)

    async def gather(self, reader: StoreReader) -> SourcesData:
        """Each source's state and key numbers."""
        now = reader.now()
        window, points = await self.chart_window(now, WINDOW)
        store = reader.store
        by_source = await series_by_source(store)
        targets = alert_targets(await firing_alerts(reader, now), reader.rules)
        ranked: list[tuple[tuple[float, int, str], SourceView, float | None]] = []
        for name, status in (await reader.source_statuses()).items():
            rank, metrics = await _source_metrics(
                store, name, by_source.get(name, []), targets, window, points, now
            )
            state, detail = worst_of_checks(
                status.shown_state, _detail(status), by_source.get(name, [])
            )
            view = SourceView(name, state, _age(status, now), detail, metrics)
            order = _NO_DATA_ORDER if status.no_data else _STATE_ORDER.get(SourceState(state), 0)
            ranked.append(((order, rank, name), view, status.last_success))
        ranked.sort(key=lambda ranking: ranking[0])
        marks = await self.note_marks(reader, window, points)
        return SourcesData(
            window,
            points,
            tuple(_marked(view, marks.on([view.source])) for _, view, _ in ranked),
            tuple(updated for _, _, updated in ranked),
        )

    def tick(self, now: float) -> bool:
        """The ages, from when each source last updated; False once the charts' slots move."""
        drawn = self._drawn
        if drawn is None or self._failed or not self.laid_out():
            return False  # a read waits for new sparklines' widths: one point a cell
        if self.window_at(now, WINDOW) != (drawn.window, drawn.points):
            return False
        views = tuple(
            replace(view, age=_shown_age(None if updated is None else now - updated))
            for view, updated in zip(drawn.sources, drawn.updated, strict=True)
        )
        self.show(PanelRead(data=replace(drawn, sources=views)))
        return True

    def present(self, data: SourcesData) -> None:
        """Update the rows in place; mount, remove or move only the ones that changed."""
        self.window = data.window
        self.query_one(".empty", Static).display = not data.sources
        container = self.query_one("#source-rows", VerticalScroll)
        current = list(container.query_children(SourceRow))
        rows = {row.view.source: row for row in current}
        ordered: list[SourceRow] = []
        for view in data.sources:
            row = rows.pop(view.source, None)
            if row is None:
                row = SourceRow(view)
                container.mount(row)
            else:
                row.view = view
            ordered.append(row)
        for gone in rows.values():
            gone.remove()
        kept = [row for row in current if row in ordered]
        if kept + [row for row in ordered if row not in kept] != ordered:
            for previous, row in pairwise(ordered):
                container.move_child(row, after=previous)


def _marked(view: SourceView, marks: tuple[int, ...]) -> SourceView:
    """The view with the annotations' slots marked on its sparklines."""
    return replace(view, metrics=tuple(replace(m, marks=marks) for m in view.metrics))


async def _source_metrics(
    store: Store,
    source: str,
    series: Sequence[SeriesInfo],
    targets: Sequence[AlertTarget],
    window: tuple[float, float],
    points: int,
    now: float,
) -> tuple[int, tuple[MetricReading, ...]]:
    """The rank of the source's first key number, and its readings."""
    rank, readings = len(KEY_METRICS), []
    for index, spec in enumerate(KEY_METRICS):
        if not spec.overview:
            continue
        alarm = alarm_for(spec, source, targets)
        reading = await read_metric(store, spec, series, window, points, now=now, alarm=alarm)
        if reading is not None:
            rank = min(rank, index)
            readings.append(reading)
    if not readings:  # a source of its own kind (a JSON endpoint): its first few series
        for info in series[:_FALLBACK_SERIES]:
            spec = MetricSpec(info.name, info.name, labels=tuple(info.labels.items()))
            reading = await read_metric(store, spec, [info], window, points, now=now)
            if reading is not None:
                readings.append(reading)
    return rank, tuple(readings)


def _age(status: SourceStatus, now: float) -> float | None:
    return _shown_age(None if status.last_success is None else now - status.last_success)


def _shown_age(age: float | None) -> float | None:
    """The age in the steps its badge shows (`vocab.ago`): a refresh within a step draws nothing."""
    if age is None:
        return None
    step = 10.0 if age < 60 else 60.0
    return age // step * step


def _detail(status: SourceStatus) -> str:
    return status.detail or ("" if status.state is SourceState.OK else "no new data")


class OverviewScreen(AlertActionsScreen):
    """Every source at a glance: state, key numbers with sparklines, alerts, backlog.

    | Key | Does |
    | :- | :- |
    | tab / shift+tab | move between the sparklines |
    | enter | open the logs of the slot under the sparkline's cursor |
    | left / right | move a sparkline's cursor |
    | a / s / h | acknowledge, silence, history of the alert chosen in the firing list |
    """

    TITLE = SCREENS["overview"].TITLE
    LOOKBACK = WINDOW
    CSS = """
    OverviewScreen #alert-strip {
        border: none;
        padding: 0 1;
    }
    OverviewScreen #sources {
        height: 1fr;
    }
    OverviewScreen #overview-firing {
        display: none;
    }
    OverviewScreen.-tall #sources {
        height: auto;
    }
    OverviewScreen.-tall #source-rows {
        height: auto;
        max-height: 60vh;
    }
    OverviewScreen.-tall #overview-firing {
        display: block;
        height: 1fr;
    }
    OverviewScreen #sources .empty {
        color: $text-muted;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "app.focus_next", "Next chart"),
        Binding("shift+tab", "app.focus_previous", "Previous chart", show=False),
    ]

    def compose_panels(self) -> ComposeResult:
        """The alert strip, the sources, and (on a tall terminal) the firing alerts."""
        yield AlertStrip(id="alert-strip")
        yield SourcesPanel(f"Sources · last {int(WINDOW // 60)} min", id="sources")
        yield FiringPanel("Firing alerts", id="overview-firing")

    def chosen_alert_id(self) -> int | None:
        """The alert highlighted in the firing list, when the list is on view."""
        panel = self.query_one(FiringPanel)
        return panel.selected_id if self.has_class("-tall") else None

    def nothing_chosen(self) -> str:
        """Say where to choose an alert: the list below the sources, or the alerts screen."""
        if self.has_class("-tall"):
            return "No alert is firing."
        return f"No alert is chosen: the firing list shows from {TALL} rows; 5 opens the alerts."

    @on(OptionList.OptionSelected)
    async def _alert_selected(self) -> None:
        await self.action_history()

    def on_resize(self, event: events.Resize) -> None:
        """List the firing alerts too when the terminal is tall enough."""
        self.set_class(event.size.height >= TALL, "-tall")
