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
from typing import ClassVar, Final

from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.binding import BindingType
from textual.cache import LRUCache
from textual.color import Color
from textual.css.styles import RenderStyles
from textual.geometry import Region, Size
from textual.strip import Strip
from textual.widgets import DataTable
from textual.widgets.data_table import ColumnKey, RowKey

from collectors.inert import inert
from widgets.motion import motion_bindings

__all__ = ["Cell", "KeyedTable", "Row"]

Cell = str | Text
"""A cell: plain text, or a `Text` with styles (its text is made inert too)."""
Row = tuple[str, Sequence[Cell]]
"""A row key and its cells, one per column."""

_DRAWN_CELLS: Final = 4096
"""Cells kept drawn: the visible rows of a few windows' figures, with and without the cursor."""


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


class _KeptStyles(RenderStyles):
    """A component's styles with their Rich style looked up once (while a table draws)."""

    def __init__(self, styles: RenderStyles) -> None:
        node = styles.node
        assert node is not None  # a component's styles belong to its virtual node
        super().__init__(node, styles.base, styles.inline)
        self._kept_style = styles.rich_style

    @property
    def rich_style(self) -> Style:
        """The Rich style, as it was when the table began to draw."""
        return self._kept_style


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
    _drawing: tuple[Style, tuple[Color, Color]] | None = None
    """While `render_lines` runs: the table's style and backgrounds, looked up once."""

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
        self._column_keys = tuple(ColumnKey(title) for title in self._column_titles)
        self.cells_written = 0
        """Cells `show` has changed in place, one by one (a rebuild is not counted)."""
        self._drawn: LRUCache[tuple[object, ...], tuple[Text, list[list[Segment]]]] = LRUCache(
            _DRAWN_CELLS
        )
        self._components: dict[tuple[str, ...], RenderStyles] = {}
        """While `render_lines` runs: the component styles looked up so far, by name."""

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
            written = self.cells_written
            self._shown = [
                self._write_changed(row, old) for row, old in zip(new, self._shown, strict=True)
            ]
            if self.cells_written > written:
                self._update_count += 1  # what `update_cell` does per cell: once for them all
                self.refresh()
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

    def _write_changed(
        self, row: tuple[str, tuple[Text, ...]], old: tuple[str, tuple[Text, ...]]
    ) -> tuple[str, tuple[Text, ...]]:
        """Write the cells of `row` that differ from `old`; the row as shown now.

        A cell equal to the one on view stays that very object, so what was
        drawn of it is drawn again from the cache (`_render_cell`).
        """
        key, cells = row
        _, before = old
        if cells == before:
            return old
        data = self._data[RowKey(key)]
        kept = []
        for column, cell, was in zip(self._column_keys, cells, before, strict=True):
            if cell is was or cell == was:
                kept.append(was)
                continue
            data[column] = cell
            self.cells_written += 1
            kept.append(cell)
        return key, tuple(kept)

    def _render_cell(
        self,
        row_index: int,
        column_index: int,
        base_style: Style,
        width: int,
        cursor: bool = False,
        hover: bool = False,
    ) -> list[list[Segment]]:
        """A body cell drawn as it was last time it was this `Text` object, in this place.

        DataTable keys its drawn cells by a count of updates: one changed cell
        draws every visible cell again. Here a cell is drawn once per object
        (`show` keeps an unchanged cell's object, a screen may hand back the
        object of a figure it showed before), so a window shown again draws
        only the rows, not the cells.
        """
        row_key = self._row_locations.get_key(row_index)
        column_key = self._column_locations.get_key(column_index)
        if row_key is None or column_key is None:  # the header and row labels: DataTable's way
            return super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        cell = self._data[row_key][column_key]
        key = (
            id(cell), row_index, column_index, base_style, width, cursor, hover,
            self.show_cursor, self._show_hover_cursor, self._pseudo_class_state,
        )  # fmt: skip
        kept = self._drawn.get(key)
        if kept is not None and kept[0] is cell:
            return kept[1]
        lines = self._one_line(
            cell, row_key, (row_index, column_index), base_style, width, cursor, hover
        )
        if lines is None:
            lines = super()._render_cell(row_index, column_index, base_style, width, cursor, hover)
        self._drawn[key] = (cell, lines)
        return lines

    def _one_line(
        self,
        cell: Text,
        row_key: RowKey,
        place: tuple[int, int],
        base_style: Style,
        width: int,
        cursor: bool,
        hover: bool,
    ) -> list[list[Segment]] | None:
        """A one-line cell that fits its column drawn straight from its text; else None.

        The segments DataTable gets from Rich (the cell in `Padding` in `Styled`,
        through `render_lines`): the padding, the text's styles under the
        table's and over them the cursor's, and the row and column as meta
        for the mouse. Rich's general path measures, wraps and crops a cell
        that needs none of it; here it costs a tenth. Cells it does not cover
        (several lines, tabs, too wide, centred or full justification,
        trailing spaces to strip) go Rich's way.
        """
        pad = self.cell_padding
        inner = width - 2 * pad
        plain = cell.plain
        justify = cell.justify or "default"
        row = self.rows.get(row_key)
        if (
            row is None
            or row.height != 1
            or inner < cell.cell_len
            or "\n" in plain
            or "\t" in plain
            or justify not in ("default", "left", "right")
            or (justify == "right" and plain != plain.rstrip())
        ):
            return None
        row_index, column_index = place
        fixed = row_index < self.fixed_rows or column_index < self.fixed_columns
        component, post = self._get_styles_to_render_cell(
            False, False, fixed, hover, cursor, self.show_cursor, self._show_hover_cursor,
            self.cursor_foreground_priority == "css", self.cursor_background_priority == "css",
        )  # fmt: skip
        pre = base_style + Style.from_meta({"row": row_index, "column": column_index}) + component
        gap = inner - cell.cell_len
        line = cell
        if gap and justify != "default":
            line = cell.copy()
            if justify == "right":
                line.pad_left(gap)
            else:
                line.truncate(inner, pad=True)
            gap = 0
        console = self.app.console
        blank = Style.null()
        segments = [Segment(" " * pad, blank)] if pad else []
        segments += Text("\n").join([line]).render(console)
        if gap:
            segments.append(Segment(" " * gap, blank))
        if pad:
            segments.append(Segment(" " * pad, blank))
        return [list(Segment.apply_style(segments, pre, post or None))]

    def render_lines(self, crop: Region) -> list[Strip]:
        """DataTable's lines, the table's own style and backgrounds looked up once for them all.

        DataTable asks for `rich_style` on every line and `background_colors`
        on every row it draws, each a walk up the DOM, for the same answer:
        nothing restyles the table while it draws.
        """
        self._drawing = (super().rich_style, super().background_colors)
        try:
            return super().render_lines(crop)
        finally:
            self._drawing = None
            self._components.clear()

    def get_component_styles(self, *names: str) -> RenderStyles:
        """A component's styles (while drawing, each looked up once for every line).

        DataTable asks for its header's styles on every row it draws, and
        their Rich style is a walk up the DOM from the component's node.
        """
        if self._drawing is None:
            return super().get_component_styles(*names)
        kept = self._components.get(names)
        if kept is None:
            kept = self._components[names] = _KeptStyles(super().get_component_styles(*names))
        return kept

    @property
    def rich_style(self) -> Style:
        """The table's Rich style (while drawing, the one looked up when it began)."""
        return super().rich_style if self._drawing is None else self._drawing[0]

    @property
    def background_colors(self) -> tuple[Color, Color]:
        """The table's backgrounds (while drawing, the ones looked up when it began)."""
        return super().background_colors if self._drawing is None else self._drawing[1]

    def _clear_caches(self) -> None:
        """DataTable's caches and the drawn cells (a resize, new rows, a style change...)."""
        super()._clear_caches()
        self._drawn.clear()

    def notify_style_update(self) -> None:
        """A change of theme or style: every cell is drawn again."""
        self._drawn.clear()
        super().notify_style_update()

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
        if not resized:
            return
        before = self.virtual_size
        self._update_dimensions(())  # DataTable's own sizing, now rather than on idle
        after = self.virtual_size
        if self._fits_across(before) and self._fits_across(after) and after.height == before.height:
            # Only the width of the rows changed, and the table scrolls across neither
            # before nor after: its box and scrollbars stay as they are, so the layout
            # the new size asked for is not needed (it would be a second frame, later).
            self._layout_required = False

    def _fits_across(self, virtual: Size) -> bool:
        """Whether rows `virtual` wide fit the table's width (no scrolling across)."""
        return (
            self.styles.width is not None
            and not self.styles.width.is_auto
            and self.styles.overflow_x != "scroll"
            and 0 < virtual.width <= self.scrollable_content_region.width
        )
