"""The frame every modal of the TUI shares: a bordered box in the middle, a hint, a footer.

A dialog asks one thing and returns it through `dismiss`; Escape always
cancels (dismisses with None). Text from upstreams and people (a rule's
summary, labels, a note) is shown inert, never as markup.
"""

from __future__ import annotations

from typing import ClassVar, TypeVar

from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Footer, Static

__all__ = ["Dialog"]

R = TypeVar("R")


class Dialog(ModalScreen[R | None]):
    """A modal box with a title, the subclass's widgets, and a hint line of keys.

    | Key | Does |
    | :- | :- |
    | escape | cancel |

    Args:
        title: the box's border title.
        hint: one line saying which keys do what.
    """

    DEFAULT_CSS = """
    Dialog {
        align: center middle;
    }
    Dialog > .dialog-box {
        width: 76;
        max-width: 100%;
        height: auto;
        max-height: 100%;
        border: round $primary;
        border-title-color: $text;
        background: $surface;
        padding: 0 1;
    }
    Dialog .dialog-hint {
        color: $text-muted;
        margin-top: 1;
    }
    Dialog .dialog-label {
        margin-top: 1;
    }
    Dialog .dialog-error {
        color: $error;
        display: none;
    }
    Dialog .dialog-error.-shown {
        display: block;
    }
    """

    # Not DEFAULT_CSS: the shared stylesheet's opaque `Screen` background would win.
    # Unscoped, so that `Dialog` matches the dialog screen itself.
    SCOPED_CSS = False
    CSS = """
    Dialog {
        background: $background 60%;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [Binding("escape", "cancel", "Cancel")]

    def __init__(self, title: str, hint: str) -> None:
        super().__init__()
        self._title = title
        self._hint = hint

    def compose(self) -> ComposeResult:
        """The box, its contents and hint; the footer."""
        with Vertical(classes="dialog-box") as box:
            box.border_title = self._title
            yield from self.compose_dialog()
            yield Static(self._hint, classes="dialog-hint", markup=False)
        yield Footer()

    def compose_dialog(self) -> ComposeResult:
        """The dialog's own widgets."""
        yield from ()

    def action_cancel(self) -> None:
        """Close without an answer."""
        self.dismiss(None)
