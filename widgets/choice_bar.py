"""A one-line row of options with one chosen, e.g. the time window of a screen."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.message import Message
from textual.reactive import reactive
from textual.widget import Widget

__all__ = ["ChoiceBar"]


class ChoiceBar(Widget):
    """`label: 5m [1h] 24h 7d (hint)`: the options, the chosen one in brackets.

    The screen that owns it changes the choice with its keys and sets
    `selected`; a click on an option posts `ChoiceBar.Chosen`.
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"choice-bar--selected", "choice-bar--hint"}
    """
    | Class | Description |
    | :- | :- |
    | `choice-bar--selected` | The chosen option. |
    | `choice-bar--hint` | The label and the key hint. |
    """

    DEFAULT_CSS = """
    ChoiceBar {
        height: 1;
        width: 1fr;
        padding: 0 1;
    }
    ChoiceBar > .choice-bar--selected {
        color: $text;
        background: $primary 40%;
        text-style: bold;
    }
    ChoiceBar > .choice-bar--hint {
        color: $text-muted;
    }
    """

    selected: reactive[int] = reactive(0)
    """The index of the chosen option."""

    class Chosen(Message):
        """An option was clicked."""

        def __init__(self, choice_bar: ChoiceBar, index: int) -> None:
            super().__init__()
            self.choice_bar = choice_bar
            """The bar that was clicked."""
            self.index = index
            """The index of the option clicked."""

        @property
        def control(self) -> ChoiceBar:
            """The bar that was clicked."""
            return self.choice_bar

    def __init__(
        self,
        options: Sequence[str],
        *,
        label: str = "",
        hint: str = "",
        selected: int = 0,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the bar.

        Args:
            options: the options' names, in order.
            label: a name before the options, e.g. `window`.
            hint: a muted remark after them, e.g. `w: next`.
            selected: the index chosen first.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._options = tuple(options)
        self._label = label
        self._hint = hint
        self.set_reactive(ChoiceBar.selected, selected)

    def _spans(self) -> list[tuple[int, int]]:
        """Where each option is drawn: (first cell, past the last cell)."""
        spans, cell = [], len(self._label) + 1 if self._label else 0
        for option in self._options:
            spans.append((cell, cell + len(option) + 2))
            cell += len(option) + 3
        return spans

    def render(self) -> RenderResult:
        """The label, the options (the chosen one in brackets) and the hint."""
        hint_style = self.get_component_rich_style("choice-bar--hint")
        text = Text(no_wrap=True, overflow="ellipsis", end="")
        if self._label:
            text.append(f"{self._label} ", hint_style)
        for index, option in enumerate(self._options):
            if index == self.selected:
                text.append(f"[{option}]", self.get_component_rich_style("choice-bar--selected"))
            else:
                text.append(f" {option} ")
            text.append(" ")
        if self._hint:
            text.append(f" {self._hint}", hint_style)
        return text

    def on_click(self, event: events.Click) -> None:
        """Choose the option under the pointer."""
        for index, (first, past) in enumerate(self._spans()):
            if first <= event.x - self.gutter.left < past:
                self.post_message(self.Chosen(self, index))
                return
