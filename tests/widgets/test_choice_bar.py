from __future__ import annotations

from textual.app import App, ComposeResult

from widgets.choice_bar import ChoiceBar


class _Harness(App[None]):
    def __init__(self) -> None:
        super().__init__()
        self.chosen: list[int] = []

    def compose(self) -> ComposeResult:
        yield ChoiceBar(["5m", "1h", "24h", "7d"], label="window", hint="(w: next)", selected=1)

    def on_choice_bar_chosen(self, event: ChoiceBar.Chosen) -> None:
        self.chosen.append(event.index)


async def test_the_chosen_option_is_bracketed_and_a_click_chooses_another() -> None:
    app = _Harness()
    async with app.run_test(size=(60, 3)) as pilot:
        bar = app.query_one(ChoiceBar)
        assert str(bar.render()) == "window  5m  [1h]  24h   7d   (w: next)"
        # after the padding cell, "window " and " 5m  [1h]  ", the 24h option covers cells 18-22
        await pilot.click(ChoiceBar, offset=(21, 0))
        await pilot.click(ChoiceBar, offset=(9, 0))
        await pilot.click(ChoiceBar, offset=(2, 0))  # on the label: nothing
        await pilot.pause()
        assert app.chosen == [2, 0]
        bar.selected = 3
        await pilot.pause()
        assert str(bar.render()).endswith("24h  [7d]  (w: next)")
