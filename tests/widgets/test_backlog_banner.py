from __future__ import annotations

import pytest
from textual.app import App, ComposeResult

from widgets.backlog_banner import BacklogBanner


class _Harness(App[None]):
    def compose(self) -> ComposeResult:
        yield BacklogBanner(where="chat\x1b[2Jwoot", backlog_above=10, urgent_above=20)


@pytest.mark.parametrize(
    ("pending", "level", "words"),
    [
        (None, None, ""),
        (10, None, ""),
        (
            11,
            "backlog",
            "⚠ CX queue backlog: 11 conversations pending in chat␛[2Jwoot (more than 10)",
        ),
        (
            20,
            "backlog",
            "⚠ CX queue backlog: 20 conversations pending in chat␛[2Jwoot (more than 10)",
        ),
        (
            21,
            "urgent",
            "✖ URGENT: High backlog: 21 conversations pending in chat␛[2Jwoot (more than 20)",
        ),
    ],
)
async def test_seed_004_thresholds_more_than_10_is_a_backlog_more_than_20_urgent(
    pending: int | None, level: str | None, words: str
) -> None:
    app = _Harness()
    async with app.run_test() as pilot:
        banner = app.query_one(BacklogBanner)
        banner.pending = 30  # from another level first: the classes must follow the count
        banner.pending = pending
        await pilot.pause()
        assert banner.level == level
        assert banner.display is (level is not None)
        assert banner.has_class("-backlog") is (level == "backlog")
        assert banner.has_class("-urgent") is (level == "urgent")
        assert str(banner.render()) == words


async def test_the_thresholds_are_passed_in_and_moving_them_moves_the_banner() -> None:
    app = _Harness()
    async with app.run_test() as pilot:
        banner = app.query_one(BacklogBanner)
        banner.pending = 25
        banner.urgent_above = 60
        banner.backlog_above = 30
        await pilot.pause()
        assert banner.level is None and not banner.has_class("-urgent")
        banner.backlog_above = None
        banner.urgent_above = None
        banner.pending = 1000
        await pilot.pause()
        assert banner.level is None and banner.display is False
