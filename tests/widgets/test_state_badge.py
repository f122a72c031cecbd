from __future__ import annotations

import pytest
from _pilot import DrawCount, Holding
from textual.app import App, ComposeResult
from textual.containers import Horizontal
from textual.widgets import Static

from widgets.state_badge import StateBadge


class _Harness(App[None]):
    def compose(self) -> ComposeResult:
        yield StateBadge()


@pytest.mark.parametrize(
    ("state", "age", "shown"),
    [
        ("ok", 0.2, "● ok       updated <10s ago"),
        ("stale", 95.0, "◐ stale    updated 1m ago"),
        ("down", 300.0, "✖ down     updated 5m ago"),
        ("down", None, "✖ down     never updated"),
        ("no data", 4.0, "○ no data  updated <10s ago"),
        ("sideways", 12.0, "? sideways  updated 10s ago"),
    ],
)
async def test_the_badge_says_its_state_in_words_with_an_icon(
    state: str, age: float | None, shown: str
) -> None:
    app = _Harness()
    async with app.run_test():
        badge = app.query_one(StateBadge)
        badge.state, badge.age = state, age
        assert str(badge.render()) == shown


async def test_every_known_state_takes_the_same_columns_so_the_ages_line_up() -> None:
    """Issue 16: `no data` was two columns wider than the others, pushing its row's text."""
    app = _Harness()
    async with app.run_test():
        badge = app.query_one(StateBadge)
        starts = set()
        for state in ("ok", "stale", "down", "no data"):
            badge.state = state
            starts.add(str(badge.render()).index("never updated"))
        assert starts == {11}


async def test_a_new_age_with_the_same_words_is_not_drawn_again() -> None:
    """Issue 16: every refresh (2 s) redrew every badge, and the box around them all, over
    SSH, while each still said `updated <10s ago`; only a change of words is drawn."""
    badge = StateBadge(age=2.0)
    async with Holding(badge).run_test() as pilot:
        await pilot.pause()
        draws = DrawCount(badge)
        for age in (4.0, 6.0, 8.0):
            badge.age = age
            await pilot.pause()
        assert draws.count == 0
        badge.age = 12.0
        await pilot.pause()
        assert draws.count > 0
        assert str(badge.render()).endswith("updated 10s ago")


class _RowHarness(App[None]):
    def compose(self) -> ComposeResult:
        with Horizontal():
            yield StateBadge(age=None)
            yield Static("api check down", id="detail")


async def test_the_text_after_the_badge_stays_put_as_the_age_ticks_on() -> None:
    """Issue 16: `updated <10s ago` to `updated 10s ago` narrowed the badge, moving the
    error beside it a column and laying the whole screen out again."""
    app = _RowHarness()
    async with app.run_test() as pilot:
        badge = app.query_one(StateBadge)
        detail = app.query_one("#detail", Static)
        await pilot.pause()
        starts = {detail.region.x}
        for age in (4.0, 12.0, 75.0, None, 3.0):
            badge.age = age
            await pilot.pause()
            starts.add(detail.region.x)
            assert badge.region.width >= len(str(badge.render()))
        assert len(starts) == 1
