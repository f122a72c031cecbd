from __future__ import annotations

from _pilot import LayoutCount
from textual.app import App, ComposeResult
from textual.widgets import Static

from widgets.reading_cell import Reading, ReadingCell
from widgets.spark_line import SparkLine


class _Harness(App[None]):
    def compose(self) -> ComposeResult:
        yield ReadingCell(Reading("3"), label="retries")


def _text(cell: ReadingCell, part: str) -> str:
    return str(cell.query_one(f".reading-cell--{part}", Static).render())


async def test_a_reading_past_a_threshold_shows_its_mark_and_an_alarmed_sparkline() -> None:
    app = _Harness()
    async with app.run_test() as pilot:
        cell = app.query_one(ReadingCell)
        spark = cell.query_one(SparkLine)
        assert (_text(cell, "label"), _text(cell, "value"), _text(cell, "mark")) == (
            "retries",
            "3",
            "",
        )
        assert not spark.has_class("-alarm")
        cell.reading = Reading("140", (1.0, 40.0, 140.0), "error", "✖ deep")
        await pilot.pause()
        assert (_text(cell, "value"), _text(cell, "mark")) == ("140", "✖ deep")
        assert spark.has_class("-alarm") and spark.data == (1.0, 40.0, 140.0)
        cell.reading = Reading("2", (140.0, 2.0))
        await pilot.pause()
        assert _text(cell, "mark") == "" and not spark.has_class("-alarm")


async def test_a_new_value_lays_out_nothing_and_a_wider_mark_is_laid_out_whole() -> None:
    """A rewound step changes every cell: a layout each would reflow the whole screen each time.

    The value's width is fixed; the mark sizes to its text, so it is laid out
    again only when its width changes, and then it shows whole.
    """
    app = _Harness()
    async with app.run_test() as pilot:
        cell = app.query_one(ReadingCell)
        await pilot.pause()
        layouts = LayoutCount(app.screen)
        cell.reading = Reading("140", (1.0, 40.0))
        await pilot.pause()
        cell.reading = Reading("141", (40.0, 1.0))
        await pilot.pause()
        assert layouts.count == 0 and _text(cell, "value") == "141"
        cell.reading = Reading("142", (1.0,), "error", "✖ deep")
        await pilot.pause()
        assert layouts.count
        assert cell.query_one(".reading-cell--mark", Static).region.width == len("✖ deep")
