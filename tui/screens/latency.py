"""The Latency screen: percentiles per series, the distribution, the pipeline's phases, a chart.

Every panel reads the window chosen with `w` (5 m, 1 h, 24 h, 7 d). The row
under the table's cursor is the chosen series: the distribution and the chart
follow it. `l` opens the logs of the chart's highest slot.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import ClassVar, Final

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import DataTable, Static

from tui.data.latency_series import PHASE_TARGETS_MS, LatencySeries, latency_series, phase_series
from tui.data.reader import StoreReader
from tui.data.timeline import annotation_marks
from tui.messages import ShowLogs
from tui.screens import SCREENS
from tui.screens.windowed import WindowedPanel, WindowedScreen, WindowView
from widgets.keyed_table import KeyedTable, Row
from widgets.latency_bars import BarRow, LatencyBars
from widgets.time_chart import ChartData, ChartLine, TimeChart
from widgets.vocab import Tone, format_value

__all__ = ["LatencyScreen"]

_COLUMNS: Final = ("series", "n", "p50", "p95", "p99", "max")
_MIN_LOG_WINDOW: Final = 60.0
"""The logs opened for a peak cover at least this many seconds around it."""
_SLA_MS: Final = 5000.0
"""Seed 001: under 5 s is SLA compliant; 5-10 s a breach; 10 s and beyond critical."""
_CRITICAL_MS: Final = 10000.0
_KEPT_ROWS: Final = 1024
"""Table rows whose cells are kept: a few windows of 200 series."""


async def _latency_series(reader: StoreReader, view: WindowView) -> list[LatencySeries]:
    """The screen's series: one read while the file is unchanged, shared by the panels."""
    store = reader.store
    return await view.reads.current(("latency", store.as_of), lambda: latency_series(store))


async def _chosen_series(reader: StoreReader, view: WindowView) -> LatencySeries | None:
    """The series the table's cursor is on, else the first one."""
    found = await _latency_series(reader, view)
    for series in found:
        if series.key == view.chosen:
            return series
    return found[0] if found else None


# ------------------------------------------------------------------ per series


@dataclass(frozen=True, slots=True)
class _SeriesRow:
    key: str
    label: str
    unit: str
    count: int
    p50: float | None
    p95: float | None
    p99: float | None
    max: float | None


class _SeriesTable(WindowedPanel[tuple[_SeriesRow, ...]]):
    """p50/p95/p99 of every latency series over the window."""

    def compose_body(self) -> ComposeResult:
        yield KeyedTable(_COLUMNS, id="series-table")
        yield Static("no latency series recorded", classes="muted empty", markup=False)

    async def gather(self, reader: StoreReader) -> tuple[_SeriesRow, ...]:
        span = self.view.window.span(reader.now())
        found = await _latency_series(reader, self.view)
        each = await self.view.reads.window_stats_each(
            reader.store, [series.info for series in found], span, buckets=()
        )  # percentiles only: the buckets are the distribution's, of the chosen series
        rows = []
        for series, stats in zip(found, each, strict=True):
            if series.reported:  # a p95 per report: its mean is the window's typical p95
                p50, p95, p99 = None, stats.mean, None
            else:
                p50, p95, p99 = (stats.quantile(q) for q in (0.5, 0.95, 0.99))
            unit, count, high = series.info.unit, stats.count, stats.max
            rows.append(_SeriesRow(series.key, series.label, unit, count, p50, p95, p99, high))
        return tuple(rows)

    def present(self, data: tuple[_SeriesRow, ...]) -> None:
        self.set_titles(f"Latency by series · {self.view.window.label}")
        self.query_one(".empty", Static).display = not data
        table = self.query_one(KeyedTable)
        table.display = bool(data)
        table.show([_cells(row) for row in data])


@functools.lru_cache(maxsize=_KEPT_ROWS)
def _cells(row: _SeriesRow) -> Row:
    """The table's cells of a row, the same objects for the same figures.

    Kept, so a window shown again hands the table the cells it has drawn already.
    """
    numbers = (row.p50, row.p95, row.p99, row.max)
    return row.key, (
        row.label,
        Text(str(row.count), justify="right"),
        *(Text(format_value(value, row.unit), justify="right") for value in numbers),
    )


