"""A source's state as a badge: colour, icon and word (`● ok`, `◐ stale`, `✖ down`, `○ no data`).

Beside it, how long ago the source last updated.
"""

from __future__ import annotations

from typing import ClassVar, Final

from rich.text import Text
from textual.app import RenderResult
from textual.reactive import reactive
from textual.widget import Widget

from widgets.vocab import SOURCE_STATE_ICONS, updated_ago

__all__ = ["StateBadge"]

_WORD: Final = max(len(state) for state in SOURCE_STATE_ICONS)
"""Columns of the state's word: the longest (`no data`), so every badge is as wide."""
_AGE: Final = len(updated_ago(0.0))
"""Columns kept for the age (`updated <10s ago`): a shorter one (`updated 10s ago`, `never
updated`) leaves them blank, so the age ticking on never lays the screen out again."""


class StateBadge(Widget):
    """The state of a source (`ok`, `stale` or `down`) and how long ago it last updated.

    The state is never shown by colour alone: an icon and the word come with it.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {
        "state-badge--ok",
        "state-badge--stale",
        "state-badge--down",
        "state-badge--no-data",
        "state-badge--unknown",
        "state-badge--age",
    }
    """
    | Class | Description |
    | :- | :- |
    | `state-badge--ok` | The icon and word of a source that is ok. |
    | `state-badge--stale` | ... of a source whose data is stale. |
    | `state-badge--down` | ... of a source that is down. |
    | `state-badge--no-data` | ... of a source that answers but holds none of its data. |
    | `state-badge--unknown` | ... of a state this badge does not know. |
    | `state-badge--age` | "updated 12s ago". |
    """

    DEFAULT_CSS = """
    StateBadge {
        width: auto;
        min-width: 27;  /* `● no data  updated <10s ago`: the icon, _WORD, _AGE */
        height: 1;
    }
    StateBadge > .state-badge--ok {
        color: $success;
        text-style: bold;
    }
    StateBadge > .state-badge--stale {
        color: $warning;
        text-style: bold;
    }
    StateBadge > .state-badge--down {
        color: $error;
        text-style: bold;
    }
    StateBadge > .state-badge--no-data {
        color: $warning;
    }
    StateBadge > .state-badge--unknown {
        color: $text-muted;
    }
    StateBadge > .state-badge--age {
        color: $text-muted;
    }
    """

    state: reactive[str] = reactive("ok")
    """`ok`, `stale`, `down` or `no data` (another word shows muted, with a `?`)."""
    age: reactive[float | None] = reactive(None, repaint=False)
    """Seconds since the source last updated; None: never. It changes on every refresh,
    the text it shows (`updated 20s ago`) far less often: only a new text is drawn."""

    def __init__(
        self,
        state: str = "ok",
        *,
        age: float | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the badge.

        Args:
            state: `ok`, `stale`, `down` or `no data`.
            age: seconds since the source last updated, or None if it never has.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.set_reactive(StateBadge.state, state)
        self.set_reactive(StateBadge.age, age)

    def watch_state(self, old: str, state: str) -> None:
        """Lay out again only when the badge's width changes."""
        if len(old) != len(state) and max(len(old), len(state)) > _WORD:
            self.refresh(layout=True)

    def watch_age(self, old: float | None, age: float | None) -> None:
        """Draw again only when the text changes; lay out again only when its width does."""
        before, after = updated_ago(old), updated_ago(age)
        if before != after:
            self.refresh(layout=max(len(before), _AGE) != max(len(after), _AGE))

    def render(self) -> RenderResult:
        """`● ok  updated 12s ago`."""
        known = self.state in SOURCE_STATE_ICONS
        style = self.get_component_rich_style(
            f"state-badge--{self.state.replace(' ', '-')}" if known else "state-badge--unknown"
        )
        text = Text(no_wrap=True, end="")
        text.append(f"{SOURCE_STATE_ICONS.get(self.state, '?')} {self.state:<{_WORD}}", style)
        text.append(f"  {updated_ago(self.age)}", self.get_component_rich_style("state-badge--age"))
        return text
