"""The Queues screen: Sidekiq and SQS queues, their depth and wait over the last 30 minutes.

Two panels, each a `LivePanel`:

* **Sidekiq**: one row per queue (`sidekiq.queue.size` and
  `sidekiq.queue.latency_s`, by `queue`), a row for all queues together,
  then busy workers, processes, scheduled, retries, dead, processed and
  failed per minute, each with its sparkline.
* **SQS**: one row per queue: visible messages (`aws.sqs.messages`,
  `state=visible`), the oldest message's age (`aws.sqs.oldest_age_s`, from
  CloudWatch) and the messages in flight and delayed.

Values past the thresholds of the rules in force carry a mark (`tui.data.thresholds`):
an icon and a word, and the sparkline turns to the error colour. Sparklines
cover the 30 minutes up to the current minute, one slot per minute (read from
the rollups, so a source polling every minute leaves no gaps). Picking a
slot (focus a sparkline with Tab, then Enter, or click it) opens the logs of
that minute. A source that is not configured shows one muted line; a source
that is failing shows its state and last error above its rows. `/` shows only
the queues whose name or source holds a text, `n`/`N` step through them
(`FilteredScreen`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import ClassVar, Final, Literal, TypeVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, Vertical, VerticalScroll
from textual.widget import Widget
from textual.widgets import Input, Static

from collectors.base import SourceState
from collectors.inert import inert
from collectors.series import (
    AWS_SQS_MESSAGES,
    AWS_SQS_OLDEST_AGE_S,
    SIDEKIQ_BUSY,
    SIDEKIQ_DEAD,
    SIDEKIQ_FAILED_PER_MIN,
    SIDEKIQ_PROCESSED_PER_MIN,
    SIDEKIQ_PROCESSES,
    SIDEKIQ_QUEUE_LATENCY_S,
    SIDEKIQ_QUEUE_SIZE,
    SIDEKIQ_RETRIES,
    SIDEKIQ_SCHEDULED,
)
from collectors.store.database import SeriesInfo, Store
from tui.data.reader import StoreReader
from tui.data.timeline import NoteMarks, annotation_marks
from tui.messages import ShowLogs
from tui.panels.base import LivePanel
from tui.screens import SCREENS
from tui.screens.text_filter import FilteredScreen
from widgets.queue_row import QueueHeader, QueueLine, QueueRow
from widgets.reading_cell import Level, Reading, ReadingCell
from widgets.spark_line import SparkLine
from widgets.vocab import SOURCE_STATE_ICONS, TONE_ICONS, format_value

__all__ = ["QueueTable", "QueuesScreen", "SidekiqPanel", "SidekiqView", "SqsPanel"]

WINDOW: Final = 1800.0
"""Seconds of history behind every sparkline."""
SLOTS: Final = 30
"""Points per sparkline: one per minute."""
TEXT_FILTER_HINT: Final = "/ filter: a queue's name or source (Enter: back to the charts)"

T = TypeVar("T")
Window = tuple[float, float]
Judge = Callable[[float | None], tuple[Level, str]]

_TOTALS: Final = (
    ("busy workers", SIDEKIQ_BUSY),
    ("processes", SIDEKIQ_PROCESSES),
    ("scheduled", SIDEKIQ_SCHEDULED),
    ("retries", SIDEKIQ_RETRIES),
    ("dead", SIDEKIQ_DEAD),
    ("processed/min", SIDEKIQ_PROCESSED_PER_MIN),
    ("failed/min", SIDEKIQ_FAILED_PER_MIN),
)
"""The Sidekiq totals: label and series, in the order they are shown."""


def sparkline_window(now: float) -> Window:
    """The 30 minutes up to the end of the current minute.

    Aligned to whole minutes, so the slots (and what is drawn) change only
    when a sample arrives, not with every tick of the clock.
    """
    end = (math.floor(now / 60) + 1) * 60.0
    return end - WINDOW, end


@dataclass(frozen=True, slots=True)
class QueueTable:
    """What a queue panel gathered: rows of queues over one window."""

    window: Window
    lines: tuple[QueueLine, ...]
    total: QueueLine | None = None
    """A last row for every queue together, or None."""
    status: str = ""
    """One line about a failing source, empty when every source is fine."""


@dataclass(frozen=True, slots=True)
class SidekiqView:
    """What the Sidekiq panel gathered: the queues and the totals."""

    table: QueueTable
    totals: tuple[Reading, ...]
    """One reading per entry of `_TOTALS`."""


# --------------------------------------------------------------------------- reading the store


def _named(series: Iterable[SeriesInfo], name: str) -> list[SeriesInfo]:
    return [s for s in series if s.name == name]


def _latest(series: Sequence[SeriesInfo], combine: Callable[[list[float]], float]) -> float | None:
    values = [s.last_value for s in series if s.last_value is not None]
    return combine(values) if values else None


async def _reading(
    store: Store,
    series: Sequence[SeriesInfo],
    window: Window,
    judge: Judge | None = None,
    *,
    how: Literal["mean", "max", "sum"] = "sum",
    notes: NoteMarks,
) -> Reading:
    """The latest value of `series` (combined by `how`), its marks and its history.

    `notes` are the window's annotations, marked on the history where they
    concern one of the sources of `series`.
    """
    if not series:
        return Reading("–")
    value = _latest(series, max if how == "max" else sum)
    history = tuple(await store.points(series, *window, SLOTS, how=how))
    level, mark = judge(value) if judge is not None else ("ok", "")
    marks = notes.on({s.source for s in series})
    return Reading(format_value(value, series[0].unit), history, level, mark, marks)


async def _status_line(reader: StoreReader, sources: Iterable[str]) -> str:
    """`✖ sidekiq down: <error>` for each source that is not ok or answers with no data."""
    statuses = await reader.source_statuses()
    parts = []
    for source in sorted(set(sources)):
        status = statuses.get(source)
        if status is None or (status.state is SourceState.OK and not status.no_data):
            continue
        icon = SOURCE_STATE_ICONS.get(status.shown_state, "◐")
        why = status.detail or "no fresh data"
        parts.append(f"{icon} {source} {status.shown_state}: {why} (values as of its last poll)")
    return " · ".join(parts)


# --------------------------------------------------------------------------- panels


class _QueuePanel(LivePanel[T]):
    """A panel of queue rows over one window; a sparkline pick opens the logs of its slot."""

    DEFAULT_CSS = """
    _QueuePanel > .queue-status {
        color: $warning;
    }
    _QueuePanel > .absent {
        color: $text-muted;
    }
    _QueuePanel > .queue-rows {
        height: auto;
    }
    """

    HEADER: ClassVar[tuple[str, str, str, str | None]] = ("queue", "depth", "wait", None)
    """The column titles."""
    ABSENT: ClassVar[str] = ""
    """The muted line shown when no source writes the panel's series."""

    def __init__(self, title: str = "", *, id: str | None = None) -> None:
        super().__init__(title, id=id)
        self._window: Window = (0.0, WINDOW)
        self._rows: list[QueueRow] = []
        self._status = ""
        self._text = ""
        self._title = title

    def compose_body(self) -> ComposeResult:
        """Status line, column titles, rows, and the line for an absent source."""
        yield Static("", classes="queue-status", markup=False)
        yield QueueHeader(*self.HEADER)
        yield Vertical(classes="queue-rows")
        yield Static(self.ABSENT, classes="absent", markup=False)

    def _show_table(self, table: QueueTable) -> None:
        self._window = table.window
        status = self.query_one(".queue-status", Static)
        if table.status != self._status:  # an update lays out the whole screen again
            self._status = table.status
            status.update(Text(inert(table.status)))
        status.display = bool(table.status)
        lines = [*table.lines, *([table.total] if table.total is not None else [])]
        # Reuse the rows on view (their own list: a removal in the DOM takes a moment),
        # add rows for new queues, drop the surplus.
        for row, line in zip(self._rows, lines, strict=False):
            row.line = line
            row.set_class(line is table.total, "-total")
        if len(lines) > len(self._rows):
            new = [
                QueueRow(line, classes="-total" if line is table.total else None)
                for line in lines[len(self._rows) :]
            ]
            self.query_one(".queue-rows", Vertical).mount_all(new)
            self._rows.extend(new)
        for row in self._rows[len(lines) :]:
            row.remove()
        del self._rows[len(lines) :]
        self._filter()

    def filter_text(self, text: str) -> None:
        """Show only the queues whose name or source holds `text` (lower case)."""
        self._text = text
        self._filter()

    @property
    def shown(self) -> list[QueueRow]:
        """The rows the filter lets through, in screen order."""
        return [r for r in self._rows if self._text in f"{r.line.name} {r.line.source}".lower()]

    def _filter(self) -> None:
        shown = self.shown
        for row in self._rows:
            row.display = row in shown
        self.query_one(QueueHeader).display = bool(shown)
        absent = self.query_one(".absent", Static)
        absent.display = not shown
        if self._rows and not shown:
            absent.update(f"No queue matches ‘{inert(self._text)}’: / changes the filter.")
        elif not self._rows:
            absent.update(self.ABSENT)
        title = self._title
        if self._text and self._rows:
            title += f" · matching ‘{inert(self._text)}’: {len(shown)} shown"
        if title != self.border_title:
            self.border_title = title

    def on_spark_line_picked(self, event: SparkLine.Picked) -> None:
        """Open the logs of the picked slot's minutes."""
        event.stop()
        start, end = self._window
        span = end - start
        self.post_message(ShowLogs(start + event.start * span, start + event.end * span))


