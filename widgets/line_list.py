"""A list of one-line items that can be chosen, each known by a key across refreshes.

`LineList.show` is given every item on each refresh. Items with the same keys
in the same order only have their text replaced; otherwise the list is rebuilt
and the highlight stays on the item it was on (by key), wherever that item
moved, so a person acting on "this alert" never finds the cursor on another.
Lines are cut with `…` at the list's width, never wrapped.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.widgets import OptionList
from textual.widgets.option_list import Option

from widgets.motion import motion_bindings

__all__ = ["LineList"]


class LineList(OptionList):
    """Keyed one-line items with a highlight that follows its item.

    | Key | Does |
    | :- | :- |
    | up / down / j / k | move the highlight |
    | home / end / g / G | first / last item |
    | pageup / pagedown | a page up / down |
    | enter | select the item (posts `OptionList.OptionSelected`) |
    """

    BINDINGS: ClassVar[list[BindingType]] = motion_bindings(
        down="cursor_down", up="cursor_up", top="first", bottom="last"
    )

    DEFAULT_CSS = """
    LineList {
        border: none;
        padding: 0;
        height: auto;
        max-height: 100%;
        background: transparent;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    LineList:focus {
        border: none;
    }
    """

    @property
    def keys(self) -> list[str]:
        """The keys of the items, top to bottom."""
        return [option.id or "" for option in self.options]

    @property
    def highlighted_key(self) -> str | None:
        """The key of the highlighted item, or None when the list is empty."""
        option = self.highlighted_option
        return None if option is None else option.id

    def show(self, items: Sequence[tuple[str, Text]]) -> None:
        """Show `items` (key and line, top to bottom), keeping the highlight on its key."""
        keys = [key for key, _ in items]
        if keys == self.keys:
            for index, (_, line) in enumerate(items):
                if self.options[index].prompt != line:
                    self.replace_option_prompt_at_index(index, line)
            return
        keep = self.highlighted_key
        self.set_options(Option(line, id=key) for key, line in items)
        if keep in keys:
            self.highlighted = keys.index(keep)
        elif keys:
            self.highlighted = 0
