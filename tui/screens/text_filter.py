"""A screen with a `/` text filter: `n`/`N` step through what it lets through (issue 16).

`FilteredScreen` holds the keys and the box, the same on every screen that has
one (alerts, queues): `/` puts the cursor in the box (an `Input` with the class
`text-filter`, composed by the screen), every keystroke filters at once, Enter
or Escape goes back to the results with the filter kept, Escape from the
results goes back to the screen before, and `n`/`N` move to the next or
previous match, wrapping. The screen says what the text filters and how to
step (`filter_changed`, `step_match`, `results`).
"""

from __future__ import annotations

from typing import ClassVar

from textual import on
from textual.binding import Binding, BindingType
from textual.widget import Widget
from textual.widgets import Input

from tui.screens.base import LiveScreen

__all__ = ["FilteredScreen"]


class FilteredScreen(LiveScreen):
    """A live screen whose `/` box filters what it shows, with `n`/`N` to step through it."""

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "filter_text", "Find", key_display="/"),
        Binding("n", "next_match(1)", "Next"),
        Binding("N", "next_match(-1)", "Previous", show=False),
        Binding("escape", "leave_filter", "Leave filter / back", show=False),
    ]
    NO_MATCH: ClassVar[str] = "Nothing matches the filter."
    """What `n` says when the filter lets nothing through."""

    def filter_changed(self, text: str) -> None:
        """Show only what holds `text` (stripped, lower case; empty shows everything)."""
        raise NotImplementedError

    def step_match(self, step: int) -> bool:
        """Move to the match `step` away from the current one, wrapping; False if none."""
        raise NotImplementedError

    def results(self) -> Widget | None:
        """Where the cursor goes back to from the box, or None to leave it nowhere."""
        raise NotImplementedError

    def action_filter_text(self) -> None:
        """Put the cursor in the text filter."""
        self.query_one(".text-filter", Input).focus()

    async def action_leave_filter(self) -> None:
        """From the filter back to the results (the filter stays); else the screen before."""
        if self.query_one(".text-filter", Input).has_focus:
            self._back_to_results()
        else:
            await self.app.run_action("app.go_back")

    def action_next_match(self, step: int) -> None:
        """Move to the next (or previous) match, wrapping."""
        if not self.step_match(step):
            self.notify(self.NO_MATCH, severity="warning")

    def _back_to_results(self) -> None:
        results = self.results()
        if results is not None:
            results.focus()
        else:
            self.set_focus(None)

    @on(Input.Changed, ".text-filter")
    def _filter_changed(self, event: Input.Changed) -> None:
        self.filter_changed(event.value.strip().lower())

    @on(Input.Submitted, ".text-filter")
    def _filter_submitted(self) -> None:
        self._back_to_results()
