from __future__ import annotations

import dataclasses
import itertools
import os
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from rich.ansi import AnsiDecoder
from rich.text import Text
from textual.app import App, ComposeResult
from textual.content import Content
from textual.pilot import Pilot
from textual.strip import Strip
from textual.visual import Visual, visualize

from widgets.time_chart import ChartData, ChartLine, TimeChart, _decoded

START = 1_795_000_000.0


@pytest.fixture(autouse=True)
def _utc() -> Iterator[None]:
    saved = os.environ.get("TZ")
    os.environ["TZ"] = "UTC"
    time.tzset()
    yield
    if saved is None:
        del os.environ["TZ"]
    else:
        os.environ["TZ"] = saved
    time.tzset()


class _Harness(App[None]):
    def __init__(self, *charts: TimeChart) -> None:
        super().__init__()
        self.charts = charts

    def compose(self) -> ComposeResult:
        yield from self.charts


def _data(values: list[float | None]) -> ChartData:
    return ChartData(START, START + 60 * len(values), (ChartLine("mean", tuple(values)),), "ms")


def test_the_peak_is_the_window_of_the_highest_slot_of_any_line() -> None:
    data = ChartData(
        START,
        START + 600,
        (
            ChartLine("mean", (1.0, 5.0, None, 2.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)),
            ChartLine("peak", (2.0, 6.0, None, 9.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0)),
        ),
    )
    assert data.peak() == (START + 180, START + 240)
    assert ChartData(START, START + 60, (ChartLine("x", (None,)),)).peak() is None


def test_of_two_peaks_of_about_the_same_height_the_most_recent_is_taken() -> None:
    """Issue 16: a spike jump took the hour-old peak over the one happening now."""
    older_higher = _data([1.0, 9.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 8.5, 1.0])
    assert older_higher.peak() == (START + 480, START + 540)
    much_higher = _data([1.0, 9.0, 1.0, 1.0, 1.0, 1.0, 1.0, 1.0, 5.0, 1.0])
    assert much_higher.peak() == (START + 60, START + 120)


async def test_the_same_data_draws_the_same_chart_with_time_and_value_labels() -> None:
    values: list[float | None] = [100.0 + 10 * (i % 7) for i in range(60)]
    values[30] = 4000.0
    first, second = TimeChart(_data(values)), TimeChart(_data(values))
    async with _Harness(first, second).run_test(size=(70, 24)) as pilot:
        await pilot.pause()
        drawn = [chart.render() for chart in (first, second)]
    assert str(drawn[0]) == str(drawn[1])
    text = str(drawn[0])
    assert "5.0s" in text and "2.5s" in text and "0ms" in text  # round steps in the unit
    assert "11:06" in text and "12:05" in text  # the first and last slot, local time


async def test_an_annotation_is_a_vertical_line_with_a_mark_on_the_time_axis() -> None:
    values: list[float | None] = [5.0] * 60
    plain = TimeChart(_data(values))
    marked = TimeChart(dataclasses.replace(_data(values), marks=(30,)))
    async with _Harness(plain, marked).run_test(size=(68, 24)) as pilot:
        await pilot.pause()
        rows = [str(chart.render()).split("\n") for chart in (plain, marked)]
    axis = [next(row for row in chart if row.lstrip().startswith("└")) for chart in rows]
    assert "┴" not in axis[0] and axis[1].count("┴") == 1
    column = axis[1].index("┴")
    inside = [row[column] for row in rows[1] if "┤" in row or row.lstrip().startswith("│")]
    assert inside.count("│") >= 5  # the line runs up the plot, seen without colour
    assert 0.4 < (column - axis[1].index("└")) / (len(axis[1].rstrip()) - axis[1].index("└")) < 0.6


async def test_a_long_gap_breaks_the_line_and_a_short_one_does_not() -> None:
    values: list[float | None] = [5.0] * 60
    for gap in range(20, 40):
        values[gap] = None  # the collector was down for 20 minutes
    values[10] = None  # one poll fell between two slots
    chart = TimeChart(_data(values))
    async with _Harness(chart).run_test(size=(68, 12)) as pilot:
        await pilot.pause()
        rows = str(chart.render()).split("\n")
    (plot_row,) = [row for row in rows if any("\u2800" < c <= "\u28ff" for c in row)]
    columns = [i for i, c in enumerate(plot_row) if "\u2800" < c <= "\u28ff"]
    gaps = [b - a for a, b in itertools.pairwise(columns)]
    assert max(gaps) >= 15  # the outage is blank
    assert sorted(gaps)[-2] == 1  # the single missing slot is drawn through


async def test_no_data_draws_an_empty_frame() -> None:
    chart = TimeChart()
    async with _Harness(chart).run_test(size=(40, 10)) as pilot:
        await pilot.pause()
        assert chart.plot_width == 32
        text = str(chart.render())
    assert not any("\u2800" < c <= "\u28ff" for c in text)


async def test_a_value_above_a_set_top_grows_the_axis_instead_of_crashing() -> None:
    """Two percentage lines above 100 % (plotext raised IndexError drawing their legend)."""
    lines = tuple(ChartLine(name, tuple([600.0 + i for i in range(60)])) for name in "ab")
    chart = TimeChart(ChartData(START, START + 3600, lines, "%", top=100.0))
    async with _Harness(chart).run_test(size=(120, 21)) as pilot:
        await pilot.pause()
        text = str(chart.render())
    assert any("\u2800" < c <= "\u28ff" for c in text)  # the lines are drawn
    assert text.split("\n")[1].startswith("1000.0%┤")  # the axis grew past 100 % to hold them


