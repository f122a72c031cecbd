"""The key reference (`?` or F1): every key of the screen on view, read from its bindings.

The rows are built from the bindings in force where the key was pressed
(`Screen.active_bindings`: the focused widget's, the screen's, the app's),
never from a hand-kept list, so a key added to a screen shows here at once.
Keys bound to one action share a row (`q / ctrl+c  Quit`); bindings without
a description are left out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.dom import DOMNode
from textual.screen import Screen
from textual.widgets import Static

from tui.dialogs.frame import Dialog

__all__ = ["KeyRow", "KeysDialog", "key_rows"]

KeyRow = tuple[str, str, str]
"""Where the key works (a section), the keys, what they do."""


def _section(node: DOMNode, screen: Screen[object]) -> str:
    if node is screen.app:
        return "Everywhere"
    if node is screen:
        title = getattr(screen, "TITLE", "") or type(screen).__name__
        return f"On the {title} screen"
    words = re.sub(r"(?<=[a-z])(?=[A-Z])", " ", type(node).__name__).lower()
    return f"In the {words}"


def key_rows(screen: Screen[object]) -> list[KeyRow]:
    """The keys in force on `screen`: the focused widget's, then the screen's, then the app's."""
    rows: dict[tuple[int, str], tuple[int, str, list[str], str]] = {}
    for item in screen.active_bindings.values():
        binding: Binding = item.binding
        if not binding.description:
            continue
        rank = 2 if item.node is screen.app else 1 if item.node is screen else 0
        where = _section(item.node, screen)
        key = screen.app.get_key_display(binding)
        found = rows.setdefault(
            (id(item.node), binding.action), (rank, where, [], binding.description)
        )
        if key not in found[2]:
            found[2].append(key)
    ordered = sorted(rows.values(), key=lambda row: row[0])  # stable: bindings keep their order
    return [(where, " / ".join(keys), does) for _, where, keys, does in ordered]


class KeysDialog(Dialog[None]):
    """Every key of the screen under it, by where it works.

    | Key | Does |
    | :- | :- |
    | up / down / pageup / pagedown | scroll |
    | escape / ? / f1 | close |

    Args:
        title: the screen's name (in the box's title).
        rows: the keys, from `key_rows`.
        note: a line under the keys (how they behave in a mode, e.g. rewound), if any.
    """

    DEFAULT_CSS = """
    KeysDialog VerticalScroll {
        height: auto;
        max-height: 1fr;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Close"),
        Binding("question_mark", "cancel", "Close", show=False),
        Binding("f1", "cancel", "Close", show=False),
    ]

    def __init__(self, title: str, rows: Sequence[KeyRow], note: str = "") -> None:
        super().__init__(f"Keys · {title}", "Escape, ? or F1 closes")
        self._rows = list(rows)
        self._note = note

    def compose_dialog(self) -> ComposeResult:
        """The keys, section by section, in a scrolling column."""
        width = max((len(keys) for _, keys, _ in self._rows), default=0)
        text = Text(no_wrap=True, overflow="ellipsis")
        section = None
        for where, keys, does in self._rows:
            if where != section:
                text.append(("\n" if section is not None else "") + where + "\n", "bold")
                section = where
            text.append(f"  {keys:<{width}}  ", "bold")
            text.append(does + "\n")
        text.rstrip()
        with VerticalScroll():
            yield Static(text or Text("no keys"), id="keys-list")
            if self._note:
                yield Static(self._note, id="keys-note", classes="dialog-label", markup=False)
