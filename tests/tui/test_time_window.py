from __future__ import annotations

from tui.data.windows import WINDOWS, Span

NOW = 1_795_000_085.0  # 5 s into a minute


def test_short_windows_end_now_and_long_ones_at_the_last_whole_minute() -> None:
    spans = {window.label: window.span(NOW) for window in WINDOWS}
    assert spans["5m"] == Span(NOW - 300, NOW)
    assert spans["1h"] == Span(NOW - 3600, NOW)
    assert spans["24h"] == Span(NOW - 5 - 86400, NOW - 5, settled=True)
    assert spans["7d"].end == NOW - 5 and spans["7d"].seconds == 7 * 86400


def test_the_previous_window_is_as_long_and_ends_where_this_one_starts() -> None:
    for window in WINDOWS:
        current, before = window.span(NOW), window.previous(NOW)
        assert before.end == current.start and before.seconds == window.seconds
        assert before.settled == current.settled


def test_a_chart_grid_has_finished_slots_no_shorter_than_a_poll_on_their_boundaries() -> None:
    five = WINDOWS[0].span(NOW)
    span, slots = five.grid(100)  # 10-second slots, read from raw samples
    assert (span.start, span.end, slots) == (NOW - 5 - 300, NOW - 5, 30)
    span, slots = five.grid(20)  # 15-second slots
    assert (span.end % 15, span.seconds, slots) == (0, 300, 20)
    span, slots = WINDOWS[1].span(NOW).grid(100)
    assert (span.start, span.end, slots) == (NOW - 5 - 3600, NOW - 5, 60)
    span, slots = WINDOWS[1].span(NOW).grid(50)  # 72 s a cell: two minutes a slot
    assert (span.seconds, slots, span.end % 120) == (3600, 30, 0)
    span, slots = WINDOWS[3].span(NOW).grid(110)
    step = span.seconds / slots
    assert step % 60 == 0 and span.end % step == 0 and slots <= 110
    assert NOW - step < span.end <= NOW and span.seconds >= 7 * 86400
