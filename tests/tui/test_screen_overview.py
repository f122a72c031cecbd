from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from _pilot import after, refreshed
from _tuned import tuned_rules
from textual.pilot import Pilot

from collectors.alerts.book import AlertBook
from collectors.alerts.rules import Rule, Severity, default_rules
from collectors.alerts.state import AlertState
from collectors.base import Sample, SourceState, SourceStatus, no_data_note
from collectors.store.database import SeriesInfo, SourceBatch, Store
from tui.app import WootwatchApp
from tui.console import collect_numbers, render_summary
from tui.messages import ShowLogs
from tui.screens.logs import LogsScreen
from tui.screens.overview import WINDOW, OverviewScreen, SourcesPanel
from widgets.backlog_banner import BacklogBanner
from widgets.metric_row import MetricRow
from widgets.severity_counts import SeverityCounts
from widgets.source_row import SourceRow
from widgets.spark_line import SparkLine
from widgets.state_badge import StateBadge

HOSTILE = "\x1b[2J\x1b]52;c;aGk=\x07[link=https://evil]x[/link][bold red]"
SHOWN = "␛[2J␛]52;c;aGk=␇[link=https://evil]x[/link][bold red]"


async def _write(db: Path, now: float, *batches: SourceBatch) -> None:
    """Add to the recorded demo on its own clock: retention must not age it by today's date."""
    async with await Store.open(db, clock=lambda: now) as store:
        await store.write(batches)


def _rows(app: WootwatchApp) -> list[SourceRow]:
    return list(app.screen.query(SourceRow))


def _head(row: SourceRow) -> tuple[str, str, str]:
    """The source row's header as drawn: name, badge, detail."""
    return (
        str(row.query_one(".source-name").render()),
        str(row.query_one(StateBadge).render()),
        str(row.query_one(".source-detail").render()),
    )


async def test_the_overview_is_the_default_screen_with_every_source_ok(
    demo_app: WootwatchApp,
) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await refreshed(pilot)
        assert isinstance(demo_app.screen, OverviewScreen)
        heads = [_head(row) for row in _rows(demo_app)]
        assert [name for name, _, _ in heads] == ["chatwoot", "sidekiq", "pipeline", "aws", "logs"]
        assert all(badge == "● ok       updated <10s ago" for _, badge, _ in heads)
        counts = str(demo_app.screen.query_one(SeverityCounts).render())
        assert "✖ 6 critical  ◆ 2 error  ⚠ 4 warning  ℹ 0 info  ◐ 1 pending" in counts
        chatwoot = _rows(demo_app)[0]
        labels = [row.reading.label for row in chatwoot.query(MetricRow)]
        assert labels[:3] == ["health", "API p95", "open"]
        p95 = next(row for row in chatwoot.query(MetricRow) if row.reading.label == "API p95")
        assert str(p95.query_one(".metric-text").render())[11:].lstrip().startswith("⚠ ")


async def test_down_and_stale_sources_say_so_in_words_and_come_first(
    demo_db: Path, demo_now: float
) -> None:
    await _write(
        demo_db,
        demo_now,
        SourceBatch(
            "aws",
            status=SourceStatus(
                "aws", SourceState.DOWN, demo_now, demo_now - 300, f"AccessDenied {HOSTILE}", 7
            ),
        ),
        SourceBatch(
            "sidekiq",
            status=SourceStatus(
                "sidekiq", SourceState.STALE, demo_now, demo_now - 95, "no heartbeat", 2
            ),
        ),
    )
    app = WootwatchApp(demo_db, clock=lambda: demo_now)
    async with app.run_test(size=(80, 24)) as pilot:
        await refreshed(pilot)
        heads = [_head(row) for row in _rows(app)]
    assert heads[0] == ("aws", "✖ down     updated 5m ago", f"AccessDenied {SHOWN}")
    assert heads[1] == ("sidekiq", "◐ stale    updated 1m ago", "no heartbeat")
    assert heads[2] == ("chatwoot", "● ok       updated <10s ago", "")


