"""Seed 004's queue banner: pending conversations past a backlog threshold, then an urgent one.

The thresholds are plain numbers the caller passes in (the overview takes
them from the rules in force); without them the banner stays hidden.
"""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive
from textual.widget import Widget

from collectors.inert import inert

__all__ = ["BacklogBanner"]


class BacklogBanner(Widget):
    """A one-line banner that appears when too many conversations are pending.

    Above `backlog_above` it reads "⚠ CX queue backlog" on the warning colour,
    above `urgent_above` "✖ URGENT: High backlog" on the error colour; at or
    below `backlog_above` (or while no threshold is set) it is hidden. The
    words carry the level, not only the colour.
    """

    DEFAULT_CSS = """
    BacklogBanner {
        text-wrap: nowrap;
        text-overflow: ellipsis;
        height: 1;
        padding: 0 1;
        display: none;
        color: $text;
    }
    BacklogBanner.-backlog {
        display: block;
        background: $warning 35%;
    }
    BacklogBanner.-urgent {
        display: block;
        background: $error 45%;
        text-style: bold;
    }
    """

    LEVELS: ClassVar[tuple[str, str]] = ("-backlog", "-urgent")
    """The classes the banner takes: a backlog, an urgent backlog."""

    pending: reactive[int | None] = reactive(None)
    """Conversations pending now; None: not known (no Chatwoot source)."""
    where: reactive[str] = reactive("")
    """The source the count comes from (untrusted; shown inert)."""
    backlog_above: reactive[float | None] = reactive(None)
    """More pending conversations than this shows the backlog banner (None: never)."""
    urgent_above: reactive[float | None] = reactive(None)
    """More pending conversations than this shows the urgent banner (None: never)."""

    def __init__(
        self,
        pending: int | None = None,
        *,
        where: str = "",
        backlog_above: float | None = None,
        urgent_above: float | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the banner.

        Args:
            pending: conversations pending now, or None if not known.
            where: the source the count comes from.
            backlog_above: more pending than this is a backlog (None: never).
            urgent_above: more pending than this is urgent (None: never).
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.set_reactive(BacklogBanner.backlog_above, backlog_above)
        self.set_reactive(BacklogBanner.urgent_above, urgent_above)
        self.set_reactive(BacklogBanner.where, where)
        self.pending = pending

    @property
    def level(self) -> str | None:
        """`backlog`, `urgent`, or None when there is no banner to show."""
        pending = self.pending
        if pending is None:
            return None
        if self.urgent_above is not None and pending > self.urgent_above:
            return "urgent"
        if self.backlog_above is not None and pending > self.backlog_above:
            return "backlog"
        return None

    def watch_pending(self) -> None:
        """Show the banner at the level the count reaches."""
        self._show_level()

    def watch_backlog_above(self) -> None:
        """A moved threshold may show, hide or change the banner."""
        self._show_level()

    def watch_urgent_above(self) -> None:
        """A moved threshold may show, hide or change the banner."""
        self._show_level()

    def _show_level(self) -> None:
        level = self.level
        for css_class in self.LEVELS:
            self.set_class(css_class == f"-{level}", css_class)

    def render(self) -> RenderResult:
        """The banner's words: the level, the count and the threshold it passed."""
        level = self.level
        if level is None:
            return Text("")
        if level == "urgent":
            head, limit = "✖ URGENT: High backlog", self.urgent_above
        else:
            head, limit = "⚠ CX queue backlog", self.backlog_above
        passed = "" if limit is None else f" (more than {limit:g})"
        where = f" in {inert(self.where)}" if self.where else ""
        return Text(
            f"{head}: {self.pending} conversations pending{where}{passed}",
            no_wrap=True,
            overflow="ellipsis",
            end="",
        )