async def test_data_shown_again_draws_its_own_picture_again() -> None:
    first, second = _data([100.0, 200.0, 300.0] * 20), _data([900.0, 50.0] * 30)
    chart = TimeChart(first)
    async with _Harness(chart).run_test(size=(70, 24)) as pilot:
        await pilot.pause()
        before = str(chart.render())
        chart.data = second
        await pilot.pause()
        other = str(chart.render())
        chart.data = first
        await pilot.pause()
        assert str(chart.render()) == before != other


async def test_a_theme_change_redraws_the_chart_in_the_new_colours() -> None:
    chart = TimeChart(_data([100.0, 200.0, 300.0] * 20))
    app = _Harness(chart)
    async with app.run_test(size=(70, 24)) as pilot:
        await pilot.pause()
        dark = chart.render()
        app.theme = "textual-light"
        await pilot.pause()
        light = chart.render()
    assert isinstance(dark, Content) and isinstance(light, Content)  # what Textual draws
    assert str(dark) == str(light) and dark.spans != light.spans


_FIRST, _SECOND = _data([100.0, 200.0, 300.0] * 20), _data([900.0, 50.0] * 30)
"""Two pictures a chart shows in turn (`w` to a window and back, `[` then `]`)."""


async def _shown_again(
    pilot: Pilot[None], chart: TimeChart, start_counting: Callable[[], object]
) -> list[list[Strip]]:
    """Show `_SECOND` after `_FIRST`, start counting, then show each again; the lines drawn."""
    await pilot.pause()
    chart.data = _SECOND
    await pilot.pause()
    start_counting()
    drawn = []
    for data in (_FIRST, _SECOND, _FIRST):
        chart.data = data
        await pilot.pause()
        drawn.append(chart.render_lines(chart.region.reset_offset))
    return drawn


async def test_a_picture_shown_again_is_handed_to_textual_as_drawn_before(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`w` back to a window: the chart's kept picture is not turned into Textual's form again."""
    turned: list[int] = []
    turn = Content.from_rich_text

    def counted(*args: object, **kwargs: object) -> Content:
        turned.append(1)
        return turn(*args, **kwargs)  # type: ignore[arg-type]

    chart = TimeChart(_FIRST)
    async with _Harness(chart).run_test(size=(70, 24)) as pilot:
        await _shown_again(
            pilot, chart, lambda: monkeypatch.setattr(Content, "from_rich_text", counted)
        )
        assert turned == []


async def test_a_chart_is_the_text_rich_decodes_from_plotexts_canvas() -> None:
    """The canvas decoded a distinct run of colours at a time: the same text, spans and styles."""
    values: list[float | None] = [100.0 + 37 * (i % 11) for i in range(60)]
    values[20:25] = [None] * 5
    data = dataclasses.replace(
        _data(values), lines=(*_data(values).lines, ChartLine("peak", (400.0,) * 60)), marks=(9,)
    )
    chart = TimeChart(data)
    async with _Harness(chart).run_test(size=(70, 16)) as pilot:
        await pilot.pause()
        canvas = chart.plt.build()
    ours, rich = _decoded(canvas), Text.from_ansi(canvas)
    assert (ours.plain, ours.spans, ours.end, ours.tab_size) == (
        rich.plain, rich.spans, rich.end, rich.tab_size,
    )  # fmt: skip
    assert len({span.style for span in ours.spans}) > 2  # the lines, the axes, the mark
    assert _decoded("\x1b[31ma\x1b[2Jb\rc") == Text.from_ansi("\x1b[31ma\x1b[2Jb\rc")


async def test_a_new_picture_decodes_each_colour_once_not_each_run_of_cells(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 18: each `[` on the latency screen plots a new chart; decoding plotext's canvas
    sequence by sequence (`Text.from_ansi`) was half of it. Now a colour is decoded once."""
    decoded: list[str] = []
    decode = AnsiDecoder.decode_line

    def counted(self: AnsiDecoder, line: str) -> Text:
        decoded.append(line)
        return decode(self, line)

    monkeypatch.setattr(AnsiDecoder, "decode_line", counted)
    chart = TimeChart(_data([100.0 + 13 * (i % 9) for i in range(60)]))
    async with _Harness(chart).run_test(size=(70, 16)) as pilot:
        await pilot.pause()
        decoded.clear()
        chart.data = _data([300.0 - 7 * (i % 13) for i in range(60)])
        await pilot.pause()
    assert len(decoded) < 5  # not one per line of the chart, or per run of colour


async def test_a_picture_shown_again_is_not_turned_into_lines_again(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Issue 16: `w` back to a window (or `]` back to a slot shown) drew the kept picture but
    Textual turned it into lines again, a third of a chart's draw; its lines are kept with it,
    and they are the lines Textual makes of it."""
    turned: list[int] = []
    turn = Visual.to_strips.__func__  # type: ignore[attr-defined]

    def counted(cls: type[Visual], *args: Any, **kwargs: Any) -> list[Strip]:
        turned.append(1)
        return turn(cls, *args, **kwargs)  # type: ignore[no-any-return]

    chart = TimeChart(_FIRST)
    async with _Harness(chart).run_test(size=(70, 24)) as pilot:
        drawn = await _shown_again(
            pilot, chart, lambda: monkeypatch.setattr(Visual, "to_strips", classmethod(counted))
        )
        assert all(drawn)
        assert turned == []
        monkeypatch.undo()
        kept = [chart.render_line(y) for y in range(chart.size.height)]
        made = Visual.to_strips(
            chart, visualize(chart, chart.render()), *chart.size, chart.visual_style
        )
        assert kept == made