# ------------------------------------------------------------------ distribution


@dataclass(frozen=True, slots=True)
class _Distribution:
    label: str
    window: str
    rows: tuple[BarRow, ...]
    summary: str


def _bucket_tone(high: float) -> Tone:
    if high <= _SLA_MS:
        return "ok"
    return "warning" if high <= _CRITICAL_MS else "error"


class _DistributionPanel(WindowedPanel[_Distribution | None]):
    """Seed 001's buckets for the chosen series: how many values fell in each."""

    def compose_body(self) -> ComposeResult:
        yield LatencyBars()

    async def gather(self, reader: StoreReader) -> _Distribution | None:
        series = await _chosen_series(reader, self.view)
        if series is None:
            return None
        span = self.view.window.span(reader.now())
        stats = await self.view.reads.window_stats(reader.store, [series.info], span)
        biggest = max((b.count for b in stats.buckets), default=0.0)
        rows = tuple(
            BarRow(
                b.bucket.label,
                b.count / biggest if biggest else 0.0,
                f"{b.count:.0f}",
                f"{b.percent:5.1f}%",
                _bucket_tone(b.bucket.high),
            )
            for b in stats.buckets
        )
        if not stats.count:
            return _Distribution(series.label, self.view.window.label, (), "")
        summary = f"n {stats.count} · mean {format_value(stats.mean, series.info.unit)}"
        return _Distribution(series.label, self.view.window.label, rows, summary)

    def present(self, data: _Distribution | None) -> None:
        bars = self.query_one(LatencyBars)
        if data is None:
            self.set_titles("Distribution")
            bars.rows = ()
            return
        self.set_titles(f"Distribution · {data.label} · {data.window}", data.summary)
        bars.rows = data.rows


# ------------------------------------------------------------------ phases


class _PhasesPanel(WindowedPanel[tuple[BarRow, ...]]):
    """The pipeline's phases: mean time in each, its share, against seed 001's targets."""

    def compose_body(self) -> ComposeResult:
        yield LatencyBars(empty="no pipeline phases recorded")

    async def gather(self, reader: StoreReader) -> tuple[BarRow, ...]:
        span = self.view.window.span(reader.now())
        means = []
        store = reader.store
        phases = await self.view.reads.current(("phases", store.as_of), lambda: phase_series(store))
        each = await self.view.reads.window_stats_each(
            reader.store, [info for _, info in phases], span, buckets=()
        )
        for (name, info), stats in zip(phases, each, strict=True):
            if stats.mean is not None:
                means.append((name, info, stats.mean))
        total = sum(mean for _, _, mean in means)
        rows = []
        for name, info, mean in means:
            target = PHASE_TARGETS_MS.get(info.labels.get("phase", ""))
            tone: Tone = "muted" if target is None else ("ok" if mean < target else "warning")
            share = f"{100 * mean / total:.0f}%" if total else "–"
            judged = "" if target is None else f" · target <{format_value(target, 'ms')}"
            fraction = mean / total if total else 0.0
            rows.append(BarRow(name, fraction, format_value(mean, "ms"), share + judged, tone))
        return tuple(rows)

    def present(self, data: tuple[BarRow, ...]) -> None:
        self.set_titles(f"Pipeline phases · mean · {self.view.window.label}")
        self.query_one(LatencyBars).rows = data


# ------------------------------------------------------------------ chart


@dataclass(frozen=True, slots=True)
class _Chart:
    label: str
    window: str
    data: ChartData | None


