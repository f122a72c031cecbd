"""The incident view's timeline and the `n` note dialog (issue 18), on the recorded demo."""

from __future__ import annotations

from pathlib import Path

from _pilot import refreshed
from textual.message import Message

from collectors.alerts.annotations import add_annotation, read_annotations
from collectors.alerts.book import AlertBook
from tui.app import WootwatchApp
from tui.dialogs.note import NoteDialog
from tui.messages import RewindTo
from tui.panels.timeline import TimelinePanel
from tui.screens.incident import ChartsPanel
from tui.screens.queues import SidekiqPanel, SqsPanel
from widgets.line_list import LineList
from widgets.metric_grid import MetricGrid
from widgets.source_row import SourceRow
from widgets.spark_line import SparkLine
from widgets.time_chart import TimeChart

HOSTILE = "[red]x[/] \x1b[2J **deploy** <b>"


def _lines(app: WootwatchApp) -> list[str]:
    return [str(o.prompt) for o in app.screen.query_one("#timeline-list", LineList).options]


async def _notes(db: Path) -> list[tuple[float, str, str]]:
    async with await AlertBook.open(db, readonly=True) as book:
        return [(a.ts, a.author, a.text) for a in await read_annotations(book, 0, 1e12)]


async def test_n_adds_a_note_at_the_moment_on_view_shown_inert(
    demo_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await refreshed(pilot)
        await pilot.press("n")
        await pilot.pause()
        assert isinstance(demo_app.screen, NoteDialog)
        await pilot.press(*"deploy v4.2.1", "enter")
        await refreshed(pilot)
        await pilot.press("n")
        await pilot.pause()
        demo_app.screen.query_one("#note-text").value = HOSTILE  # type: ignore[attr-defined]
        await pilot.press("tab", "ctrl+u", *"-1m", "enter")
        await refreshed(pilot)
        lines = _lines(demo_app)
    user = demo_app.reader.user
    assert await _notes(demo_db) == [
        (demo_now - 60, user, HOSTILE),
        (demo_now, user, "deploy v4.2.1"),
    ]
    assert lines[0] == f"11:08:05 ✎ note  {user}: deploy v4.2.1"
    shown = next(line for line in lines if "**deploy**" in line)
    assert shown == f"11:07:05 ✎ note  {user}: [red]x[/] ␛[2J **deploy** <b>"


async def test_a_bad_time_or_no_text_keeps_the_dialog_open(
    demo_app: WootwatchApp, demo_db: Path
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("n")
        await pilot.pause()
        await pilot.press("enter")  # no text yet
        await pilot.pause()
        error = str(demo_app.screen.query_one("#note-error").render())
        assert isinstance(demo_app.screen, NoteDialog) and "type the note first" in error
        await pilot.press(*"x", "tab", "ctrl+u", *"25:99", "enter")
        await pilot.pause()
        error = str(demo_app.screen.query_one("#note-error").render())
        assert isinstance(demo_app.screen, NoteDialog) and "not a time" in error
        await pilot.press("escape")
        await pilot.pause()
    assert await _notes(demo_db) == []


async def test_enter_on_an_entry_rewinds_to_its_time(
    demo_app: WootwatchApp, demo_now: float
) -> None:
    posted: list[Message] = []
    async with demo_app.run_test(size=(120, 40), message_hook=posted.append) as pilot:
        await pilot.press("7")
        await refreshed(pilot)
        panel = demo_app.screen.query_one(TimelinePanel)
        listing = panel.query_one(LineList)
        listing.focus()
        await pilot.press("down", "down")
        await pilot.pause()
        chosen = panel.chosen()
        assert chosen is not None
        await pilot.press("enter")
        await pilot.pause()
    rewinds = list({id(m): m for m in posted if isinstance(m, RewindTo)}.values())  # bubbled
    assert [m.moment for m in rewinds] == [chosen.at]
    assert chosen.at < demo_now  # the third newest entry, not now


async def test_every_sparkline_of_the_view_marks_the_slot_of_a_note(
    demo_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    async with await AlertBook.open(demo_db) as book:
        await add_annotation(book, ts=demo_now - 600, author="amy", text="deploy v4.2.1")
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await pilot.press("7")
        await refreshed(pilot)
        panel = demo_app.screen.query_one(ChartsPanel)
        start, end = panel.window
        sparks = list(panel.query(SparkLine))
        assert sparks and all(spark.marks == sparks[0].marks for spark in sparks)
        (slot,) = sparks[0].marks
        step = (end - start) / len(sparks[0].data)
        assert start + slot * step <= demo_now - 600 < start + (slot + 1) * step
        await pilot.press("1")  # the overview's sparklines too
        await refreshed(pilot)
        overview = [spark.marks for spark in demo_app.screen.query(SparkLine)]
    assert overview and all(len(marks) == 1 for marks in overview)


async def test_a_note_about_a_source_marks_only_that_sources_sparklines(
    demo_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    """`annotate --source sidekiq` marks Sidekiq's sparklines only; a note without one, all."""
    async with await AlertBook.open(demo_db) as book:
        await add_annotation(
            book, ts=demo_now - 600, author="amy", text="redis failover", source="sidekiq"
        )
        await add_annotation(book, ts=demo_now - 1200, author="amy", text="deploy v4.2.1")
    async with demo_app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        overview = {
            row.view.source: {len(spark.marks) for spark in row.query(SparkLine)}
            for row in demo_app.screen.query(SourceRow)
        }
        await pilot.press("7")
        await refreshed(pilot)
        charts = {len(r.marks) for r in demo_app.screen.query_one(MetricGrid).readings}
        await pilot.press("4")
        await refreshed(pilot)
        sidekiq = {len(s.marks) for s in demo_app.screen.query_one(SidekiqPanel).query(SparkLine)}
        sqs = {len(s.marks) for s in demo_app.screen.query_one(SqsPanel).query(SparkLine)}
        await pilot.press("2")  # the latency chart, of the pipeline's series
        await refreshed(pilot)
        latency = demo_app.screen.query_one(TimeChart).data
    assert overview.pop("sidekiq") == {2}
    assert overview and all(marks == {1} for marks in overview.values())
    assert charts == {1, 2}  # the incident's charts: Sidekiq's and the others'
    assert (sidekiq, max(sqs)) == ({2}, 1)  # SQS rows: the note without a source only
    assert latency is not None and len(latency.marks) == 1
