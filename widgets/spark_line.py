"""A one-line sparkline of a time window that can pick a slot (a spike) for a closer look."""

from __future__ import annotations

from collections.abc import Sequence
from typing import ClassVar

from rich.text import Text
from textual import events
from textual.app import RenderResult
from textual.binding import Binding, BindingType
from textual.message import Message
from textual.reactive import reactive

from widgets.sized import SizedByLayout
from widgets.spark_text import latest_peak, resample, sparkline

__all__ = ["SparkLine"]


class SparkLine(SizedByLayout, can_focus=True):
    """A sparkline over a time window, one cell per slot; None slots are gaps.

    Focus it and the cursor sits on the highest slot: Enter picks it (for
    example to open the logs of that minute); left/right move the cursor.
    A click picks the slot under the pointer. The slots in `marks` (an
    annotation fell in them) are drawn in reverse video: seen without colour,
    and the value's block still readable.

    | Key | Does |
    | :- | :- |
    | enter | pick the slot under the cursor |
    | left / right | move the cursor |
    """

    COMPONENT_CLASSES: ClassVar[set[str]] = {"spark-line--cursor", "spark-line--mark"}
    """
    | Class | Description |
    | :- | :- |
    | `spark-line--cursor` | The slot under the cursor while focused. |
    | `spark-line--mark` | A slot an annotation fell in. |
    """

    DEFAULT_CSS = """
    SparkLine {
        height: 1;
        width: 1fr;
        color: $primary;
    }
    SparkLine.-alarm {
        color: $error;
    }
    SparkLine > .spark-line--cursor {
        background: $accent 40%;
    }
    SparkLine > .spark-line--mark {
        text-style: reverse;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "pick", "Logs of this slot", show=False),
        Binding("left", "move(-1)", show=False),
        Binding("right", "move(1)", show=False),
    ]

    data: reactive[tuple[float | None, ...]] = reactive((), repaint=False)
    """The values, oldest first; the widget resamples them to its width. New values
    that draw the same blocks (a poll nudging the newest slot's mean) are not drawn again."""
    marks: reactive[tuple[int, ...]] = reactive(())
    """Indices into `data` of the slots an annotation fell in."""
    cursor: reactive[int | None] = reactive(None)
    """The slot (cell) the cursor is on while focused; None puts it on the peak."""

    class Picked(Message):
        """A slot was picked: `start` and `end` are fractions (0..1) of the window."""

        def __init__(self, spark_line: SparkLine, start: float, end: float) -> None:
            super().__init__()
            self.spark_line = spark_line
            """The sparkline that was picked."""
            self.start = start
            """Where the slot starts, as a fraction of the window."""
            self.end = end
            """Where the slot ends, as a fraction of the window."""

        @property
        def control(self) -> SparkLine:
            """The sparkline that was picked."""
            return self.spark_line

    def __init__(
        self,
        data: Sequence[float | None] = (),
        *,
        low: float | None = None,
        marks: Sequence[int] = (),
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the sparkline.

        Args:
            data: the values, oldest first.
            low: the value drawn as the lowest block (default: the data's minimum);
                0 keeps a quiet series looking quiet.
            marks: indices into `data` of the slots an annotation fell in.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._low = low
        self.set_reactive(SparkLine.data, tuple(data))
        self.set_reactive(SparkLine.marks, tuple(marks))

    def _slots(self) -> list[float | None]:
        return resample(self.data, self.size.width)

    def watch_data(self, old: tuple[float | None, ...], data: tuple[float | None, ...]) -> None:
        """Draw again only when the new values change what is drawn."""
        if self._look(old) != self._look(data):
            self.refresh()

    def _look(self, data: Sequence[float | None]) -> tuple[str, frozenset[int], int | None]:
        """What `data` draws at the present width: blocks, marked cells, the cursor's cell."""
        slots = resample(data, self.size.width)
        marked = frozenset(i * len(slots) // len(data) for i in self.marks) if data else frozenset()
        cursor = self._cursor_slot(slots) if self.has_focus and slots else None
        return sparkline(slots, low=self._low), marked, cursor

    def _peak(self, slots: Sequence[float | None]) -> int:
        found = latest_peak(slots)
        return len(slots) - 1 if found is None else found

    def render(self) -> RenderResult:
        """The sparkline, sized to the widget; the cursor highlighted while focused."""
        slots = self._slots()
        text = Text(sparkline(slots, low=self._low), no_wrap=True, end="")
        if self.marks and slots:
            mark = self.get_component_rich_style("spark-line--mark")
            for cell in {index * len(slots) // len(self.data) for index in self.marks}:
                if 0 <= cell < len(slots):
                    text.stylize(mark, cell, cell + 1)
        if self.has_focus and slots:
            cursor = self._cursor_slot(slots)
            text.stylize(self.get_component_rich_style("spark-line--cursor"), cursor, cursor + 1)
        return text

    def _cursor_slot(self, slots: Sequence[float | None]) -> int:
        if self.cursor is None:
            return self._peak(slots)
        return max(0, min(len(slots) - 1, self.cursor))

    def action_move(self, step: int) -> None:
        """Move the cursor by `step` slots."""
        slots = self._slots()
        if slots:
            self.cursor = max(0, min(len(slots) - 1, self._cursor_slot(slots) + step))

    def action_pick(self) -> None:
        """Pick the slot under the cursor."""
        slots = self._slots()
        if slots:
            self._post_pick(self._cursor_slot(slots), len(slots))

    def on_click(self, event: events.Click) -> None:
        """Pick the slot under the pointer."""
        width = self.size.width
        if width > 0 and 0 <= event.x < width:
            self.cursor = event.x
            self._post_pick(event.x, width)

    def _post_pick(self, slot: int, width: int) -> None:
        self.post_message(self.Picked(self, slot / width, (slot + 1) / width))

    def on_blur(self) -> None:
        """Forget the cursor: the next focus starts on the peak again."""
        self.cursor = None