class _ChartPanel(WindowedPanel[_Chart | None]):
    """A chart of the chosen series over the window: the mean and the peak of each slot."""

    def __init__(self, title: str, view: WindowView, *, id: str | None = None) -> None:
        super().__init__(title, view, id=id)
        self.shown: ChartData | None = None
        """The data the chart draws now (for `l`, the logs of its peak)."""

    def compose_body(self) -> ComposeResult:
        yield TimeChart()

    async def gather(self, reader: StoreReader) -> _Chart | None:
        series = await _chosen_series(reader, self.view)
        if series is None:
            return None
        span = self.view.window.span(reader.now())
        span, slots = span.grid(self.query_one(TimeChart).plot_width)
        reads, store = self.view.reads, reader.store
        mean, peak = await reads.points_each_way(store, [series.info], span, slots, ("mean", "max"))
        lines = (ChartLine("mean", mean), ChartLine("peak", peak))
        present = any(value is not None for value in peak)
        notes = await reads.current(
            ("notes", store.as_of, span, slots),
            lambda: annotation_marks(reader.book, store, span.start, span.end, slots),
        )
        marks = notes.on([series.info.source])
        chart = ChartData(span.start, span.end, lines, series.info.unit, marks=marks)
        return _Chart(series.label, self.view.window.label, chart if present else None)

    def present(self, data: _Chart | None) -> None:
        self.shown = None if data is None else data.data
        if data is None:
            self.set_titles("Chart")
        else:
            hint = "" if self.shown is None else "l: logs of the peak"
            self.set_titles(f"Chart · {data.label} · {data.window}", hint)
        self.query_one(TimeChart).data = self.shown


# ------------------------------------------------------------------ screen


class LatencyScreen(WindowedScreen):
    """Latency per series, its distribution, the pipeline's phases and a chart.

    | Key | Does |
    | :- | :- |
    | up / down | choose the series (the table's cursor) |
    | s | the next series |
    | w / W | the next / previous window: 5m, 1h, 24h, 7d |
    | l | the logs of the chart's peak |
    | tab | focus the page, to scroll it with the arrows (at 80x24 the chart is below) |
    """

    TITLE = SCREENS["latency"].TITLE
    AUTO_FOCUS = "#series-table"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("s", "next_series", "Series"),
        Binding("l", "logs_of_peak", "Logs of peak"),
    ]
    CSS = """
    LatencyScreen #latency-top {
        height: auto;
    }
    LatencyScreen.-narrow #latency-top {
        layout: vertical;
    }
    LatencyScreen.-wide #series-panel {
        width: 3fr;
    }
    LatencyScreen.-wide #distribution-panel {
        width: 2fr;
    }
    LatencyScreen #series-table {
        height: auto;
        max-height: 14;
    }
    LatencyScreen #chart-panel {
        height: 1fr;
        min-height: 10;
    }
    LatencyScreen .muted {
        color: $text-muted;
    }
    LatencyScreen .empty {
        display: none;  /* until the first read says there is nothing */
    }
    """

    def compose_panels(self) -> ComposeResult:
        """The window selector, then the panels in a scrolling column."""
        yield self.window_bar()
        with VerticalScroll(id="latency-body"):
            with Horizontal(id="latency-top"):
                yield _SeriesTable("Latency by series", self.view, id="series-panel")
                yield _DistributionPanel("Distribution", self.view, id="distribution-panel")
            yield _PhasesPanel("Pipeline phases", self.view, id="phases-panel")
            yield _ChartPanel("Chart", self.view, id="chart-panel")

    def on_data_table_row_highlighted(self, event: DataTable.RowHighlighted) -> None:
        """The cursor moved to another series: the distribution and chart follow it."""
        if event.data_table.id != "series-table":
            return
        key = event.row_key.value
        if key is not None and key != self.view.chosen:
            self.view.chosen = key
            self.reread()

    def action_next_series(self) -> None:
        """Move the cursor to the next series (round to the first after the last)."""
        table = self.query_one("#series-table", DataTable)
        if table.row_count:
            table.move_cursor(row=(table.cursor_row + 1) % table.row_count)

    def action_logs_of_peak(self) -> None:
        """Open the logs of the chart's highest slot (at least a minute around it)."""
        shown = self.query_one(_ChartPanel).shown
        peak = None if shown is None else shown.peak()
        if peak is None:
            self.notify("The chart has no data to pick a peak from.", severity="warning")
            return
        start, end = peak
        pad = max(0.0, (_MIN_LOG_WINDOW - (end - start)) / 2)
        self.post_message(ShowLogs(start - pad, end + pad))
