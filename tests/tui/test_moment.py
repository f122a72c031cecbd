"""`parse_moment`: what a person may type to rewind, read against an injected `now`."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tui.data.moment import MomentError, parse_moment

NOW = datetime(2025, 6, 14, 11, 8, 5).timestamp()
"""A fixed local time, never today's."""
PINNED = datetime(2025, 6, 14, 3, 0).timestamp()


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("03:12", datetime(2025, 6, 14, 3, 12)),
        (" 3:12:30 ", datetime(2025, 6, 14, 3, 12, 30)),
        ("23:50", datetime(2025, 6, 13, 23, 50)),  # today's is still to come: yesterday's
        ("11:08:05", datetime(2025, 6, 14, 11, 8, 5)),  # now itself
        ("-25m", datetime(2025, 6, 14, 10, 43, 5)),
        ("-2h", datetime(2025, 6, 14, 9, 8, 5)),
        ("-90s", datetime(2025, 6, 14, 11, 6, 35)),
        ("-1d", datetime(2025, 6, 13, 11, 8, 5)),
        ("2025-06-12 03:12", datetime(2025, 6, 12, 3, 12)),
        ("2025-06-12 03:12:09", datetime(2025, 6, 12, 3, 12, 9)),
        ("2025-06-12T03:12:09", datetime(2025, 6, 12, 3, 12, 9)),
        ("2025-06-12T03:12:09Z", datetime(2025, 6, 12, 3, 12, 9, tzinfo=UTC)),
        ("2025-06-12T03:12+02:00", datetime(2025, 6, 12, 1, 12, tzinfo=UTC)),
        ("pin", datetime(2025, 6, 14, 3, 0)),
        ("Incident", datetime(2025, 6, 14, 3, 0)),
        ("now", datetime(2025, 6, 14, 11, 8, 5)),
    ],
)
def test_every_accepted_form(typed: str, meant: datetime) -> None:
    assert parse_moment(typed, now=NOW, pinned=PINNED) == meant.timestamp()


@pytest.mark.parametrize(
    ("typed", "pinned", "said"),
    [
        ("", PINNED, "type a time: 03:12, 03:12:30, -25m"),
        ("yesterday", PINNED, "'yesterday' is not a time: type 03:12"),
        ("25:00", PINNED, "'25:00' is not a time of day or date: hour must be in 0..23"),
        ("2025-02-30 10:00", PINNED, "is not a time of day or date: day is out of range"),
        ("2025-06-12 3pm", PINNED, "'2025-06-12 3pm' is not a time of day or date"),
        ("-25", PINNED, "'-25': a time before now is like -25m, -2h or -1d"),
        ("2025-06-15 10:00", PINNED, "is still to come: only the past can be shown"),
        ("2025-06-14T11:08:06", PINNED, "is still to come"),
        ("pin", None, "'pin': no incident is pinned"),
    ],
)
def test_errors_are_one_line_for_the_user(typed: str, pinned: float | None, said: str) -> None:
    with pytest.raises(MomentError) as caught:
        parse_moment(typed, now=NOW, pinned=pinned)
    assert said in str(caught.value)
    assert "\n" not in str(caught.value)


@given(
    now=st.floats(min_value=1.6e9, max_value=2.0e9),
    back=st.integers(min_value=0, max_value=30 * 86400),
)
def test_a_duration_back_is_exactly_that_far_back(now: float, back: int) -> None:
    assert parse_moment(f"-{back}s", now=now, pinned=None) == now - back


@given(
    now=st.datetimes(min_value=datetime(2020, 1, 2), max_value=datetime(2035, 1, 1)),
    hour=st.integers(0, 23),
    minute=st.integers(0, 59),
)
def test_a_time_of_day_is_the_last_one_passed(now: datetime, hour: int, minute: int) -> None:
    moment = parse_moment(f"{hour:02d}:{minute:02d}", now=now.timestamp(), pinned=None)
    assert moment <= now.timestamp()
    # Within the last day (plus an hour where a clock change makes a day longer).
    assert now.timestamp() - moment < timedelta(hours=25).total_seconds()
    shown = datetime.fromtimestamp(moment)
    assert (shown.hour, shown.minute) == (hour, minute) or _in_a_gap(shown, hour, minute)


def _in_a_gap(shown: datetime, hour: int, minute: int) -> bool:
    """A wall time that a spring-forward change skipped reads as the hour after it."""
    return (shown.hour - hour) % 24 == 1 and shown.minute == minute
