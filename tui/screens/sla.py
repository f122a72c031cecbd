"""The SLA screen: compliance against target with its trend, the breach list, the channels.

* Compliance: per Chatwoot source, the mean of `chatwoot.sla.compliance_pct`
  over the window chosen with `w`, banded by the rules in force
  (`tui.data.thresholds`: on target from seed 004's 95 %, critical below
  `chatwoot_sla_compliance_low`, 85 % by default), with the change against the
  window of the same length before it; per pipeline source the same for
  `pipeline.sla_pct` against `pipeline_sla_compliance_low` (seed 001).
* Breaches: the breach list of each Chatwoot source's latest poll
  (`collectors.store.views.current_breaches`), longest wait first.
* Per channel: conversations and mean first response per channel type, as of
  the latest poll, against the first-response target.

Customer and inbox names are untrusted: they reach the screen as inert
`Text`, never as markup.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import ClassVar, Final

from rich.text import Text
from textual.app import ComposeResult
from textual.containers import VerticalScroll
from textual.widgets import Static

from collectors.series import (
    CHATWOOT_CHANNEL_CONVERSATIONS,
    CHATWOOT_CHANNEL_FIRST_RESPONSE_S,
    CHATWOOT_FIRST_RESPONSE_S,
    CHATWOOT_SLA_COMPLIANCE_PCT,
    CHATWOOT_SLA_TARGET_S,
    PIPELINE_LATENCY_MS,
    PIPELINE_SLA_PCT,
)
from collectors.store.database import Bucket, SeriesInfo, Store
from collectors.store.views import current_breaches
from tui.data.reader import StoreReader
from tui.data.thresholds import Limit, gauge_bands
from tui.data.timeline import annotation_marks
from tui.data.windows import Span
from tui.screens import SCREENS
from tui.screens.windowed import WindowedPanel, WindowedScreen
from widgets.keyed_table import Cell, KeyedTable
from widgets.latency_bars import BarRow, LatencyBars
from widgets.sla_gauge import GaugeReading, SlaGauge
from widgets.time_chart import ChartData, ChartLine, TimeChart
from widgets.vocab import TONE_ICONS, Tone, format_value

__all__ = ["SlaScreen"]

_BREACH_COLUMNS: Final = (
    ("conversation", 12),
    ("customer", 18),
    ("inbox", 12),
    ("waited", None),
    ("state", None),
)
"""Column names and widths: a long (or hostile) name is cut, not let push the others away."""


async def _latest(store: Store, name: str, source: str) -> float | None:
    found = await store.series(name, source=source)
    return found[0].last_value if found else None


_COMPLIANCE_SERIES: Final = (
    (CHATWOOT_SLA_COMPLIANCE_PCT, "first reply"),
    (PIPELINE_SLA_PCT, "under 5s"),
)
"""The compliance series the chart draws, and what their lines are called."""


def _sources(infos: Sequence[SeriesInfo]) -> list[str]:
    return sorted({info.source for info in infos})


# ------------------------------------------------------------------ compliance


class _CompliancePanel(WindowedPanel[tuple[GaugeReading, ...]]):
    """Compliance per source over the window, with the trend against the window before."""

    def compose_body(self) -> ComposeResult:
        yield Static("no SLA series recorded", classes="muted empty", markup=False)

    async def gather(self, reader: StoreReader) -> tuple[GaugeReading, ...]:
        store, window, now = reader.store, self.view.window, reader.now()
        limits = reader.thresholds
        span = window.span(now)
        readings = []
        for info in await store.series(CHATWOOT_SLA_COMPLIANCE_PCT):
            target = await _latest(store, CHATWOOT_SLA_TARGET_S, info.source)
            within = f"within {format_value(target, 's')}" if target else "SLA"
            detail = await self._first_replies(store, info.source, span, target)
            title = f"{info.source} · first reply {within}"
            readings.append(await self._reading(store, info, title, now, detail, limits.sla))
        for info in await store.series(PIPELINE_SLA_PCT):
            detail = await self._messages(store, info.source, span)
            title = f"{info.source} · messages under 5s"
            readings.append(
                await self._reading(store, info, title, now, detail, limits.message_sla)
            )
        return tuple(readings)

    async def _reading(
        self, store: Store, info: SeriesInfo, title: str, now: float, detail: str, limit: Limit
    ) -> GaugeReading:
        window, reads = self.view.window, self.view.reads
        value = (await reads.window_stats(store, [info], window.span(now))).mean
        previous = (await reads.window_stats(store, [info], window.previous(now))).mean
        target, floor = gauge_bands(limit)
        return GaugeReading(
            title, value, previous, window.label, detail, target=target, floor=floor
        )

    async def _first_replies(
        self, store: Store, source: str, span: Span, target: float | None
    ) -> str:
        label = self.view.window.label
        replies = await store.series(CHATWOOT_FIRST_RESPONSE_S, source=source)
        late = (Bucket("late", target, math.inf),) if target else ()
        stats = await self.view.reads.window_stats(store, replies, span, buckets=late)
        if not stats.count:
            return f"no first replies in the last {label}"
        over = f" · {stats.buckets[0].count:.0f} late" if stats.buckets else ""
        median, p95 = (format_value(stats.quantile(q), "s") for q in (0.5, 0.95))
        return f"first replies in {label}: {stats.count} · median {median} · p95 {p95}{over}"

    async def _messages(self, store: Store, source: str, span: Span) -> str:
        label = self.view.window.label
        latencies = await store.series(PIPELINE_LATENCY_MS, source=source)
        stats = await self.view.reads.window_stats(store, latencies, span)
        if not stats.count:
            return f"no messages in the last {label}"
        return (
            f"messages in {label}: {stats.count} · p95 {format_value(stats.quantile(0.95), 'ms')}"
        )

    def present(self, data: tuple[GaugeReading, ...]) -> None:
        self.set_titles(f"Compliance · {self.view.window.label}")
        self.query_one(".empty", Static).display = not data
        gauges = list(self.query(SlaGauge))
        if len(gauges) != len(data):
            for gauge in gauges:
                gauge.remove()
            self.mount_all([SlaGauge(reading) for reading in data], before=0)
            return
        for gauge, reading in zip(gauges, data, strict=True):
            gauge.reading = reading


# ------------------------------------------------------------------ breaches


@dataclass(frozen=True, slots=True)
class _BreachRow:
    key: str
    conversation: str
    customer: str
    inbox: str
    waited: str
    replied: bool


class _BreachesPanel(WindowedPanel[tuple[_BreachRow, ...]]):
    """The conversations that missed the first-reply target, as of each source's latest poll."""

    COMPONENT_CLASSES: ClassVar[set[str]] = {"breaches--late", "breaches--waiting"}
    """
    | Class | Description |
    | :- | :- |
    | `breaches--late` | The state of a conversation that was answered late. |
    | `breaches--waiting` | The state of a conversation still waiting past the target. |
    """

    def compose_body(self) -> ComposeResult:
        table = KeyedTable(
            [column for column, _ in _BREACH_COLUMNS],
            widths=[width for _, width in _BREACH_COLUMNS],
            id="breach-table",
        )
        table.display = False
        yield table
        yield Static("no breaches recorded", classes="muted empty", markup=False)

    async def gather(self, reader: StoreReader) -> tuple[_BreachRow, ...]:
        store = reader.store
        sources = _sources(await store.series(CHATWOOT_SLA_COMPLIANCE_PCT))
        rows = []
        for source in sources:
            prefix = source if len(sources) > 1 else ""
            for breach in await current_breaches(store, source):
                rows.append(
                    _BreachRow(
                        f"{source}/{breach.display_id}",
                        f"{prefix}#{breach.display_id}",
                        breach.customer,
                        breach.inbox,
                        format_value(breach.waited_s, "s"),
                        breach.replied,
                    )
                )
        return tuple(rows)

    def present(self, data: tuple[_BreachRow, ...]) -> None:
        self.set_titles(f"Breaches · latest poll · {len(data)}")
        self.query_one(".empty", Static).display = not data
        table = self.query_one(KeyedTable)
        table.display = bool(data)
        table.show([(row.key, self._cells(row)) for row in data])

    def _cells(self, row: _BreachRow) -> tuple[Cell, ...]:
        if row.replied:
            state = f"{TONE_ICONS['warning']} replied late"
            style = self.get_component_rich_style("breaches--late", partial=True)
        else:
            state = f"{TONE_ICONS['error']} still waiting"
            style = self.get_component_rich_style("breaches--waiting", partial=True)
        return (
            row.conversation,
            row.customer,
            row.inbox,
            Text(row.waited, justify="right"),
            Text(state, style=style),
        )


