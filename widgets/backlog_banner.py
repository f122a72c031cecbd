"""Seed 004's queue banner: more than 10 pending conversations is a backlog, more than 20 urgent."""

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
    below `backlog_above` it is hidden. The words carry the level, not only
    the colour.
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

    def __init__(
        self,
        pending: int | None = None,
        *,
        where: str = "",
        backlog_above: int = 10,
        urgent_above: int = 20,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the banner.

        Args:
            pending: conversations pending now, or None if not known.
            where: the source the count comes from.
            backlog_above: more pending than this is a backlog (seed 004: 10).
            urgent_above: more pending than this is urgent (seed 004: 20).
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.backlog_above = backlog_above
        """More pending conversations than this shows the backlog banner."""
        self.urgent_above = urgent_above
        """More pending conversations than this shows the urgent banner."""
        self.set_reactive(BacklogBanner.where, where)
        self.pending = pending

    @property
    def level(self) -> str | None:
        """`backlog`, `urgent`, or None when there is no banner to show."""
        if self.pending is None or self.pending <= self.backlog_above:
            return None
        return "urgent" if self.pending > self.urgent_above else "backlog"

    def watch_pending(self) -> None:
        """Show the banner at the level the count reaches."""
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
        where = f" in {inert(self.where)}" if self.where else ""
        return Text(
            f"{head}: {self.pending} conversations pending{where} (more than {limit})",
            no_wrap=True,
            overflow="ellipsis",
            end="",
        )
