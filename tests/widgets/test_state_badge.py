from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

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