# ------------------------------------------------------------------ channels


class _ChannelsPanel(WindowedPanel[tuple[BarRow, ...]]):
    """Conversations and mean first reply per channel type, against the target."""

    def compose_body(self) -> ComposeResult:
        yield LatencyBars(empty="no per-channel data")

    async def gather(self, reader: StoreReader) -> tuple[BarRow, ...]:
        store = reader.store
        volumes = await store.series(CHATWOOT_CHANNEL_CONVERSATIONS)
        sources = _sources(volumes)
        biggest = max((v.last_value or 0.0 for v in volumes), default=0.0)
        rows: list[tuple[float, BarRow]] = []
        for source in sources:
            mine = [v for v in volumes if v.source == source]
            total = sum(v.last_value or 0.0 for v in mine)
            target = await _latest(store, CHATWOOT_SLA_TARGET_S, source)
            compliance = await _latest(store, CHATWOOT_SLA_COMPLIANCE_PCT, source)
            sla_ok = reader.thresholds.sla.band(compliance) in (None, "ok")
            replies = {
                info.labels.get("channel", ""): info.last_value
                for info in await store.series(CHATWOOT_CHANNEL_FIRST_RESPONSE_S, source=source)
            }
            for volume in mine:
                channel = volume.labels.get("channel", "")
                count = volume.last_value or 0.0
                tone, reply = _channel_reply(replies.get(channel), target, sla_ok=sla_ok)
                share = f"{100 * count / total:3.0f}%" if total else "  –"
                label = f"{source} · {channel}" if len(sources) > 1 else channel
                fraction = count / biggest if biggest else 0.0
                rows.append(
                    (count, BarRow(label, fraction, f"{count:.0f}", f"{share} · {reply}", tone))
                )
        rows.sort(key=lambda row: -row[0])
        return tuple(row for _, row in rows)

    def present(self, data: tuple[BarRow, ...]) -> None:
        self.set_titles(
            "Per channel · latest poll", "conversations · share · mean first reply" if data else ""
        )
        self.query_one(LatencyBars).rows = data


