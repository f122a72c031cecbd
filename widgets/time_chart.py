"""A line chart of a time window (textual-plotext), drawn from plain, comparable data.

The chart is drawn from `ChartData` only, with time labels from `time.strftime`
in local time and value labels from `widgets.vocab.format_value`, so the same
data at the same size always gives the same picture (snapshot tests rely on
it). The line colours are the theme's `$primary` and `$accent`.

A chart keeps its last few pictures by what they were drawn from (the data,
its size, the theme and its colours, the time zone): `w` back to a window
whose data has not changed, or a chart shown again, is not plotted again,
nor turned into Textual's lines again (they are kept with the picture).
"""

from __future__ import annotations

import functools
import math
import re
import time
from collections import OrderedDict
from collections.abc import Hashable, Iterator, Sequence
from dataclasses import dataclass
from itertools import zip_longest
from typing import Final

from rich.ansi import AnsiDecoder
from rich.style import Style
from rich.text import Span, Text
from textual.app import RenderResult
from textual.color import Color
from textual.content import Content
from textual.reactive import reactive
from textual.strip import Strip
from textual.visual import Visual, visualize
from textual_plotext import PlotextPlot

from widgets.spark_text import latest_peak
from widgets.vocab import format_value

__all__ = ["ChartData", "ChartLine", "TimeChart"]

_LINE_COLOURS: Final = ("primary", "accent", "warning")
_Y_TICKS: Final = 3
_X_TICKS: Final = 4
_Y_AXIS: Final = 8
"""Cells the value labels and the frame take from the chart's width."""
_UNSIZED: Final = 60
"""Cells a chart plans for before it has a size."""
_BRIDGE: Final = 2
"""Empty slots a line is drawn through."""
_KEPT: Final = 8
"""Pictures a chart keeps: the four windows of a screen, twice over."""
_SGR: Final = re.compile(r"\x1b\[([0-9;]*)m")
"""The one escape sequence plotext writes: colours and styles (SGR)."""
_RESET: Final = "0"


@dataclass(frozen=True, slots=True)
class ChartLine:
    """One line of the chart: a name for the legend and one value per slot (None: a gap)."""

    label: str
    values: tuple[float | None, ...]


@dataclass(frozen=True, slots=True)
class ChartData:
    """A time window cut into equal slots, and the lines drawn over it."""

    start: float
    """Unix time the first slot starts."""
    end: float
    """Unix time the last slot ends."""
    lines: tuple[ChartLine, ...]
    unit: str = ""
    """The values' unit, for the y-axis labels (`ms`, `s`, `%`, ...)."""
    marks: tuple[int, ...] = ()
    """The slots an annotation fell in: each a vertical line, `┴` on the time axis."""
    top: float | None = None
    """The top of the y-axis (e.g. 100 for percentages); None, or a value above it: the highest."""

    @property
    def slots(self) -> int:
        """How many slots the window is cut into."""
        return max((len(line.values) for line in self.lines), default=0)

    def peak(self) -> tuple[float, float] | None:
        """The window `(start, end)` of the most recent peak of any line (`latest_peak`)."""
        highest = [
            max((v for v in values if v is not None), default=None)
            for values in zip_longest(*(line.values for line in self.lines))
        ]
        best = latest_peak(highest)
        if best is None:
            return None
        step = (self.end - self.start) / self.slots
        return self.start + best * step, self.start + (best + 1) * step


def _runs(values: Sequence[float | None]) -> Iterator[tuple[list[int], list[float]]]:
    """The stretches of a line: a gap of up to `_BRIDGE` slots is drawn through, a longer one not.

    A series polled every 30 s leaves every other 10-second slot empty; that
    is not an outage, and a dotted line would hide its shape.
    """
    xs: list[int] = []
    ys: list[float] = []
    for index, value in enumerate(values):
        if value is None or not math.isfinite(value):
            continue
        if xs and index - xs[-1] > _BRIDGE + 1:
            yield xs, ys
            xs, ys = [], []
        xs.append(index)
        ys.append(value)
    if xs:
        yield xs, ys


@functools.lru_cache(maxsize=256)
def _sgr_style(codes: tuple[str, ...]) -> Style | None:
    """The style SGR `codes` give, applied in turn from no style (rich's `AnsiDecoder`)."""
    decoder = AnsiDecoder()
    for code in codes:
        decoder.decode_line(f"\x1b[{code}m")
    return decoder.style or None


def _decoded(canvas: str) -> Text:
    """`Text.from_ansi(canvas)` for a canvas of SGR sequences and text (plotext's), equal to it.

    `from_ansi` decodes every sequence of every run of cells again (half the
    cost of a chart); here each distinct run of sequences since a reset is
    decoded once, and the text between them takes its style. Anything else
    (another escape sequence, a carriage return) goes to `from_ansi`.
    """
    if "\r" in canvas:
        return Text.from_ansi(canvas)
    parts: list[str] = []
    spans: list[Span] = []
    offset = 0
    codes: tuple[str, ...] = ()

    def add(chunk: str) -> None:
        nonlocal offset
        style = _sgr_style(codes)
        for index, piece in enumerate(chunk.split("\n")):
            offset += index > 0  # the newline between lines, unstyled (the joiner)
            if piece and style is not None:
                spans.append(Span(offset, offset + len(piece), style))
            offset += len(piece)
        parts.append(chunk)

    position = sequences = 0
    for match in _SGR.finditer(canvas):
        sequences += 1
        start, end = match.span()
        if start > position:
            add(canvas[position:start])
        code = match.group(1)
        codes = () if code == _RESET else (*codes, code)
        position = end
    if position < len(canvas):
        add(canvas[position:])
    if sequences != canvas.count("\x1b"):
        return Text.from_ansi(canvas)
    return Text("".join(parts), end="\n", tab_size=8, spans=spans)


