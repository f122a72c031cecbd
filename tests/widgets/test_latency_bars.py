from __future__ import annotations

from _pilot import Holding

from widgets.latency_bars import BarRow, LatencyBars

HOSTILE = "\x1b[2J\x1b]52;c;aGk=\x07[link=https://evil]x[/link][bold red]"


def _lines(bars: LatencyBars) -> list[str]:
    return str(bars.render()).split("\n")


async def test_each_row_shows_its_icon_label_bar_count_and_percent() -> None:
    bars = LatencyBars(
        [
            BarRow("<1s", 1.0, "80", "53.3%", "ok"),
            BarRow("5-10s", 0.5, "40", "26.7%", "warning"),
            BarRow(">30s", 0.0, "0", " 0.0%", "error"),
        ]
    )
    async with Holding(bars).run_test(size=(50, 5)) as pilot:
        await pilot.pause()
        lines = _lines(bars)
        assert bars.size.height == 3
    full, half, empty = (line.count("█") for line in lines)
    assert lines[0].startswith("✔ <1s  ") and lines[0].endswith(" 80 53.3%")
    assert lines[1].startswith("⚠ 5-10s ") and lines[1].endswith(" 40 26.7%")
    assert lines[2].startswith("✖ >30s  ") and lines[2].endswith("  0  0.0%")
    # 50 cells less icon, label, value and note: 33 for the bar
    assert (full, half, empty) == (33, 16, 0)
    assert "▌" in lines[1]
    assert all(len(line) == 50 for line in lines)


async def test_a_row_that_does_not_fit_is_cut_not_wrapped_and_names_are_inert() -> None:
    bars = LatencyBars([BarRow(HOSTILE, 0.3, "12", "a long note that cannot fit")])
    async with Holding(bars).run_test(size=(30, 4)) as pilot:
        await pilot.pause()
        assert bars.size.height == 1
        (line,) = _lines(bars)
    assert line.endswith("…") and len(line) == 30
    assert "\x1b" not in line and "\x07" not in line
    assert line.startswith("· ␛[2J␛]52;c;aGk=␇[link=https")


async def test_no_rows_shows_the_empty_message_and_new_rows_replace_it() -> None:
    bars = LatencyBars(empty="no per-channel data")
    async with Holding(bars).run_test(size=(40, 4)) as pilot:
        await pilot.pause()
        assert _lines(bars) == ["no per-channel data"]
        bars.rows = (BarRow("email", 1.0, "28", "45%", "ok"), BarRow("sms", 0.5, "13", "21%"))
        await pilot.pause()
        assert bars.size.height == 2
        assert [line[:7] for line in _lines(bars)] == ["✔ email", "· sms  "]
