from __future__ import annotations

import asyncio
import contextlib
import logging
import math
import sqlite3
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from _pilot import after, refreshed
from _written import HOSTILE, NOW, every_minute, write
from rich.text import Text
from textual.message import Message
from textual.widgets import DataTable, Static

from collectors.alerts.annotations import add_annotation
from collectors.alerts.book import AlertBook
from collectors.sketch import LatencySketch
from collectors.store import read
from collectors.store.database import SeriesInfo, Store
from tui.app import WootwatchApp
from tui.messages import ShowLogs
from tui.screens import SCREENS, latency
from tui.screens.latency import LatencyScreen
from tui.screens.windowed import WindowView
from widgets.choice_bar import ChoiceBar
from widgets.keyed_table import KeyedTable
from widgets.latency_bars import LatencyBars
from widgets.time_chart import TimeChart
from widgets.vocab import format_value


def _spans(now: float) -> dict[str, tuple[float, float]]:
    """The windows as the screen documents them: long ones end at the last whole minute."""
    minute = math.floor(now / 60) * 60
    return {
        "5m": (now - 300, now),
        "1h": (now - 3600, now),
        "24h": (minute - 86400, minute),
        "7d": (minute - 7 * 86400, minute),
    }


def _table(app: WootwatchApp) -> DataTable[Text]:
    return app.screen.query_one("#series-table", DataTable)


def _row(app: WootwatchApp, label: str) -> list[str]:
    table = _table(app)
    for index in range(table.row_count):
        cells = [str(cell) for cell in table.get_row_at(index)]
        if cells[0] == label:
            return cells
    raise AssertionError(f"no row {label!r}")


async def _series(db: Path, name: str, **labels: str) -> SeriesInfo:
    async with await Store.open(db, readonly=True) as store:
        (info,) = await store.series(name, labels=labels or None)
    return info