class SidekiqPanel(_QueuePanel[SidekiqView]):
    """Every Sidekiq queue's depth and latency, all of them together, and the totals."""

    DEFAULT_CSS = """
    SidekiqPanel > .sidekiq-totals {
        grid-size: 2;
        grid-gutter: 0 2;
        height: auto;
        margin-top: 1;
    }
    SidekiqPanel > .sidekiq-totals > ReadingCell {
        height: 1;
    }
    """

    HEADER = ("queue", "depth · 30 min", "wait · 30 min", None)
    ABSENT = "No Sidekiq source writes this database (add a `sidekiq` source to the config)."

    def compose_body(self) -> ComposeResult:
        """The queue rows, then a grid of the totals."""
        yield from super().compose_body()
        with Grid(classes="sidekiq-totals"):
            for label, _ in _TOTALS:
                yield ReadingCell(label=label)

    async def gather(self, reader: StoreReader) -> SidekiqView:
        """Read every Sidekiq series over the window."""
        store = reader.store
        window = sparkline_window(reader.now())
        notes = await annotation_marks(reader.book, store, *window, SLOTS)
        every = await store.series()
        sizes = _by_queue(_named(every, SIDEKIQ_QUEUE_SIZE))
        waits = _by_queue(_named(every, SIDEKIQ_QUEUE_LATENCY_S))
        keys = sorted(sizes.keys() | waits.keys())
        several = len({source for source, _ in keys}) > 1
        limits = reader.thresholds.queues
        deep, slow = _marked(limits.depth_level, "deep"), _marked(limits.wait_level, "slow")
        lines = []
        for source, queue in keys:
            size = sizes.get((source, queue), [])
            wait = waits.get((source, queue), [])
            lines.append(
                QueueLine(
                    f"{source}/{queue}" if several else queue,
                    await _reading(store, size, window, deep, notes=notes),
                    await _reading(store, wait, window, slow, how="max", notes=notes),
                    source=source,
                )
            )
        total = None
        if len(lines) > 1:
            all_sizes = _named(every, SIDEKIQ_QUEUE_SIZE)
            all_waits = _named(every, SIDEKIQ_QUEUE_LATENCY_S)
            total = QueueLine(
                "all queues",
                await _reading(store, all_sizes, window, deep, notes=notes),
                await _reading(store, all_waits, window, slow, how="max", notes=notes),
            )
        totals = []
        for _, name in _TOTALS:
            series = _named(every, name)
            judge = None
            if name == SIDEKIQ_FAILED_PER_MIN:
                processed = _latest(_named(every, SIDEKIQ_PROCESSED_PER_MIN), sum)
                judge = _failures_judge(limits.failures_level, processed)
            totals.append(await _reading(store, series, window, judge, notes=notes))
        sidekiq = {s.source for s in every if s.name.startswith("sidekiq.")}
        status = await _status_line(reader, sidekiq)
        return SidekiqView(QueueTable(window, tuple(lines), total, status), tuple(totals))

    def present(self, data: SidekiqView) -> None:
        """Update the rows and the totals in place."""
        self._show_table(data.table)
        grid = self.query_one(".sidekiq-totals", Grid)
        grid.display = bool(data.table.lines) or any(r.history for r in data.totals)
        for cell, reading in zip(grid.query_children(ReadingCell), data.totals, strict=True):
            cell.reading = reading


