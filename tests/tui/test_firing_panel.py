"""The firing list redraws what changed: a new value is its line, not the whole panel."""

from __future__ import annotations

from _pilot import DrawCount, Holding, LayoutCount

from tui.panels.base import PanelRead
from tui.panels.firing import FiringLine, FiringPanel
from widgets.line_list import LineList


def _line(value: str, alert_id: int = 7) -> FiringLine:
    return FiringLine(alert_id, "critical", 1_795_000_000.0, value, "API p95 high", "api", None)


async def test_a_new_value_redraws_its_line_and_a_new_alert_is_one_layout() -> None:
    """Issue 16's idle budget: the panel's title was set on every refresh, and a title
    set redraws the panel, its 18 rows at 120x40, whatever changed.

    A new alert is one layout: the list fills the panel, so one more line does not resize
    it (sized to its lines, it showed a scrollbar until the next layout took it away).
    """
    panel = FiringPanel("Firing alerts", id="firing")
    async with Holding(panel).run_test(size=(100, 20)) as pilot:
        panel.show(PanelRead(data=(_line("2.4 s"),)))
        await pilot.pause()
        drawn = DrawCount(panel)
        panel.show(PanelRead(data=(_line("2.6 s"),)))
        await pilot.pause()
        assert drawn.count == 0
        assert panel.border_title == "Firing alerts (1)"
        layouts = LayoutCount(pilot.app.screen)
        panel.show(PanelRead(data=(_line("2.6 s"), _line("1.0 s", alert_id=8))))
        await pilot.pause()
        assert panel.border_title == "Firing alerts (2)"
        assert layouts.count == 1 and panel.query_one(LineList).keys == ["7", "8"]