def _channel_reply(reply: float | None, target: float | None, *, sla_ok: bool) -> tuple[Tone, str]:
    """Seed 004: a channel's mean first reply within the target, over it, or twice over it.

    A mean within the target is `on target` (✔) only while the source's
    compliance is: beside a compliance below target it reads `mean within
    target`, muted, for a mean says nothing of the replies that breached.
    """
    if reply is None:
        return "muted", "no replies"
    waited = format_value(reply, "s")
    if not target:
        return "muted", waited
    if reply <= target:
        return (
            ("ok", f"{waited} on target") if sla_ok else ("muted", f"{waited} mean within target")
        )
    if reply <= 2 * target:
        return "warning", f"{waited} over target"
    return "error", f"{waited} far over target"


# ------------------------------------------------------------------ chart


class _ComplianceChart(WindowedPanel[ChartData | None]):
    """Each compliance series over the window, one line per source."""

    def compose_body(self) -> ComposeResult:
        yield TimeChart()

    async def gather(self, reader: StoreReader) -> ChartData | None:
        store, span = reader.store, self.view.window.span(reader.now())
        span, slots = span.grid(self.query_one(TimeChart).plot_width)
        lines, sources = [], set[str]()
        for name, what in _COMPLIANCE_SERIES:
            for info in await store.series(name):
                sources.add(info.source)
                values = await self.view.reads.points(store, [info], span, slots)
                lines.append(ChartLine(f"{info.source} {what}", values))
        if not any(value is not None for line in lines for value in line.values):
            return None
        notes = await self.view.reads.current(  # one read while the file is unchanged
            ("notes", store.as_of, span, slots),
            lambda: annotation_marks(reader.book, store, span.start, span.end, slots),
        )
        marks = notes.on(sources)  # a note about another source is not marked here
        return ChartData(span.start, span.end, tuple(lines), "%", top=100.0, marks=marks)

    def present(self, data: ChartData | None) -> None:
        self.set_titles(f"Compliance over {self.view.window.label}")
        self.query_one(TimeChart).data = data


# ------------------------------------------------------------------ screen


class SlaScreen(WindowedScreen):
    """Compliance against target and its trend, the breach list, the channels.

    | Key | Does |
    | :- | :- |
    | w / W | the next / previous window: 5m, 1h, 24h, 7d |
    | up / down | scroll the page |
    | tab | focus the breach list, to move through it with the arrows |
    """

    TITLE = SCREENS["sla"].TITLE
    AUTO_FOCUS = "#sla-body"
    CSS: ClassVar[str] = """
    SlaScreen #compliance-chart {
        height: 1fr;
        min-height: 10;
    }
    SlaScreen #breach-table {
        height: auto;
        max-height: 16;
    }
    SlaScreen #breaches-panel > .breaches--late {
        color: $warning;
    }
    SlaScreen #breaches-panel > .breaches--waiting {
        color: $error;
    }
    SlaScreen .muted {
        color: $text-muted;
    }
    SlaScreen .empty {
        display: none;  /* until the first read says there is nothing */
    }
    """

    def compose_panels(self) -> ComposeResult:
        """The window selector, then the panels in a scrolling column."""
        yield self.window_bar()
        with VerticalScroll(id="sla-body"):
            yield _CompliancePanel("Compliance", self.view, id="compliance-panel")
            yield _BreachesPanel("Breaches", self.view, id="breaches-panel")
            yield _ChannelsPanel("Per channel", self.view, id="channels-panel")
            yield _ComplianceChart("Compliance over time", self.view, id="compliance-chart")