def _marked(level: Callable[[float | None], Level], word: str) -> Judge:
    """A judge that marks a level past ok with its tone's icon and `word` (`⚠ deep`)."""

    def judge(value: float | None) -> tuple[Level, str]:
        found = level(value)
        return found, "" if found == "ok" else f"{TONE_ICONS[found]} {word}"

    return judge


def _failures_judge(
    failures: Callable[[float | None, float | None], Level], processed: float | None
) -> Judge:
    return _marked(lambda failed: failures(failed, processed), "failing")


def _by_queue(series: Iterable[SeriesInfo]) -> dict[tuple[str, str], list[SeriesInfo]]:
    found: dict[tuple[str, str], list[SeriesInfo]] = {}
    for info in series:
        found.setdefault((info.source, info.labels.get("queue", "")), []).append(info)
    return found


class SqsPanel(_QueuePanel[QueueTable]):
    """Every SQS queue: visible messages, the oldest message's age, in flight and delayed."""

    HEADER = ("queue", "visible · 30 min", "oldest · 30 min", "flight·delay")
    ABSENT = "No SQS source writes this database (add an `sqs` or `cloudwatch` source)."

    async def gather(self, reader: StoreReader) -> QueueTable:
        """Read the SQS series over the window, by queue name (across sources)."""
        store = reader.store
        window = sparkline_window(reader.now())
        notes = await annotation_marks(reader.book, store, *window, SLOTS)
        every = await store.series()
        messages = _named(every, AWS_SQS_MESSAGES)
        ages = _named(every, AWS_SQS_OLDEST_AGE_S)
        queues = sorted({s.labels.get("queue", "") for s in [*messages, *ages]})
        limits = reader.thresholds.queues
        deep, slow = _marked(limits.depth_level, "deep"), _marked(limits.wait_level, "slow")
        lines = []
        for queue in queues:
            state: dict[str, list[SeriesInfo]] = {}
            for info in messages:
                if info.labels.get("queue", "") == queue:
                    state.setdefault(info.labels.get("state", ""), []).append(info)
            age = [s for s in ages if s.labels.get("queue", "") == queue]
            writers = {s.source for s in [*age, *(s for ss in state.values() for s in ss)]}
            in_flight = _latest(state.get("not_visible", []), sum)
            delayed = _latest(state.get("delayed", []), sum)
            lines.append(
                QueueLine(
                    queue,
                    await _reading(store, state.get("visible", []), window, deep, notes=notes),
                    await _reading(store, age, window, slow, how="max", notes=notes),
                    f"{format_value(in_flight)} · {format_value(delayed)}",
                    " ".join(sorted(writers)),
                )
            )
        sources = {s.source for s in [*messages, *ages]}
        return QueueTable(window, tuple(lines), None, await _status_line(reader, sources))

    def present(self, data: QueueTable) -> None:
        """Update the rows in place."""
        self._show_table(data)