def _headroom(peak: float) -> float:
    """The first round number (1, 2, 2.5 or 5 times a power of ten) above the peak.

    The line then stays clear of the legend, and the axis reads in round steps.
    """
    if peak <= 0 or not math.isfinite(peak):
        return 1.0
    power = 10.0 ** math.floor(math.log10(peak))
    return next(power * step for step in (1.0, 2.0, 2.5, 5.0, 10.0) if power * step > peak)


def _time_format(seconds: float) -> str:
    if seconds > 2 * 86400:
        return "%d %H:%M"
    return "%H:%M" if seconds > 600 else "%H:%M:%S"


class TimeChart(PlotextPlot):
    """A line chart over a time window: time along the bottom, values up the side."""

    DEFAULT_CSS = """
    TimeChart {
        width: 1fr;
        height: 1fr;
        min-height: 6;
    }
    """

    data: reactive[ChartData | None] = reactive(None)
    """What the chart draws; None or no values draws an empty frame."""

    def __init__(
        self,
        data: ChartData | None = None,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        """Initialise the chart.

        Args:
            data: what the chart draws.
            name: The name of the widget.
            id: The ID of the widget in the DOM.
            classes: The CSS classes of the widget.
            disabled: Whether the widget is disabled or not.
        """
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.set_reactive(TimeChart.data, data)
        self._pictures: OrderedDict[Hashable, RenderResult] = OrderedDict()
        self._lines: OrderedDict[Hashable, list[Strip]] = OrderedDict()

    @property
    def plot_width(self) -> int:
        """Cells across the plotting area: how many slots the chart can show apart."""
        width = self.size.width - _Y_AXIS
        return width if width > 0 else _UNSIZED

    def _colour(self, index: int) -> tuple[int, int, int]:
        variable = _LINE_COLOURS[index % len(_LINE_COLOURS)]
        return Color.parse(self.app.theme_variables.get(variable, "white")).rgb

    def _mark_colour(self) -> tuple[int, int, int]:
        return Color.parse(self.app.theme_variables.get("foreground", "white")).rgb

    def _picture_key(self) -> Hashable:
        """What a picture is drawn from: the data, the size, the theme and colours, the zone."""
        colours = (*(self._colour(i) for i in range(len(_LINE_COLOURS))), self._mark_colour())
        return (self.data, self.size, self.app.theme, self.theme, colours, time.tzname)

    def render_line(self, y: int) -> Strip:
        """Line `y` of the picture, in Textual's form: kept with the picture, made once for it.

        Textual turns a widget's picture into lines on every repaint (a third
        of a chart's draw); a picture shown again has its lines already.
        """
        width, height = self.size
        style = self.visual_style
        key = (self._picture_key(), style, self.text_selection)
        lines = self._lines.get(key)
        if lines is None:
            lines = Visual.to_strips(self, visualize(self, self.render()), width, height, style)
            self._lines[key] = lines
            if len(self._lines) > _KEPT:
                self._lines.popitem(last=False)
        else:
            self._lines.move_to_end(key)
        return lines[y] if 0 <= y < len(lines) else Strip.blank(width, style.rich_style)

    def render(self) -> RenderResult:
        """Plot the data at the widget's size (or give the picture kept from the same inputs)."""
        key = self._picture_key()
        picture = self._pictures.get(key)
        if picture is None:
            picture = self._plotted()
            if isinstance(picture, Text):  # kept as Textual would turn it, each time it is drawn
                picture = Content.from_rich_text(picture, console=self.app.console)
            self._pictures[key] = picture
            if len(self._pictures) > _KEPT:
                self._pictures.popitem(last=False)
        else:
            self._pictures.move_to_end(key)
        return picture

    def _plotted(self) -> RenderResult:
        plt = self.plt
        plt.clear_figure()
        data = self.data
        if data is not None and data.slots:
            self._draw(data)
        # PlotextPlot.render, but the canvas decoded by `_decoded`, not `Text.from_ansi`.
        plt.plotsize(self.size.width, self.size.height)
        plt._set_size(self.size.width, self.size.height)  # as PlotextPlot does (its issue 5)
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        return _decoded(plt.build())

    def _draw(self, data: ChartData) -> None:
        plt = self.plt
        peak = 0.0
        legend = len(data.lines) > 1
        for index, line in enumerate(data.lines):
            label: str | None = line.label if legend else None
            for xs, ys in _runs(line.values):
                plt.plot(xs, ys, marker="braille", color=self._colour(index), label=label)
                label = None  # one legend entry per line, however many gaps it has
                peak = max(peak, *ys)
        for slot in data.marks:
            plt.vline(slot, color=self._mark_colour())
        last = data.slots - 1
        ticks = [float(round(last * k / (_X_TICKS - 1))) for k in range(_X_TICKS)]
        step = (data.end - data.start) / data.slots
        fmt = _time_format(data.end - data.start)
        stamps = [time.strftime(fmt, time.localtime(data.start + x * step)) for x in ticks]
        plt.xticks(ticks, stamps)
        plt.xlim(0, max(1, last))
        # A value above the set top would be plotted off the canvas, which plotext
        # cannot draw (IndexError in its legend): the axis grows to hold it instead.
        top = data.top if data.top is not None and peak <= data.top else _headroom(peak)
        values = [top * k / (_Y_TICKS - 1) for k in range(_Y_TICKS)]
        plt.yticks(values, [format_value(v, data.unit) for v in values])
        plt.ylim(0, top)
