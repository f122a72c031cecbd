"""The firing list redraws what changed: a new value is its line, not the whole panel."""

from __future__ import annotations

from _pilot import DrawCount, Holding, LayoutCount

from tui.panels.base import PanelRead
from tui.panels.firing import FiringLine, FiringPanel
from widgets.line_list import LineList


def _line(value: str, alert_id: int = 7) -> FiringLine:
    return FiringLine(alert_id, "critical", 1_795_000_000.0, value, "API p95 high", "api", None)


async def test_a_new_value_redraws_its_line_not_the_panel() -> None:
    """Issue 16's idle budget: the panel's title was set on every refresh, and a title
    set redraws the panel, its 18 rows at 120x40, whatever changed."""
    panel = FiringPanel("Firing alerts", id="firing")
    async with Holding(panel).run_test(size=(100, 20)) as pilot:
        panel.show(PanelRead(data=(_line("2.4 s"),)))
        await pilot.pause()
        drawn = DrawCount(panel)
        panel.show(PanelRead(data=(_line("2.6 s"),)))
        await pilot.pause()
        assert drawn.count == 0
        assert panel.border_title == "Firing alerts (1)"
        panel.show(PanelRead(data=(_line("2.6 s"), _line("1.0 s", alert_id=8))))
        await pilot.pause()
        assert panel.border_title == "Firing alerts (2)"


async def test_a_new_alert_lengthens_the_list_in_one_layout() -> None:
    """The list fills the panel: a new alert adds a line to it without resizing it, so no
    scrollbar is shown for a moment (taken away by the layout after: two more layouts)."""
    panel = FiringPanel("Firing alerts", id="firing")
    async with Holding(panel).run_test(size=(100, 20)) as pilot:
        panel.show(PanelRead(data=(_line("2.4 s"),)))
        await pilot.pause()
        layouts = LayoutCount(pilot.app.screen)
        panel.show(PanelRead(data=(_line("2.4 s"), _line("1.0 s", alert_id=8))))
        await pilot.pause()
        assert layouts.count == 1
        assert panel.query_one(LineList).keys == ["7", "8"]