class QueuesScreen(FilteredScreen):
    """The Queues screen: Sidekiq and SQS queues over the last 30 minutes.

    | Key | Does |
    | :- | :- |
    | tab / shift+tab | move between the sparklines |
    | left / right | move along the sparkline (the cursor starts on its peak) |
    | l / enter | open the logs of the highlighted minute |
    | / | filter by text (queue name or source); Enter or Escape back to the charts |
    | n / N | next / previous queue shown (wraps), on its depth sparkline |
    | escape | back to the screen before |
    """

    TITLE = SCREENS["queues"].TITLE
    LOOKBACK = WINDOW
    AUTO_FOCUS = "#queue-scroll"  # not the filter box, which is first
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("tab", "app.focus_next", "Next chart"),
        Binding("l", "logs", "Logs of the minute"),
    ]
    NO_MATCH = "No queue matches the filter."

    def action_logs(self) -> None:
        """Open the logs of the focused sparkline's minute, or focus a sparkline first."""
        focused = self.focused
        if isinstance(focused, SparkLine):
            focused.action_pick()
            return
        sparks = list(self.query(SparkLine))
        if sparks:
            next((s for s in sparks if s.has_class("-alarm")), sparks[0]).focus()

    def filter_changed(self, text: str) -> None:
        """Show only the queues, in both panels, whose name or source holds `text`."""
        for panel in self.query(_QueuePanel):
            panel.filter_text(text)

    def step_match(self, step: int) -> bool:
        """Focus the depth sparkline of the next (or previous) queue shown, wrapping."""
        rows = [row for panel in self.query(_QueuePanel) for row in panel.shown]
        if not rows:
            return False
        focused = self.focused
        at = next((i for i, r in enumerate(rows) if focused in list(r.query(SparkLine))), -1)
        if at < 0 and step < 0:
            at = 0
        rows[(at + step) % len(rows)].query(SparkLine).first().focus()
        return True

    def results(self) -> Widget | None:
        """The first sparkline shown."""
        rows = [row for panel in self.query(_QueuePanel) for row in panel.shown]
        return rows[0].query(SparkLine).first() if rows else None

    def compose_panels(self) -> ComposeResult:
        """The text filter, then Sidekiq above SQS, scrolling when they do not fit."""
        yield Input(placeholder=TEXT_FILTER_HINT, classes="text-filter", compact=True)
        with VerticalScroll(id="queue-scroll"):
            yield SidekiqPanel("Sidekiq", id="sidekiq")
            yield SqsPanel("SQS", id="sqs")
