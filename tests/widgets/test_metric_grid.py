from __future__ import annotations

import pytest
from _pilot import LayoutCount
from textual.app import App, ComposeResult

from widgets.metric_grid import MetricGrid
from widgets.metric_row import MetricReading, MetricRow
from widgets.spark_line import SparkLine


def _readings(count: int, *, alarm_first: bool = False) -> tuple[MetricReading, ...]:
    return tuple(
        MetricReading(f"n{i}", str(i), (1.0, 2.0, float(i)), alarm=alarm_first and i == 0)
        for i in range(count)
    )


class _Harness(App[None]):
    def compose(self) -> ComposeResult:
        yield MetricGrid(_readings(5))


@pytest.mark.parametrize(("width", "columns"), [(40, 1), (80, 2), (120, 3), (200, 5)])
async def test_the_grid_takes_as_many_columns_as_fit(width: int, columns: int) -> None:
    app = _Harness()
    async with app.run_test(size=(width, 10)) as pilot:
        await pilot.pause()
        rows = list(app.query(MetricRow))
        assert len({row.region.x for row in rows}) == columns
        assert app.query_one(MetricGrid).size.height == -(-5 // columns)


async def test_new_readings_update_the_rows_in_place_and_mark_alarms() -> None:
    app = _Harness()
    async with app.run_test(size=(80, 10)) as pilot:
        grid = app.query_one(MetricGrid)
        before = list(app.query(MetricRow))
        grid.readings = _readings(5, alarm_first=True)
        await pilot.pause()
        assert list(app.query(MetricRow)) == before
        first = before[0]
        assert str(first.query_one(".metric-text").render())[11:].strip() == "⚠ 0"
        assert first.has_class("-alarm") and first.query_one(SparkLine).has_class("-alarm")
        grid.readings = _readings(2)
        await pilot.pause()
        assert list(app.query(MetricRow)) == before[:2]
        assert not first.has_class("-alarm")
        grid.readings = _readings(3)
        await pilot.pause()
        assert [row.reading.label for row in app.query(MetricRow)] == ["n0", "n1", "n2"]


async def test_labels_and_values_are_drawn_inert() -> None:
    app = _Harness()
    async with app.run_test(size=(120, 10)) as pilot:
        app.query_one(MetricGrid).readings = (MetricReading("[b]x\x1b[2J", "\x07[/b]"),)
        await pilot.pause()
        row = app.query_one(MetricRow)
        text = str(row.query_one(".metric-text").render())
        assert text[:11].rstrip() == "[b]x␛[2J"
        assert text[11:].strip() == "␇[/b]"


async def test_a_note_lays_the_screen_out_once() -> None:
    """An alert on a number notes it: its text widens and its sparkline narrows, in one
    layout of the screen, not a second one for their new sizes (30-45 ms each on the demo)."""
    app = _Harness()
    async with app.run_test(size=(80, 10)) as pilot:
        await pilot.pause()
        spark = app.query(MetricRow).first().query_one(SparkLine)
        width = spark.size.width
        layouts = LayoutCount(app.screen)
        noted = MetricReading("n0", "0", (1.0, 2.0, 0.0), alarm=True, note="p95 5m")
        app.query_one(MetricGrid).readings = (noted, *_readings(5)[1:])
        await pilot.pause()
        assert layouts.count == 1
        assert spark.size.width == width - len(" p95 5m")
