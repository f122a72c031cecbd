"""An SVG snapshot of every widget's canonical states (issue 15), one small app each.

Each app composes one widget in the states a user meets (ok, warning,
critical, no data, empty), fed plain values, in UTC, so the snapshots are
the same on every machine. `pytest --snapshot-update` rewrites them after a
deliberate change of look.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import ClassVar

import pytest
from rich.text import Text
from textual.app import App, ComposeResult
from textual.binding import Binding, BindingType
from textual.pilot import Pilot
from textual.widget import Widget
from textual.widgets import Static

from widgets.alert_table import AlertLine, AlertTable
from widgets.backlog_banner import BacklogBanner
from widgets.choice_bar import ChoiceBar
from widgets.key_footer import KeyFooter
from widgets.keyed_table import KeyedTable
from widgets.latency_bars import BarRow, LatencyBars
from widgets.line_list import LineList
from widgets.log_pane import LogLine, LogPane
from widgets.metric_grid import MetricGrid
from widgets.metric_row import MetricReading, MetricRow
from widgets.queue_row import QueueHeader, QueueLine, QueueRow
from widgets.reading_cell import Reading, ReadingCell
from widgets.screen_tabs import ScreenTabs
from widgets.severity_counts import SeverityCounts
from widgets.sla_gauge import GaugeReading, SlaGauge
from widgets.source_row import SourceRow, SourceView
from widgets.spark_line import SparkLine
from widgets.state_badge import StateBadge
from widgets.time_chart import ChartData, ChartLine, TimeChart

T0 = 1_800_000_000.0
"""A fixed moment for the widgets that show times (drawn in UTC)."""
WAVE = (1.0, 3.0, None, 4.0, 8.0, 5.0, 2.0, 6.0, 9.0, 7.0)
"""A history with a gap (no data) in it."""
READINGS = (
    MetricReading("API p95", "412ms", WAVE),
    MetricReading("pending", "31", WAVE, alarm=True, marks=(8,)),
    MetricReading("reply SLA", "–"),
)


class _Harness(App[None]):
    """One widget's states, stacked; `height` fixes the height of each (else auto)."""

    def __init__(self, make: Callable[[], Sequence[Widget]], height: int | None = None) -> None:
        super().__init__()
        self._make = make
        self._height = height

    def compose(self) -> ComposeResult:
        for widget in self._make():
            widget.styles.height = self._height if self._height is not None else "auto"
            yield widget


def _alert_table() -> Sequence[Widget]:
    return [AlertTable()]


def _fill_alert_table(pilot: Pilot[None]) -> None:
    lines = [
        AlertLine(str(n), severity, state, "11:08", f"rule_{n} source=sidekiq", notes, "51", "")
        for n, (severity, state, notes) in enumerate(
            (
                ("critical", "firing", "✓ acked by ana: on it"),
                ("error", "firing", "🔕 silenced until 12:00"),
                ("warning", "pending", "≈ flapping"),
                ("info", "resolved", ""),
            )
        )
    ]
    pilot.app.query_one(AlertTable).show_alerts(lines)


def _keyed_table() -> Sequence[Widget]:
    return [KeyedTable(("queue", "jobs"), widths=(12, None))]


def _fill_keyed_table(pilot: Pilot[None]) -> None:
    pilot.app.query_one(KeyedTable).show([("a", ("default", "434")), ("b", ("mailers", "885"))])


