"""Pilot helpers of the TUI tests: wait for the screen to read the store and draw it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widget import Widget

from tui.app import WootwatchApp


async def refreshed(pilot: Pilot[object]) -> None:
    """Wait until the screen on view has read the store once more and drawn it."""
    app = pilot.app
    assert isinstance(app, WootwatchApp)
    for _ in range(200):  # let a read already in flight finish: it may predate the keys
        if not app.refreshing:
            break
        await pilot.pause(0.02)
    seen = app.refreshes
    app.refresh_now()
    for _ in range(200):
        if app.refreshes > seen:
            break
        await pilot.pause(0.02)
    else:
        raise AssertionError("the screen did not refresh within 4 s")
    await pilot.pause()


def after(*keys: str) -> Callable[[Pilot[object]], Awaitable[None]]:
    """A snapshot `run_before`: press `keys`, then wait for a fresh read of the store."""

    async def run_before(pilot: Pilot[object]) -> None:
        await refreshed(pilot)
        if keys:
            await pilot.press(*keys)
            await refreshed(pilot)

    return run_before


class DrawCount:
    """How often a widget is drawn: wraps the widget's own `render`, in place."""

    def __init__(self, widget: Widget) -> None:
        self.count = 0
        render = widget.render

        def counted() -> Any:
            self.count += 1
            return render()

        setattr(widget, "render", counted)  # noqa: B010 (mypy refuses assigning a method)


class LayoutCount:
    """How often a screen is laid out: wraps the screen's own `_refresh_layout`, in place."""

    def __init__(self, screen: Screen[Any]) -> None:
        self.count = 0
        refresh_layout = screen._refresh_layout

        def counted(*args: Any, **kwargs: Any) -> None:
            self.count += 1
            refresh_layout(*args, **kwargs)

        setattr(screen, "_refresh_layout", counted)  # noqa: B010 (mypy refuses assigning a method)


class Holding(App[None]):
    """An app that shows one widget, for tests of how that widget draws."""

    def __init__(self, widget: Widget) -> None:
        super().__init__()
        self._widget = widget

    def compose(self) -> ComposeResult:
        """The widget alone."""
        yield self._widget
