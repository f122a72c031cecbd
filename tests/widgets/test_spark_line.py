from __future__ import annotations

from _pilot import DrawCount, Holding
from rich.text import Text
from textual.app import App, ComposeResult

from widgets.spark_line import SparkLine
from widgets.spark_text import resample, sparkline


def test_text_sparkline_scales_and_leaves_gaps_for_missing_data() -> None:
    assert sparkline([0, 7, None, 3.5]) == "▁█ ▅"
    assert sparkline([5, 5, 5]) == "▁▁▁"
    assert sparkline([None, None]) == "  "
    assert sparkline([1.0, 2.0], low=0.0, high=2.0) == "▅█"


def test_resample_keeps_a_short_spike_visible() -> None:
    values: list[float | None] = [1.0] * 100
    values[57] = 50.0
    squeezed = resample(values, 10)
    assert squeezed[5] == 50.0
    assert max(v for v in squeezed if v is not None) == 50.0
    assert resample([1.0, None, 3.0], 6) == [1.0, 1.0, None, None, 3.0, 3.0]


class _Harness(App[None]):
    def __init__(self, data: list[float | None]) -> None:
        super().__init__()
        self.data = data
        self.picked: list[tuple[float, float]] = []

    def compose(self) -> ComposeResult:
        yield SparkLine(self.data, id="spark")

    def on_spark_line_picked(self, event: SparkLine.Picked) -> None:
        self.picked.append((event.start, event.end))


async def test_enter_picks_the_peak_and_arrows_move_the_cursor() -> None:
    data: list[float | None] = [1.0] * 20
    data[15] = 9.0
    app = _Harness(data)
    async with app.run_test(size=(20, 3)) as pilot:
        app.query_one(SparkLine).focus()
        await pilot.press("enter")
        await pilot.press("left", "left", "enter")
        await pilot.pause()
    assert app.picked == [(0.75, 0.8), (0.65, 0.7)]


async def test_a_click_picks_the_slot_under_the_pointer() -> None:
    app = _Harness([float(i) for i in range(10)])
    async with app.run_test(size=(10, 3)) as pilot:
        await pilot.click(SparkLine, offset=(2, 0))
        await pilot.pause()
    assert app.picked == [(0.2, 0.3)]


async def test_an_annotations_slot_is_drawn_in_reverse_at_its_cell() -> None:
    data: list[float | None] = [float(i % 5) for i in range(40)]
    same = SparkLine(data[:20], marks=(3, 12))
    squeezed = SparkLine(data, marks=(30,))  # 40 slots on 20 cells: slot 30 is cell 15
    for spark in (same, squeezed):
        async with Holding(spark).run_test(size=(20, 3)) as pilot:
            await pilot.pause()
            text = spark.render()
            assert isinstance(text, Text)
            reversed_cells = [
                i for i in range(len(text)) if any(
                    s.style.reverse for s in text.spans if s.start <= i < s.end
                )
            ]  # fmt: skip
            assert reversed_cells == ([3, 12] if spark is same else [15])
            assert text.plain == sparkline(resample(spark.data, 20))  # the values still drawn


async def test_new_values_that_draw_the_same_blocks_are_not_drawn_again() -> None:
    """Issue 16: every poll nudged the newest slot's mean and redrew the sparkline (and the
    box of the screen around every change) though its blocks stayed the same."""
    spark = SparkLine([1.0, 2.0, 4.0, 8.0], low=0.0)
    async with Holding(spark).run_test(size=(4, 3)) as pilot:
        await pilot.pause()
        blocks = str(spark.render())
        draws = DrawCount(spark)
        spark.data = (1.0, 2.0, 4.0, 7.95)
        await pilot.pause()
        assert draws.count == 0
        spark.data = (1.0, 2.0, 4.0, 2.0)
        await pilot.pause()
        assert draws.count > 0
        assert str(spark.render()) != blocks
