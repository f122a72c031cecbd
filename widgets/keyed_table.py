"""A DataTable that is given whole rows by key and changes only the cells that differ.

A screen that redraws its table on every refresh would clear and refill it
(every line sent to the terminal again, the cursor lost). `KeyedTable.show`
compares the new rows with the ones on view: the same keys in the same
order update only the cells that changed, however many (a window switch changes
every figure of a 200-row table), and the columns take the width of their
widest cell; otherwise the rows are rebuilt and the cursor stays on the row it
was on, if that row is still there.

Every cell is shown inert: a `str` becomes `rich.text.Text` (never parsed as
markup) and control characters in any cell become Control Pictures.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual.binding import BindingType
from textual.widgets import DataTable

from collectors.inert import inert
from widgets.motion import motion_bindings

__all__ = ["Cell", "KeyedTable", "Row"]

Cell = str | Text
"""A cell: plain text, or a `Text` with styles (its text is made inert too)."""
Row = tuple[str, Sequence[Cell]]
"""A row key and its cells, one per column."""


def _shown_cell(cell: Cell, width: int | None) -> Text:
    """`cell` made inert, cut to a fixed column's `width` with `…` (DataTable cuts bare).

    A `Text` is copied only when it must change: the caller's is never altered.
    """
    if isinstance(cell, str):
        text = Text(inert(cell), no_wrap=True, end="")
    else:
        plain = inert(cell.plain)
        too_wide = width is not None and cell.cell_len > width
        if plain == cell.plain and not too_wide:
            return cell
        text = cell.copy()
        text.plain = plain  # one character for one: the styles keep their places
    if width is not None and text.cell_len > width:
        text.truncate(width, overflow="ellipsis")
    return text


class KeyedTable(DataTable[Text]):
    """A row-cursor table of keyed rows; `show` updates it in place where it can.

    | Key | Does |
    | :- | :- |
    | up / down / j / k | move the cursor |
    | ctrl+home / ctrl+end / g / G | first / last row |
    | pageup / pagedown | a page up / down |

    Args:
        columns: the column titles (also their keys).
        widths: a fixed width per column (None: as wide as its cells); all auto if omitted.
        name: The name of the widget.
        id: The ID of the widget in the DOM.
        classes: The CSS classes of the widget.
        disabled: Whether the widget is disabled or not.
    """

    BINDINGS: ClassVar[list[BindingType]] = motion_bindings(
        down="cursor_down", up="cursor_up", top="scroll_top", bottom="scroll_bottom"
    )

    def __init__(
        self,
        columns: Sequence[str],
        *,
        widths: Sequence[int | None] | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(
            cursor_type="row", zebra_stripes=False, name=name, id=id, classes=classes,
            disabled=disabled,
        )  # fmt: skip
        self._column_titles = tuple(columns)
        self._widths = tuple(widths) if widths is not None else (None,) * len(columns)
        self._shown: list[tuple[str, tuple[Text, ...]]] = []

    def on_mount(self) -> None:
        """Add the columns."""
        self._add_columns()

    def _add_columns(self) -> None:
        if not self.columns:
            for title, width in zip(self._column_titles, self._widths, strict=True):
                self.add_column(Text(title), key=title, width=width)

    @property
    def keys(self) -> list[str]:
        """The keys of the rows on view, top to bottom."""
        return [key for key, _ in self._shown]

    @property
    def cursor_key(self) -> str | None:
        """The key of the row under the cursor, or None for an empty table."""
        if not self._shown or not 0 <= self.cursor_row < len(self._shown):
            return None
        return self._shown[self.cursor_row][0]

    def show(self, rows: Sequence[Row], *, rebuild: bool = False) -> None:
        """Show these rows: changed cells only, or a rebuild when the keys differ.

        Args:
            rows: keys and cells, top to bottom.
            rebuild: rebuild every row even if the keys are the same (after a
                change of style that `Text` equality does not see).
        """
        self._add_columns()
        new = [
            (key, tuple(_shown_cell(c, w) for c, w in zip(cells, self._widths, strict=True)))
            for key, cells in rows
        ]
        if not rebuild and [key for key, _ in new] == self.keys:
            for (key, cells), (_, old) in zip(new, self._shown, strict=True):
                for title, cell, before in zip(self._column_titles, cells, old, strict=True):
                    if cell != before:
                        self.update_cell(key, title, cell)
            self._shown = new
            self._fit_columns()
            return
        keep = self.cursor_key
        self.clear()
        for column in self.columns.values():  # as wide as its title and new cells, not the old
            if column.auto_width:
                column.content_width = column.label.cell_len
        for key, cells in new:
            self.add_row(*cells, key=key)
        self._shown = new
        if keep in self.keys:
            self.move_cursor(row=self.keys.index(keep), animate=False)

    def _fit_columns(self) -> None:
        """Each auto-width column as wide as its title and widest cell (cells are one line).

        DataTable would measure every cell of a column again for each updated
        cell that got narrower: here each cell is measured once.
        """
        resized = False
        for i, column in enumerate(self.columns.values()):
            if not column.auto_width:
                continue
            widest = max((cells[i].cell_len for _, cells in self._shown), default=0)
            width = max(widest, column.label.cell_len)
            if width != column.content_width:
                column.content_width = width
                resized = True
        if resized:  # DataTable's own sizing, now rather than on idle: one frame, not two
            self._update_dimensions(())