class _KeysOfAScreen(Static, can_focus=True):
    """A focused widget with keys of its own, so the footer has a screen's keys to list."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("a", "ack", "Ack"),
        Binding("s", "silence", "Silence"),
        Binding("h", "history", "History"),
    ]


def _key_footer() -> Sequence[Widget]:
    return [_KeysOfAScreen("keys"), KeyFooter()]


def _fill_key_footer(pilot: Pilot[None]) -> None:
    pilot.app.query_one(_KeysOfAScreen).focus()


def _line_list() -> Sequence[Widget]:
    return [LineList()]


def _fill_line_list(pilot: Pilot[None]) -> None:
    items = [
        ("7", Text("✖ critical 11:06:55  8.6s  Chatwoot API latency is critical · chatwoot")),
        ("9", Text("◆ error    11:07:15   885  queue depth over 50 on webhooks · sidekiq " * 2)),
        ("12", Text("⚠ warning  11:08:05 11.1%  webhook deliveries failing")),
    ]
    lines = pilot.app.query_one(LineList)
    lines.show(items)
    lines.focus()
    lines.highlighted = 1


def _log_pane() -> Sequence[Widget]:
    return [LogPane(follow=False)]


def _fill_log_pane(pilot: Pilot[None]) -> None:
    levels = ("error", "warning", "info", "debug", "")
    lines = [
        LogLine(T0 + n, level, "web", f"{level or 'plain'} line: timeout reached", ((6, 13),))
        for n, level in enumerate(levels)
    ]
    pilot.app.query_one(LogPane).set_lines(lines)


CASES: dict[str, tuple[Callable[[], Sequence[Widget]], int | None, object]] = {
    "alert_table": (_alert_table, 8, _fill_alert_table),
    "backlog_banner": (
        lambda: [
            BacklogBanner(n, where="chatwoot", backlog_above=10, urgent_above=20)
            for n in (None, 4, 15, 31)
        ],
        None,
        None,
    ),
    "choice_bar": (
        lambda: [ChoiceBar(("15m", "1h", "6h", "24h"), label="window", hint="[ ]", selected=1)],
        None,
        None,
    ),
    "key_footer": (_key_footer, None, _fill_key_footer),
    "keyed_table": (_keyed_table, 5, _fill_keyed_table),
    "line_list": (_line_list, 5, _fill_line_list),
    "latency_bars": (
        lambda: [
            LatencyBars(
                (
                    BarRow("< 1 s", 0.7, "70%", "ok", "ok"),
                    BarRow("1–5 s", 0.2, "20%", "slow", "warning"),
                    BarRow("> 5 s", 0.1, "10%", "late", "error"),
                    BarRow("unknown", 0.0, "0%"),
                )
            ),
            LatencyBars(()),
        ],
        None,
        None,
    ),
    "log_pane": (_log_pane, 7, _fill_log_pane),
    "metric_grid": (lambda: [MetricGrid(READINGS, cell_width=30)], None, None),
    "metric_row": (lambda: [MetricRow(reading) for reading in READINGS], None, None),
    "queue_row": (
        lambda: [
            QueueHeader("queue", "depth", "wait", "detail"),
            *(
                QueueRow(QueueLine(name, Reading(text, WAVE, level, mark), wait, detail))
                for name, text, level, mark, wait, detail in (
                    ("default", "12", "ok", "", Reading("0.5s", WAVE), "2 busy"),
                    (
                        "mailers",
                        "434",
                        "warning",
                        "deep",
                        Reading("12s", WAVE, "warning", "late"),
                        None,
                    ),
                    ("webhooks", "885", "error", "deep", Reading("–"), "failing"),
                )
            ),
        ],
        None,
        None,
    ),
    "reading_cell": (
        lambda: [
            ReadingCell(Reading("97.5%", WAVE), label="ok"),
            ReadingCell(Reading("434", WAVE, "warning", "deep", notes=(4,)), label="warning"),
            ReadingCell(Reading("885", WAVE, "error", "deep"), label="error"),
            ReadingCell(None, label="none"),
        ],
        None,
        None,
    ),
    "screen_tabs": (
        lambda: [
            ScreenTabs(
                [(m, str(k), m.title()) for k, m in enumerate(("overview", "latency", "sla"), 1)],
                "latency",
            )
        ],
        None,
        None,
    ),
    "severity_counts": (
        lambda: [
            SeverityCounts({"critical": 5, "error": 2, "warning": 4, "info": 0}, pending=1),
            SeverityCounts({}),
        ],
        None,
        None,
    ),
    "sla_gauge": (
        lambda: [
            SlaGauge(GaugeReading("reply SLA", v, p, "1h", target=95.0, floor=85.0))
            for v, p in ((97.5, 96.0), (90.0, 93.0), (70.0, 70.0), (None, None))
        ],
        None,
        None,
    ),
    "source_row": (
        lambda: [
            SourceRow(SourceView(name, state, age, detail, READINGS[:2]), cell_width=30)
            for name, state, age, detail in (
                ("chatwoot", "ok", 12.0, ""),
                ("sidekiq", "stale", 95.0, "no new data"),
                ("sqs", "down", None, "connection refused"),
                ("logs", "no data", 5.0, "nothing to read"),
            )
        ],
        None,
        None,
    ),
    "spark_line": (
        lambda: [SparkLine(WAVE), SparkLine(WAVE, marks=(2, 7)), SparkLine(())],
        1,
        None,
    ),  # the second: annotations in slots 2 (no data) and 7, in reverse video
    "state_badge": (
        lambda: [
            StateBadge(state, age=age)
            for state, age in (("ok", 12.0), ("stale", 95.0), ("down", None), ("no data", 5.0))
        ],
        None,
        None,
    ),
    "time_chart": (
        lambda: [
            TimeChart(
                ChartData(
                    T0,
                    T0 + 1800,
                    (
                        ChartLine("p95", (400.0, 900.0, None, 5200.0, 800.0)),
                        ChartLine("p50", (200.0, 300.0, None, 900.0, 250.0)),
                    ),
                    "ms",
                    marks=(3,),  # an annotation: a vertical line, ┴ on the time axis
                )
            )
        ],
        14,
        None,
    ),
}
"""Widget module to (its widgets in their states, a fixed height or None, what fills them)."""


@pytest.fixture(autouse=True)
def _utc(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_every_widget_module_has_a_snapshot() -> None:
    root = Path(__file__).resolve().parents[2] / "widgets"
    plain = {"__init__", "vocab", "lines", "spark_text", "motion", "sized"}  # helpers, no widget
    assert {p.stem for p in root.glob("*.py")} - plain == set(CASES)


@pytest.mark.parametrize("widget", sorted(CASES))
def test_snapshot(snap_compare: object, widget: str) -> None:
    make, height, fill = CASES[widget]

    async def run_before(pilot: Pilot[None]) -> None:
        if callable(fill):
            fill(pilot)
        await pilot.pause()

    app = _Harness(make, height)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)  # type: ignore[operator]