async def test_a_source_that_answers_with_no_data_says_so_rather_than_ok(
    demo_db: Path, demo_now: float
) -> None:
    """Issue 13: Sidekiq on the wrong Redis database showed "all clear"."""
    note = no_data_note("no Sidekiq keys in 127.0.0.1:6379/3, namespace none")
    await _write(
        demo_db,
        demo_now,
        SourceBatch(
            "sidekiq",
            status=SourceStatus("sidekiq", SourceState.OK, demo_now, demo_now - 5, note=note),
        ),
    )
    app = WootwatchApp(demo_db, clock=lambda: demo_now)
    async with app.run_test(size=(100, 24)) as pilot:
        await refreshed(pilot)
        heads = [_head(row) for row in _rows(app)]
    assert heads[0] == (
        "sidekiq",
        "○ no data  updated <10s ago",
        "no Sidekiq keys in 127.0.0.1:6379/3, namespace none",
    )
    assert all(badge.startswith("● ok") for _, badge, _ in heads[1:])


def test_the_plain_summary_says_no_data_with_the_reason() -> None:
    note = no_data_note("no datapoints for any of the 6 metrics since 5m ago")
    statuses = {
        "aws": SourceStatus("aws", SourceState.OK, 100.0, 95.0, note=note),
        "sidekiq": SourceStatus("sidekiq", SourceState.OK, 100.0, 95.0),
    }
    numbers = {"sidekiq": ["enqueued 4"]}
    lines = render_summary(statuses, numbers, 100.0, 200)
    assert lines[0] == (
        "aws      ○ no data  updated <10s ago    "
        "no datapoints for any of the 6 metrics since 5m ago"
    )
    assert lines[1].startswith("sidekiq  ● ok       ") and lines[1].endswith("enqueued 4")


async def test_updated_seconds_ago_follows_the_clock(demo_db: Path, demo_now: float) -> None:
    clock = [demo_now + 12]
    app = WootwatchApp(demo_db, clock=lambda: clock[0])
    async with app.run_test(size=(80, 24)) as pilot:
        await refreshed(pilot)
        assert _head(_rows(app)[0])[1] == "● ok       updated 10s ago"
        clock[0] += 60
        await refreshed(pilot)
        assert _head(_rows(app)[0])[1] == "● ok       updated 1m ago"


@pytest.mark.parametrize(
    ("tuned", "pending", "shown"),
    [
        (False, 10, None),
        (False, 11, "⚠ CX queue backlog: 11 conversations pending in chatwoot (more than 10)"),
        (False, 20, "⚠ CX queue backlog: 20 conversations pending in chatwoot (more than 10)"),
        (False, 21, "✖ URGENT: High backlog: 21 conversations pending in chatwoot (more than 20)"),
        # Issue 15: a config's `chatwoot_pending_backlog` moves the banner.
        (True, 25, None),
        (True, 31, "⚠ CX queue backlog: 31 conversations pending in chatwoot (more than 30)"),
        (True, 61, "✖ URGENT: High backlog: 61 conversations pending in chatwoot (more than 60)"),
    ],
)
async def test_the_backlog_banner_follows_the_pending_conversations_and_the_rules(
    demo_db: Path, demo_now: float, tuned: bool, pending: int, shown: str | None
) -> None:
    sample = Sample("chatwoot.conversations", pending, demo_now + 1, {"status": "pending"})
    await _write(demo_db, demo_now, SourceBatch("chatwoot", records=[sample]))
    rules = tuned_rules() if tuned else ()
    app = WootwatchApp(demo_db, clock=lambda: demo_now + 1, rules=rules)
    async with app.run_test(size=(80, 24)) as pilot:
        await refreshed(pilot)
        banner = app.screen.query_one(BacklogBanner)
        assert banner.display is (shown is not None)
        if shown is not None:
            assert str(banner.render()) == shown


