from __future__ import annotations

from textual.app import App, ComposeResult
from textual.widgets import Static

from widgets.metric_row import MetricReading
from widgets.source_row import SourceRow, SourceView

_READINGS = (MetricReading("pending", "31", (1.0, 3.0, 2.0)),)


class _Harness(App[None]):
    def compose(self) -> ComposeResult:
        yield SourceRow(SourceView("chatwoot", "ok", 3.0, "", _READINGS))


async def test_the_error_line_takes_the_colour_of_the_state_the_source_moves_to() -> None:
    """Issue 16: the state's colour moved from the row to its error line (a class on the
    row restyled every number and sparkline of it); the line must still follow the state."""
    app = _Harness()
    async with app.run_test() as pilot:
        row = app.query_one(SourceRow)
        detail = row.query_one(".source-detail", Static)
        colours = {}
        for state in ("down", "stale", "no data", "ok", "down"):
            row.view = SourceView("chatwoot", state, 3.0, "api check down", _READINGS)
            await pilot.pause()
            colours[state] = detail.styles.color
        assert colours["stale"] == colours["no data"] != colours["down"]
        assert colours["ok"] not in (colours["down"], colours["stale"])
