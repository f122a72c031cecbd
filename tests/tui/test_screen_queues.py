from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import pytest
from _pilot import LayoutCount, after, refreshed
from _tuned import tuned_rules
from textual.message import Message
from textual.pilot import Pilot
from textual.widgets import Input, Static

from collectors.base import Sample, SourceState, SourceStatus, no_data_note
from collectors.store.database import SourceBatch, Store
from tui.app import WootwatchApp
from tui.messages import ShowLogs
from tui.screens import SCREENS
from tui.screens.overview import OverviewScreen
from tui.screens.queues import QueuesScreen, SidekiqPanel, SqsPanel
from widgets.queue_row import QueueRow
from widgets.reading_cell import ReadingCell
from widgets.spark_line import SparkLine

HOSTILE = "\x1b[2J\x1b]52;c;aGk=\x07[link=https://evil]x[/link][bold red]"


async def _queues_screen(pilot: Pilot[None]) -> QueuesScreen:
    await pilot.press("4")
    await refreshed(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, QueuesScreen)
    return screen


def _rows(screen: QueuesScreen, panel: type[SidekiqPanel | SqsPanel]) -> dict[str, QueueRow]:
    return {row.line.name: row for row in screen.query_one(panel).query(QueueRow)}


def _shown(widget: Static) -> str:
    return str(widget.render())


async def test_the_marks_follow_the_configs_queue_depth_high(
    demo_db: Path, demo_now: float
) -> None:
    """Issue 15: with `queue_depth_high` at 5,000, 434 and 885 jobs are not deep."""
    app = WootwatchApp(demo_db, clock=lambda: demo_now, rules=tuned_rules())
    async with app.run_test(size=(120, 40)) as pilot:
        sidekiq = _rows(await _queues_screen(pilot), SidekiqPanel)
        for name in ("default", "all queues"):
            depth = sidekiq[name].line.depth
            assert (depth.level, depth.mark) == ("ok", "")
        assert all(row.line.wait.mark == "⚠ slow" for row in sidekiq.values())  # not overridden


