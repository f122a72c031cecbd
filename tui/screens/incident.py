"""The Incident view (key 7): what on-call watches while an incident is on.

From the top:

* the incident clock: the pinned start (`p` asks when, suggesting the chosen
  alert's start: `03:12`, `-25m`, a date and time; `P` unpins;
  `wootwatch export` starts its window there), when and by whom it was set
  (`⚑ pinned 03:12:00 (set 03:20:05 by amy)`), and the time elapsed since it;
* the firing alerts, most severe first, then oldest first (the first alert
  to fire is often nearest the cause); `a`, `s` and `h` act on the one
  chosen (`tui.screens.alert_actions`);
* sparklines of the last 30 minutes: the series the firing alerts are about
  first, then the headline numbers; Tab and Enter (or a click) open the logs
  of a slot;
* the incident timeline (`tui.panels.timeline`): alert changes, acks,
  silences, notes, source changes and error bursts from the pinned start
  (else the last 30 minutes), newest first; Enter on one rewinds every
  screen to its time, `n` adds a note;
* the newest error lines of the log cache, newest first.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, replace
from typing import ClassVar, Final

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import OptionList, Static

from collectors.alerts.annotations import Pin
from collectors.base import format_duration
from collectors.inert import inert
from tui.data.reader import StoreReader
from tui.panels.base import LivePanel
from tui.panels.chart_panel import ChartPanel
from tui.panels.firing import FiringPanel
from tui.panels.key_metrics import (
    KEY_METRICS,
    MetricSpec,
    alarm_for,
    alert_targets,
    firing_alerts,
    read_metric,
    series_by_source,
    spec_for,
)
from tui.panels.text_list import TextListPanel
from tui.panels.timeline import TimelinePanel
from tui.screens import SCREENS
from tui.screens.alert_actions import AlertActionsScreen
from widgets.metric_grid import MetricGrid
from widgets.metric_row import MetricReading
from widgets.vocab import ago

__all__ = ["ChartsPanel", "IncidentClock", "IncidentScreen", "NewestErrors"]

WINDOW: Final = 1800.0
"""Seconds of history in the incident view's sparklines and error lines."""
MAX_CHARTS: Final = 8
"""Sparklines shown: the alerts' series, then headline numbers, up to this many."""
MAX_ERRORS: Final = 50
"""Newest error lines shown."""


def _stamp(ts: float, now: float) -> str:
    """Local time of day, with the date when it is not within the last day."""
    return time.strftime("%H:%M:%S" if now - ts < 86400 else "%Y-%m-%d %H:%M", time.localtime(ts))


def _set(pin: Pin, now: float) -> str:
    """` (set 03:20:05 by amy)`: when and by whom, as far as recorded."""
    when = "" if pin.set_at is None else f" {_stamp(pin.set_at, now)}"
    by = "" if pin.set_by is None else f" by {inert(pin.set_by)}"
    return f" (set{when}{by})" if when or by else ""


@dataclass(frozen=True, slots=True)
class ClockData:
    """What the incident clock shows."""

    now: float
    pinned: Pin | None
    first_firing: float | None
    """When the earliest firing alert started; None when none fires."""
    firing: int


class IncidentClock(LivePanel[ClockData]):
    """The pinned incident start and the time elapsed since it, on one line."""

    def compose_body(self) -> ComposeResult:
        """One line."""
        yield Static("", id="incident-clock-line")

    async def gather(self, reader: StoreReader) -> ClockData:
        """The pin and the firing alerts."""
        now = reader.now()
        firing = await firing_alerts(reader, now)
        first = min((a.started_at for a in firing), default=None)
        return ClockData(now, await reader.book.pin(), first, len(firing))

    def present(self, data: ClockData) -> None:
        """Write the line."""
        self.set_class(data.pinned is not None, "-pinned")
        firing = f"{data.firing} firing"
        if data.pinned is not None:
            elapsed = format_duration(max(0.0, data.now - data.pinned.start))
            line = (
                f"⚑ pinned {_stamp(data.pinned.start, data.now)}{_set(data.pinned, data.now)} · "
                f"{elapsed} elapsed · {firing} · P unpins"
            )
        elif data.first_firing is not None:
            since = ago(max(0.0, data.now - data.first_firing))
            line = (
                f"○ start not pinned · first alert {_stamp(data.first_firing, data.now)}, "
                f"{since} · {firing} · p pins it"
            )
        else:
            line = "○ start not pinned · no alert firing · p pins now"
        clock = self.query_one("#incident-clock-line", Static)
        clock.update(Text(line, no_wrap=True, end=""), layout=False)  # always one line


@dataclass(frozen=True, slots=True)
class ChartsData:
    """What the charts panel shows."""

    window: tuple[float, float]
    readings: tuple[MetricReading, ...]