async def test_enter_on_a_sparkline_opens_the_logs_of_its_slot(
    demo_app: WootwatchApp, demo_now: float
) -> None:
    posted: list[ShowLogs] = []

    def hook(message: object) -> None:
        if isinstance(message, ShowLogs):
            posted.append(message)

    async with demo_app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await refreshed(pilot)
        await refreshed(pilot)
        await pilot.press("tab")
        spark = demo_app.focused
        assert isinstance(spark, SparkLine)
        assert spark.parent is not None
        assert spark.parent.reading.label == "health"  # type: ignore[attr-defined]
        width = spark.size.width
        start, end = demo_app.screen.query_one(SourcesPanel).window
        await pilot.press("left", "left", "enter")  # the cursor starts on the peak: the last slot
        await pilot.pause()
        assert isinstance(demo_app.screen, LogsScreen)
    slot = WINDOW / width
    assert end - start == pytest.approx(WINDOW, abs=1e-6)
    assert end - slot <= demo_now < end  # the last slot holds now
    assert len({id(message) for message in posted}) == 1  # seen at each step as it bubbles
    assert posted[0].start == pytest.approx(end - 3 * slot, abs=1e-6)
    assert posted[0].end == pytest.approx(end - 2 * slot, abs=1e-6)


async def test_hostile_source_names_and_series_are_inert(demo_db: Path, demo_now: float) -> None:
    name = f"evil{HOSTILE}"
    await _write(
        demo_db,
        demo_now,
        SourceBatch(
            name,
            records=[Sample(f"x{HOSTILE}", 3.0, demo_now - 10)],
            status=SourceStatus(name, SourceState.STALE, demo_now, demo_now - 12, HOSTILE),
        ),
    )
    app = WootwatchApp(demo_db, clock=lambda: demo_now)
    async with app.run_test(size=(200, 50)) as pilot:
        await refreshed(pilot)
        row = next(row for row in _rows(app) if row.view.source == name)
        shown_name, _, detail = _head(row)
        label = str(row.query_one(MetricRow).query_one(".metric-text").render())[:11].rstrip()
    assert shown_name.startswith("evil␛[2J") and detail == SHOWN
    assert label == f"x{SHOWN}"[:10] + "…"  # inert, then cut to the label's column


def _two_refreshes() -> object:
    first = after()

    async def run_before(pilot: Pilot[object]) -> None:
        await first(pilot)  # the rows are mounted: the next read fits the sparklines' width
        await refreshed(pilot)

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_snapshot(
    snap_compare: object, snapshot_demo: tuple[Path, float], size: tuple[int, int]
) -> None:
    path, now = snapshot_demo
    app = WootwatchApp(path, clock=lambda: now)
    assert snap_compare(app, terminal_size=size, run_before=_two_refreshes())  # type: ignore[operator]


@pytest.mark.parametrize("given", [True, False], ids=["config-rule", "unknown-rule"])
async def test_a_firing_config_rule_marks_its_number(
    demo_db: Path, demo_now: float, given: bool
) -> None:
    """A rule of the config's own (not in the default pack) marks the number it is about."""
    rule = Rule.model_validate(
        {
            "name": "unattended_backlog",
            "series": "chatwoot.conversations.unattended",
            "condition": {"op": ">", "value": 10},
        }
    )
    async with await AlertBook.open(demo_db) as book, book.transaction() as writer:
        await writer.create(
            rule=rule.name,
            labels={"source": "chatwoot"},
            severity=Severity.ERROR,
            state=AlertState.FIRING,
            value=23.0,
            summary="More than 10 unattended conversations",
            t=demo_now - 60,
            flapping=False,
        )
    app = WootwatchApp(
        demo_db, clock=lambda: demo_now, rules=[*default_rules(), rule] if given else []
    )
    async with app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        chatwoot = _rows(app)[0]
        unattended = next(r for r in chatwoot.query(MetricRow) if r.reading.label == "unattended")
        assert unattended.reading.alarm is given


async def test_the_plain_summary_reads_the_stored_series_once_a_redraw(
    recorded_demo: tuple[Path, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Over a pipe the summary redraws every 2 s: one read of the series, not one per number."""
    path, now = recorded_demo
    async with await Store.open(path, readonly=True) as store:
        reads: list[object] = []
        read = store.series

        async def counted(*args: Any, **kwargs: Any) -> list[SeriesInfo]:
            reads.append(args)
            return await read(*args, **kwargs)

        monkeypatch.setattr(store, "series", counted)
        numbers = await collect_numbers(store, now)
    assert len(reads) == 1
    assert [n.split()[0] for n in numbers["sidekiq"]] == ["enqueued", "job", "retries"]
    assert numbers["chatwoot"][0].startswith("API p95 ")
