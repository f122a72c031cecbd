"""A chart panel reads one point per cell of its sparklines, even right after mounting them."""

from __future__ import annotations

from textual.app import App, ComposeResult

from tui.data.reader import StoreReader
from tui.panels.chart_panel import ChartPanel
from widgets.spark_line import SparkLine

WIDTH = 17


class _Panel(ChartPanel[int]):
    """Mounts its sparkline when it first draws, as the overview mounts a row per source."""

    async def gather(self, reader: StoreReader) -> int:
        _, points = await self.chart_window(0.0, 3600.0)
        return points

    def present(self, data: int) -> None:
        if not self.query(SparkLine):
            self.mount(SparkLine([1.0, 2.0]))


class _Harness(App[None]):
    CSS = f"SparkLine {{ width: {WIDTH}; }}"

    def compose(self) -> ComposeResult:
        yield _Panel()


async def test_a_read_right_after_the_sparklines_are_mounted_waits_for_their_width() -> None:
    """The NO_COLOR overview snapshot failed 2 runs in 5: a read before layout took 30 points."""
    app = _Harness()
    async with app.run_test(size=(60, 12)):
        panel = app.query_one(_Panel)
        reader = None  # the panel reads no store
        panel.present(await panel.gather(reader))  # type: ignore[arg-type]
        assert await panel.gather(reader) == WIDTH  # type: ignore[arg-type]