class ChartsPanel(ChartPanel[ChartsData]):
    """Sparklines of the last 30 minutes: the alerts' series first, then the headlines."""

    def compose_body(self) -> ComposeResult:
        """The grid of numbers and a line for when there are none."""
        yield Static("no data in the last 30 minutes", classes="empty")
        yield MetricGrid()

    async def gather(self, reader: StoreReader) -> ChartsData:
        """Read the most relevant numbers."""
        now = reader.now()
        window, points = await self.chart_window(now, WINDOW)
        store = reader.store
        by_source = await series_by_source(store)
        targets = alert_targets(await firing_alerts(reader, now), reader.rules)
        wanted: list[tuple[str, MetricSpec]] = []
        for target in targets:
            sources = [target.source] if target.source is not None else list(by_source)
            wanted.extend((source, spec_for(target)) for source in sources)
        headlines = [spec for spec in KEY_METRICS if spec.headline]
        wanted.extend((source, spec) for spec in headlines for source in by_source)
        marks = await self.note_marks(reader, window, points)
        readings: list[MetricReading] = []
        seen: set[tuple[str, MetricSpec]] = set()
        for source, spec in wanted:
            if len(readings) >= MAX_CHARTS or (source, spec) in seen:
                continue
            seen.add((source, spec))
            alarm = alarm_for(spec, source, targets)
            reading = await read_metric(
                store, spec, by_source.get(source, []), window, points, now=now, alarm=alarm
            )
            if reading is not None:
                readings.append(replace(reading, marks=marks.on([source])))
        return ChartsData(window, tuple(readings))

    def present(self, data: ChartsData) -> None:
        """Update the grid in place."""
        self.window = data.window
        self.query_one(".empty", Static).display = not data.readings
        self.query_one(MetricGrid).readings = data.readings


@dataclass(frozen=True, slots=True)
class ErrorLine:
    """One cached error line."""

    id: int
    ts: float
    where: str
    """The log group's last part, else the source (untrusted)."""
    message: str
    """As the upstream sent it (untrusted)."""


class NewestErrors(TextListPanel[tuple[ErrorLine, ...]]):
    """The newest error lines of the last 30 minutes, newest first."""

    async def gather(self, reader: StoreReader) -> tuple[ErrorLine, ...]:
        """Read the newest lines at level `error`."""
        now = reader.now()
        lines = await reader.newest_logs(level="error", start=now - WINDOW, limit=MAX_ERRORS)
        return tuple(
            ErrorLine(line.id, line.ts, line.group.rsplit("/", 1)[-1] or line.source, line.message)
            for line in lines
        )

    def present(self, data: tuple[ErrorLine, ...]) -> None:
        """Write the lines, inert."""
        lines = [
            Text.assemble(
                (time.strftime("%H:%M:%S", time.localtime(line.ts)), "dim"),
                (f"  {inert(line.where)}  ", "bold"),
                inert(line.message),
            )
            for line in data
        ]
        self.show_lines(lines, "no error line in the last 30 minutes")


class IncidentScreen(AlertActionsScreen):
    """Firing alerts, the sparklines that matter, the newest errors, the incident clock.

    | Key | Does |
    | :- | :- |
    | p | pin the incident start: a typed time, or the chosen alert's start |
    | P | unpin the incident start |
    | tab / shift+tab | move between the sparklines and lists |
    | enter | on a sparkline: the logs of its slot; on the timeline: rewind to the entry |
    | n | add a note to the timeline |
    | a / s / h | acknowledge, silence, history of the alert chosen in the firing list |
    """

    TITLE = SCREENS["incident"].TITLE
    LOOKBACK = WINDOW
    CSS = """
    IncidentScreen #incident-clock {
        border: none;
        padding: 0 1;
        color: $text-muted;
    }
    IncidentScreen #incident-clock.-pinned {
        color: $warning;
        text-style: bold;
    }
    IncidentScreen #firing, IncidentScreen #timeline, IncidentScreen #errors {
        height: 1fr;
        min-height: 3;
    }
    IncidentScreen #incident-clock-line {
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    IncidentScreen #charts .empty {
        color: $text-muted;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("p", "app.pin_incident", "Pin start"),
        Binding("P", "app.unpin_incident", "Unpin"),
        Binding("n", "app.annotate", "Note"),
        Binding("tab", "app.focus_next", "Next chart"),
        Binding("shift+tab", "app.focus_previous", "Previous chart", show=False),
    ]

    def chosen_alert_id(self) -> int | None:
        """The alert highlighted in the firing list."""
        return self.query_one(FiringPanel).selected_id

    def nothing_chosen(self) -> str:
        """There is nothing to act on."""
        return "No alert is firing."

    @on(OptionList.OptionSelected, "#firing-list")
    async def _alert_selected(self) -> None:
        await self.action_history()

    def compose_panels(self) -> ComposeResult:
        """Clock, alerts, charts, timeline, errors."""
        yield IncidentClock(id="incident-clock")
        yield FiringPanel("Firing alerts", id="firing")
        yield ChartsPanel(f"Last {int(WINDOW // 60)} min · the alerts' series first", id="charts")
        yield TimelinePanel("Timeline", window=WINDOW, id="timeline")
        yield NewestErrors(f"Newest errors · last {int(WINDOW // 60)} min", id="errors")
