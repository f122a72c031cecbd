from __future__ import annotations

from textual.app import App, ComposeResult

from widgets.screen_tabs import ScreenTabs

TABS = [("overview", "1", "Overview"), ("latency", "2", "Latency"), ("logs", "6", "Logs")]


class _Harness(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.chosen: list[str] = []

    def compose(self) -> ComposeResult:
        yield ScreenTabs(TABS, "latency")

    def on_screen_tabs_chosen(self, event: ScreenTabs.Chosen) -> None:
        self.chosen.append(event.name)


async def test_tabs_name_every_screen_and_the_status_fits_on_the_right() -> None:
    app = _Harness()
    async with app.run_test(size=(60, 3)) as pilot:
        tabs = app.query_one(ScreenTabs)
        tabs.status = "demo.db · 11:08:05"
        await pilot.pause()
        line = str(tabs.render())
    assert line.startswith(" 1 Overview [2 Latency] 6 Logs ")
    assert line.endswith("demo.db · 11:08:05 ")
    assert len(line) == 60


async def test_a_narrow_line_keeps_every_key_and_the_current_title() -> None:
    app = _Harness()
    async with app.run_test(size=(24, 3)) as pilot:
        tabs = app.query_one(ScreenTabs)
        tabs.status = "a status that cannot fit"
        await pilot.pause()
        line = str(tabs.render())
    assert line.split() == ["1", "[2", "Latency]", "6"]


async def test_a_click_on_a_tab_chooses_its_screen() -> None:
    app = _Harness()
    async with app.run_test(size=(60, 3)) as pilot:
        await pilot.click(ScreenTabs, offset=(26, 0))
        await pilot.click(ScreenTabs, offset=(3, 0))
        await pilot.pause()
    assert app.chosen == ["logs", "overview"]