async def test_queue_rows_show_depth_and_wait_with_sparklines_and_marks(
    demo_app: WootwatchApp,
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _queues_screen(pilot)
        sidekiq = _rows(screen, SidekiqPanel)
        assert list(sidekiq) == ["critical", "default", "high", "low", "mailers", "all queues"]
        deep = sidekiq["default"].line.depth
        assert (deep.text, deep.level, deep.mark) == ("434", "error", "✖ deep")
        assert sidekiq["critical"].line.depth.mark == ""  # 18 jobs: below the threshold
        total = sidekiq["all queues"].line.depth
        assert (total.text, total.mark) == ("885", "✖ deep")
        history = sidekiq["default"].line.depth.history
        assert len(history) == 30 and history[-1] is not None and history[-1] > 100
        # The mark is on screen as an icon and a word, and the sparkline turns to alarm.
        cell = sidekiq["default"].query_one(".queue-row--depth", ReadingCell)
        assert _shown(cell.query_one(".reading-cell--mark", Static)) == "✖ deep"
        assert cell.query_one(SparkLine).has_class("-alarm")
        quiet = sidekiq["critical"].query_one(".queue-row--depth", ReadingCell)
        assert not quiet.query_one(SparkLine).has_class("-alarm")
        assert all(row.line.wait.mark == "⚠ slow" for row in sidekiq.values())

        totals = {
            _shown(cell.query_one(".reading-cell--label", Static)): cell.reading
            for cell in screen.query(".sidekiq-totals ReadingCell").results(ReadingCell)
        }
        assert totals["retries"].text == "47"
        assert totals["failed/min"].mark == "✖ failing"
        assert totals["busy workers"].mark == ""

        # The recorded demo has CloudWatch's age of the SQS queue but no SQS source.
        sqs = _rows(screen, SqsPanel)
        assert list(sqs) == ["chatwoot-events"]
        assert sqs["chatwoot-events"].line.depth.text == "–"
        assert sqs["chatwoot-events"].line.wait.mark == "⚠ slow"


async def test_picking_a_sparkline_slot_opens_the_logs_of_that_minute(
    demo_app: WootwatchApp, demo_now: float
) -> None:
    posted: list[ShowLogs] = []

    def hook(message: Message) -> None:
        if isinstance(message, ShowLogs):
            posted.append(message)

    async with demo_app.run_test(size=(120, 40), message_hook=hook) as pilot:
        screen = await _queues_screen(pilot)
        await pilot.press("l")  # no chart has focus: l focuses the first one past a threshold
        first_alarm = _rows(screen, SidekiqPanel)["critical"].query_one(".queue-row--wait")
        assert screen.focused is first_alarm.query_one(SparkLine)
        await pilot.press("enter")  # the cursor starts on the peak: the incident now
        await pilot.pause()
        assert type(demo_app.screen) is SCREENS["logs"].screen_class
    assert posted and all(message is posted[0] for message in posted)  # one, seen bubbling
    end_of_window = (math.floor(demo_now / 60) + 1) * 60
    picked = posted[0]
    assert end_of_window - 1800 <= picked.start < picked.end <= end_of_window
    assert picked.end - picked.start < 120  # one cell of the sparkline: a minute or two
    assert picked.start >= end_of_window - 120  # the peak: the backlog of the last minute


async def _write(path: Path, now: float, source: str, samples: list[Sample]) -> None:
    async with await Store.open(path, clock=lambda: now) as store:
        await store.write([SourceBatch(source, samples)])


async def test_sqs_rows_and_hostile_queue_names(demo_db: Path, demo_now: float) -> None:
    sqs = [
        Sample("aws.sqs.messages", value, demo_now, {"queue": "chatwoot-events", "state": state})
        for state, value in (("visible", 140.0), ("not_visible", 12.0), ("delayed", 3.0))
    ]
    sqs.append(Sample("aws.sqs.messages", 1.0, demo_now, {"queue": HOSTILE, "state": "visible"}))
    await _write(demo_db, demo_now, "sqs", sqs)
    await _write(
        demo_db,
        demo_now,
        "sidekiq",
        [Sample("sidekiq.queue.size", 2.0, demo_now, {"queue": HOSTILE}, "count")],
    )
    app = WootwatchApp(demo_db, clock=lambda: demo_now)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _queues_screen(pilot)
        rows = _rows(screen, SqsPanel)
        events = rows["chatwoot-events"].line
        assert (events.depth.text, events.depth.mark, events.detail) == ("140", "✖ deep", "12 · 3")
        for panel in (SqsPanel, SidekiqPanel):
            hostile = _rows(screen, panel)[HOSTILE]
            name = _shown(hostile.query_one(".queue-row--name", Static))
            assert "\x1b" not in name and "\x07" not in name
            assert name.startswith("␛[2J␛]52;c;aGk=␇[link=https://evil]x[/link][bold red]")


async def test_a_new_queue_adds_a_row_and_the_others_stay_mounted(
    demo_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _queues_screen(pilot)
        before = _rows(screen, SidekiqPanel)
        sample = Sample("sidekiq.queue.size", 7.0, demo_now, {"queue": "webhooks"}, "count")
        await _write(demo_db, demo_now, "sidekiq", [sample])
        await refreshed(pilot)
        after_write = _rows(screen, SidekiqPanel)
        assert list(after_write) == [*list(before)[:5], "webhooks", "all queues"]
        assert after_write["default"] is before["default"]
        assert after_write["all queues"].has_class("-total")
        assert not after_write["webhooks"].has_class("-total")
        assert after_write["all queues"].line.depth.text == "892"


async def test_a_failing_source_is_named_above_its_rows(demo_db: Path, demo_now: float) -> None:
    down = SourceStatus(
        "sidekiq", SourceState.DOWN, demo_now, demo_now - 60, "cannot reach Redis at 10.0.0.5", 3
    )
    async with await Store.open(demo_db, clock=lambda: demo_now) as store:
        await store.write([SourceBatch("sidekiq", [], down)])
    app = WootwatchApp(demo_db, clock=lambda: demo_now)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _queues_screen(pilot)
        sidekiq = screen.query_one(SidekiqPanel).query_one(".queue-status", Static)
        assert sidekiq.display
        assert _shown(sidekiq).startswith("✖ sidekiq down: cannot reach Redis at 10.0.0.5")
        assert not screen.query_one(SqsPanel).query_one(".queue-status", Static).display
        assert _rows(screen, SidekiqPanel)["default"].line.depth.text == "434"  # kept


async def test_a_source_that_now_finds_no_data_is_named_above_its_rows(
    demo_db: Path, demo_now: float
) -> None:
    """Issue 13: Sidekiq repointed at an empty database showed the old figures as all clear."""
    note = no_data_note("no Sidekiq keys in 10.0.0.5:6379/3, namespace none")
    empty = SourceStatus("sidekiq", SourceState.OK, demo_now, demo_now, note=note)
    async with await Store.open(demo_db, clock=lambda: demo_now) as store:
        await store.write([SourceBatch("sidekiq", [], empty)])
    app = WootwatchApp(demo_db, clock=lambda: demo_now)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _queues_screen(pilot)
        sidekiq = screen.query_one(SidekiqPanel).query_one(".queue-status", Static)
        assert sidekiq.display
        assert _shown(sidekiq) == (
            "○ sidekiq no data: no Sidekiq keys in 10.0.0.5:6379/3, namespace none"
            " (values as of its last poll)"
        )


async def test_a_database_without_queue_sources_says_so(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    await _write(path, 1_795_000_000.0, "chatwoot", [Sample("chatwoot.up", 1.0, 1_795_000_000.0)])
    app = WootwatchApp(path, clock=lambda: 1_795_000_000.0)
    async with app.run_test(size=(80, 24)) as pilot:
        screen = await _queues_screen(pilot)
        for panel in (SidekiqPanel, SqsPanel):
            absent = screen.query_one(panel).query_one(".absent", Static)
            assert absent.display and "source writes this database" in _shown(absent)
            assert not screen.query_one(panel).query(QueueRow)


def _shown_queues(screen: QueuesScreen) -> list[str]:
    return [
        row.line.name
        for panel in (SidekiqPanel, SqsPanel)
        for row in screen.query_one(panel).query(QueueRow)
        if row.display
    ]


async def test_slash_filters_queues_by_name_or_source_and_n_steps_through_them(
    demo_app: WootwatchApp,
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _queues_screen(pilot)
        everything = _shown_queues(screen)
        await pilot.press("slash", *"IL")
        await pilot.pause()
        assert isinstance(demo_app.focused, Input)
        assert _shown_queues(screen) == ["mailers"]
        sidekiq = screen.query_one(SidekiqPanel)
        assert str(sidekiq.border_title) == "Sidekiq · matching ‘il’: 1 shown"
        assert "No queue matches ‘il’" in str(screen.query_one("SqsPanel > .absent").render())
        # A source's name finds every queue it writes.
        await pilot.press("ctrl+u", *"aws")
        await pilot.pause()
        assert _shown_queues(screen) == ["chatwoot-events"]
        await pilot.press("ctrl+u", *"a")
        await pilot.pause()
        matches = _shown_queues(screen)
        assert 2 < len(matches) < len(everything)
        await pilot.press("enter")
        names = []
        for key in ("n", "n", "N"):
            await pilot.press(key)
            focused = demo_app.focused
            assert isinstance(focused, SparkLine)
            row = next(a for a in focused.ancestors if isinstance(a, QueueRow))
            names.append(row.line.name)
        assert names == [matches[1], matches[2], matches[1]]
        await pilot.press("slash", "ctrl+u", "escape")
        await pilot.pause()
        assert isinstance(demo_app.focused, SparkLine) and _shown_queues(screen) == everything
        assert sidekiq.border_title == "Sidekiq"
        await pilot.press("escape")
        assert isinstance(demo_app.screen, OverviewScreen)


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_snapshot_queues(
    snap_compare: object, demo_db: Path, demo_now: float, size: tuple[int, int]
) -> None:
    app = WootwatchApp(demo_db, clock=lambda: demo_now)
    assert snap_compare(app, terminal_size=size, run_before=after("4"))  # type: ignore[operator]


async def test_new_figures_under_an_unchanged_status_lay_out_nothing(
    demo_app: WootwatchApp,
) -> None:
    """A rewound step redraws every row: a layout of the whole screen each time cost the most."""
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _queues_screen(pilot)
        panel = screen.query_one(SidekiqPanel)
        drawn = panel._drawn
        assert drawn is not None
        layouts = LayoutCount(screen)
        lines = tuple(
            replace(line, depth=replace(line.depth, text=str(k)))
            for k, line in enumerate(drawn.table.lines)
        )
        panel.present(replace(drawn, table=replace(drawn.table, lines=lines)))
        await pilot.pause()
        assert layouts.count == 0
        assert [row.line.depth.text for row in _rows(screen, SidekiqPanel).values()][:2] == [
            "0",
            "1",
        ]