async def test_w_cycles_the_window_and_every_number_follows_it(
    demo_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    shown: dict[str, list[str]] = {}
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await refreshed(pilot)
        for window in ("1h", "24h", "7d", "5m"):
            bar = demo_app.screen.query_one("#window-bar", ChoiceBar)
            assert f"[{window}]" in str(bar.render())
            shown[window] = _row(demo_app, "pipeline · end-to-end")
            await pilot.press("w")
            await refreshed(pilot)
        assert "[1h]" in str(demo_app.screen.query_one("#window-bar", ChoiceBar).render())
        await pilot.press("W")
        await refreshed(pilot)
        assert _row(demo_app, "pipeline · end-to-end") == shown["5m"]
    info = await _series(demo_db, "pipeline.latency_ms")
    async with await Store.open(demo_db, readonly=True) as store:
        for window, (start, end) in _spans(demo_now).items():
            stats = await store.window_stats([info], start, end)
            quantiles = (stats.quantile(q) for q in (0.5, 0.95, 0.99))
            expected = [
                "pipeline · end-to-end",
                str(stats.count),
                *(format_value(v, "ms") for v in (*quantiles, stats.max)),
            ]
            assert shown[window] == expected, window
    assert int(shown["5m"][1]) < int(shown["1h"][1])


async def test_the_buckets_are_seed_001s_with_the_counts_and_shares_of_the_window(
    demo_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await refreshed(pilot)
        hour = demo_app.screen.query_one("#distribution-panel LatencyBars", LatencyBars).rows
        await pilot.press("W")
        await refreshed(pilot)
        five = demo_app.screen.query_one("#distribution-panel LatencyBars", LatencyBars).rows
    info = await _series(demo_db, "pipeline.latency_ms")
    spans = _spans(demo_now)
    async with await Store.open(demo_db, readonly=True) as store:
        for rows, window in ((hour, "1h"), (five, "5m")):
            stats = await store.window_stats([info], *spans[window])
            shown = [(row.label, row.value, row.note.strip(), row.tone) for row in rows]
            assert shown == [
                (b.bucket.label, f"{b.count:.0f}", f"{b.percent:.1f}%", tone)
                for b, tone in zip(
                    stats.buckets, ("ok", "ok", "ok", "warning", "error", "error"), strict=True
                )
            ]
    assert [row.label for row in hour] == ["<1s", "<2s", "<5s", "5-10s", "10-30s", ">30s"]
    assert hour != five


async def test_the_cursor_chooses_the_series_of_the_distribution_and_the_chart(
    demo_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await refreshed(pilot)
        screen = demo_app.screen
        assert "pipeline · end-to-end" in str(screen.query_one("#chart-panel").border_title)
        await pilot.press("down")  # the table has focus: the next row
        await pilot.pause()
        await refreshed(pilot)
        await pilot.press("s")  # and the key that cycles the series
        await pilot.pause()
        await refreshed(pilot)
        label = _row(demo_app, str(_table(demo_app).get_row_at(2)[0]))[0]
        assert label == "chatwoot · conversations_meta"
        assert label in str(screen.query_one("#distribution-panel").border_title)
        assert label in str(screen.query_one("#chart-panel").border_title)
        chart = screen.query_one(TimeChart)
        shown, width = chart.data, chart.plot_width
    assert shown is not None
    info = await _series(demo_db, "chatwoot.api.latency_ms", endpoint="conversations_meta")
    assert width >= 60  # so an hour is cut into its 60 minutes
    end = math.floor(demo_now / 60) * 60  # the last finished minute
    start, slots = end - 3600, 60
    assert (shown.start, shown.end) == (start, end)
    async with await Store.open(demo_db, readonly=True) as store:
        for line, how in zip(shown.lines, ("mean", "max"), strict=True):
            assert list(line.values) == await store.points([info], start, end, slots, how=how)


async def test_l_opens_the_logs_of_the_minute_of_the_slowest_message(
    demo_db: Path, demo_now: float
) -> None:
    asked: list[ShowLogs] = []

    def hook(message: Message) -> None:
        if isinstance(message, ShowLogs) and message not in asked:  # once, however it bubbles
            asked.append(message)

    app = WootwatchApp(demo_db, clock=lambda: demo_now)
    async with app.run_test(size=(120, 40), message_hook=hook) as pilot:
        await pilot.press("2")
        await refreshed(pilot)
        await pilot.press("l")
        await pilot.pause()
        assert type(app.screen) is SCREENS["logs"].screen_class
    (show,) = asked
    info = await _series(demo_db, "pipeline.latency_ms")
    with contextlib.closing(sqlite3.connect(demo_db)) as conn:
        (slowest,) = conn.execute(
            "SELECT ts FROM samples WHERE series_id = ? AND ts >= ? ORDER BY value DESC LIMIT 1",
            (info.id, demo_now - 3600),
        ).fetchone()
    assert show.start <= slowest < show.end
    assert 60 <= show.end - show.start <= 120 and show.query is None


async def test_names_from_the_store_are_inert_and_missing_parts_say_so(tmp_path: Path) -> None:
    db = tmp_path / "hostile.db"
    await write(
        db, {"chatwoot": every_minute("chatwoot.api.latency_ms", 250.0, "ms", endpoint=HOSTILE)}
    )
    app = WootwatchApp(db, clock=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await refreshed(pilot)
        label = _table(app).get_row_at(0)[0]
        phases = str(app.screen.query_one("#phases-panel LatencyBars", LatencyBars).render())
        titles = [
            app.screen.query_one(f"#{p}-panel").border_title for p in ("distribution", "chart")
        ]
    # the titles name the chosen series as text: markup of it comes back escaped
    assert all(
        r"␛[2J␛]52;c;aGk=␇\[link=https://evil]x\[/link]\[bold red]Mallory" in str(t) for t in titles
    )
    assert isinstance(label, Text) and not label.spans
    assert label.plain == "chatwoot · ␛[2J␛]52;c;aGk=␇[link=https://evil]x[/link][bold red]Mallory"
    assert phases == "no pipeline phases recorded"


async def test_an_empty_database_says_there_is_no_latency_series(tmp_path: Path) -> None:
    db = tmp_path / "quiet.db"
    await write(db, {"sidekiq": every_minute("sidekiq.queue.size", 3.0, "count", queue="default")})
    app = WootwatchApp(db, clock=lambda: NOW)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.press("2")
        await refreshed(pilot)
        screen = app.screen
        assert isinstance(screen, LatencyScreen)
        assert screen.query_one("#series-panel .empty", Static).display
        assert not _table(app).display
        assert str(screen.query_one("#distribution-panel LatencyBars").render()) == (
            "no data in this window"
        )
        await pilot.press("l")  # nothing to open: a notice, and the screen stays
        await pilot.pause()
        assert screen is app.screen


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_snapshot(
    snap_compare: object,
    recorded_demo: tuple[Path, float],
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    path, now = recorded_demo
    monkeypatch.chdir(path.parent)  # the top bar shows the path: keep it the same every run
    app = WootwatchApp(path.name, clock=lambda: now)
    assert snap_compare(app, terminal_size=size, run_before=after("2"))  # type: ignore[operator]


async def test_a_refresh_before_the_chart_is_mounted_waits_for_it(
    demo_app: WootwatchApp, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """No "NoMatches … TimeChart" flash while the screen mounts.

    `switch_mode` puts the screen on view before its panels are mounted, so on
    a big database a refresh could read the chart panel before its `TimeChart`
    existed. A read that answers without waiting (here: the chosen series,
    already known) reaches the query first; the panel must skip that refresh.
    """
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        known = await latency._chosen_series(demo_app.reader, WindowView())

        async def at_once(reader: object, view: object) -> object:
            return known

        monkeypatch.setattr(latency, "_chosen_series", at_once)
        demo_app.switch_mode("latency")
        chart = None
        for _ in range(1000):  # until the chart panel is in the screen, its widgets not yet
            chart = next(iter(demo_app.screen.query(latency._ChartPanel)), None)
            if chart is not None:
                break
            await asyncio.sleep(0)
        assert chart is not None and not chart.is_mounted
        with caplog.at_level(logging.ERROR):
            await chart.refresh_from(demo_app.reader)
            await pilot.pause()
            assert not chart.query_one(".panel-error", Static).display
        assert not caplog.records
        await refreshed(pilot)
        assert chart.query_one(TimeChart).data is not None  # the next refresh draws it


def _drawn(app: WootwatchApp) -> list[str]:
    """The latency screen's panels as drawn: titles, then the text of each widget's lines."""
    screen = app.screen
    lines = [
        f"{panel.border_title} | {panel.border_subtitle}"
        for panel in screen.query("#series-panel, #distribution-panel, #phases-panel, #chart-panel")
    ]
    for widget in (
        screen.query_one("#series-table"),
        screen.query_one("#distribution-panel LatencyBars"),
        screen.query_one("#phases-panel LatencyBars"),
        screen.query_one(TimeChart),
    ):
        lines += [strip.text for strip in widget.render_lines(widget.size.region)]
    return lines


async def test_a_window_shown_again_draws_what_a_fresh_screen_draws_from_cells_drawn_before(
    demo_db: Path, demo_now: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 16's `w` target: back on a window, the table draws no cell anew and shows the same."""
    drawn: list[tuple[int, int]] = []
    draw = KeyedTable._one_line

    def counted(
        self: KeyedTable, cell: Text, key: object, place: tuple[int, int], *a: object
    ) -> object:
        drawn.append(place)
        return draw(self, cell, key, place, *a)  # type: ignore[arg-type]

    monkeypatch.setattr(KeyedTable, "_one_line", counted)
    fresh = WootwatchApp(demo_db, clock=lambda: demo_now)
    async with fresh.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await refreshed(pilot)
        await pilot.press("w")
        await refreshed(pilot)
        expected = _drawn(fresh)
    cycled = WootwatchApp(demo_db, clock=lambda: demo_now)
    async with cycled.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await refreshed(pilot)
        for _ in range(4):  # 24h, 7d, 5m, 1h
            await pilot.press("w")
            await refreshed(pilot)
        drawn.clear()
        await pilot.press("w")  # 24h again
        await refreshed(pilot)
        assert "[24h]" in str(cycled.screen.query_one("#window-bar", ChoiceBar).render())
        assert _drawn(cycled) == expected
        assert drawn == []


async def test_a_note_written_while_the_chart_is_on_view_is_marked_at_the_next_refresh(
    demo_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    """The chart's notes are kept while the file is unchanged: a note written is a change."""
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await refreshed(pilot)
        chart = demo_app.screen.query_one(TimeChart)
        assert chart.data is not None
        before = chart.data.marks
        await refreshed(pilot)
        assert chart.data.marks == before
        async with await AlertBook.open(demo_db) as book:
            await add_annotation(book, ts=demo_now - 1500, author="amy", text="deploy v4.2.1")
        await refreshed(pilot)
        assert chart.data is not None and len(chart.data.marks) == len(before) + 1


async def test_the_table_of_every_series_counts_no_buckets_the_distribution_alone_does(
    demo_db: Path, demo_now: float, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18: a step on the latency screen counted seed 001's buckets of every series (a
    second pass over each sketch's bins) for a table that shows percentiles; now only the
    chosen series' buckets are counted, for the distribution, which still shows them."""
    counted: list[int] = []
    summary = LatencySketch.summary

    def counting(
        self: LatencySketch, qs: Sequence[float], bounds: Sequence[float]
    ) -> tuple[list[float | None], list[float]]:
        if bounds:
            counted.append(len(bounds))
        return summary(self, qs, bounds)

    app = WootwatchApp(demo_db, clock=lambda: demo_now)
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await refreshed(pilot)
        assert _table(app).row_count >= 5
        monkeypatch.setattr(LatencySketch, "summary", counting)
        await pilot.press("w")
        await refreshed(pilot)
        assert len(counted) == 1
        assert "[24h]" in str(app.screen.query_one("#window-bar", ChoiceBar).render())
        assert app.screen.query(LatencyBars).first().rows


async def test_a_step_back_reads_the_charts_mean_and_peak_in_one_query(
    demo_app: WootwatchApp, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18: each `[` read the chosen series' slots twice over, once for the mean line and
    once for the peak; the queries of all panels wait in one line (one connection)."""
    asked: list[tuple[str, ...]] = []
    points, each_way = read.points, read.points_each_way

    async def one(*args: Any, how: str = "mean", **kwargs: Any) -> Any:
        asked.append((how,))
        return await points(*args, how=how, **kwargs)  # type: ignore[arg-type]

    async def several(*args: Any, **kwargs: Any) -> Any:
        asked.append(tuple(args[5]))
        return await each_way(*args, **kwargs)

    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await refreshed(pilot)
        monkeypatch.setattr(read, "points", one)
        monkeypatch.setattr(read, "points_each_way", several, raising=False)
        await pilot.press("left_square_bracket")
        await refreshed(pilot)
        assert demo_app.reader.as_of is not None
        chart = demo_app.screen.query_one(TimeChart).data
        assert chart is not None and [line.label for line in chart.lines] == ["mean", "peak"]
        assert asked and set(asked) == {("mean", "max")}
