"""Business hours: the days and daily span in which people are at work, and their arithmetic.

One model for every place that counts only working time: the top-level
`business_hours` of the config and a Chatwoot source's own first-response
clock. `BusinessHours` validates and normalises what people write (`Monday`,
`9:30`, `America/New_York`) and turns it into the `WorkingHours` the SLA
arithmetic takes.

`WorkingHours.seconds_between` is closed-form: the two partial days at the
ends, then the whole days between as whole weeks times the working days of a
week plus the remaining days, times the length of a working day. Days whose
working span is longer or shorter than that (a daylight-saving change inside
working hours) are found once per year and time zone by checking the UTC
offset twice a month, and added as corrections. So the cost grows with the
years spanned, not the days: a 300-year span costs a few milliseconds the
first time and microseconds after. Times outside the years 1-9999 count from
the nearest representable time, so no timestamp raises.
"""

from __future__ import annotations

import bisect
import datetime as dt
import difflib
import functools
import re
import zoneinfo
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Annotated, Final, Literal, TypeAlias

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

__all__ = ["BusinessHours", "Day", "WorkingHours"]

Day: TypeAlias = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_DAYS: Final[tuple[Day, ...]] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK: Final = re.compile(r"(\d{1,2}):(\d{2})")
_FIRST_TS: Final = dt.datetime(1, 1, 3, tzinfo=dt.UTC).timestamp()
_LAST_TS: Final = dt.datetime(9999, 12, 29, tzinfo=dt.UTC).timestamp()
"""Unix times a local date exists for in any zone: arithmetic clamps to these."""
_NOON: Final = dt.time(12)
_RULES_FROM: Final = dt.date(2100, 1, 1)
"""From here on every zone repeats its yearly rule (tzdata lists explicit changes to 2087)."""
_PERIOD_DAYS: Final = 146_097
"""400 Gregorian years: a whole number of weeks, after which a yearly rule repeats exactly."""
_SCANNED_UNTIL: Final = _RULES_FROM + dt.timedelta(days=_PERIOD_DAYS)
_DST_FROM: Final = 1916
"""Before this year no zone had summer time: its offset is checked once a year."""
_MARGIN: Final = 2
"""Minutes around an offset change in which a working day's edge is measured, not assumed."""


@dataclass(frozen=True, slots=True)
class WorkingHours:
    """When the SLA clock runs: weekdays (0 = Monday) and a daily span in a time zone."""

    timezone: str = "UTC"
    days: frozenset[int] = frozenset(range(5))
    start_minute: int = 9 * 60
    """Minutes after local midnight the working day starts."""
    end_minute: int = 18 * 60
    """Minutes after local midnight it ends; later than `start_minute`."""

    def seconds_between(self, start: float, end: float) -> float:
        """Working seconds in `[start, end)` (unix times), counting only the configured hours."""
        start = min(max(start, _FIRST_TS), _LAST_TS)
        end = min(max(end, _FIRST_TS), _LAST_TS)
        if not end > start:  # also false for NaN
            return 0.0
        zone = _zone(self.timezone)
        first = dt.datetime.fromtimestamp(start, zone).date()
        last = dt.datetime.fromtimestamp(end, zone).date()
        total = self._overlap(first, start, end)
        if last == first:
            return total
        total += self._overlap(last, start, end)
        between = (last - first).days - 1
        if between > 0:
            after = first + dt.timedelta(days=1)
            nominal = 60.0 * (self.end_minute - self.start_minute)
            total += self._working_days(after, between) * nominal
            total += _corrections_between(self, after, last)
        return total

    def _overlap(self, day: dt.date, start: float, end: float) -> float:
        """Working seconds of one day that fall in `[start, end)`."""
        if day.weekday() not in self.days:
            return 0.0
        open_at, close_at = _day_span(self, day)
        return max(0.0, min(end, close_at) - max(start, open_at))

    def _working_days(self, first: dt.date, count: int) -> int:
        """Working days among `count` days from `first`: whole weeks, then the rest."""
        weeks, rest = divmod(count, 7)
        weekday = first.weekday()
        return weeks * len(self.days) + sum(
            1 for step in range(rest) if (weekday + step) % 7 in self.days
        )


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


@functools.lru_cache(maxsize=4096)
def _day_span(hours: WorkingHours, day: dt.date) -> tuple[float, float]:
    """The working span of one local day as unix times (valid for any weekday)."""
    zone = _zone(hours.timezone)

    def at(minute: int) -> float:
        clock = dt.time(minute // 60, minute % 60)
        return dt.datetime.combine(day, clock, tzinfo=zone).timestamp()

    return at(hours.start_minute), at(hours.end_minute)


# --------------------------------------------------------------------------- offset changes


@dataclass(frozen=True, slots=True)
class _Change:
    """A change of a zone's UTC offset."""

    at: float
    """The unix time it happened."""
    before: float
    """The offset until then, in seconds."""
    after: float


def _offset_at(zone: zoneinfo.ZoneInfo, at: float) -> float:
    offset = dt.datetime.fromtimestamp(at, zone).utcoffset()
    return offset.total_seconds() if offset is not None else 0.0


def _noon(zone: zoneinfo.ZoneInfo, day: dt.date) -> float:
    return dt.datetime.combine(day, _NOON, tzinfo=zone).timestamp()


@functools.lru_cache(maxsize=16)
def _changes(timezone: str) -> tuple[_Change, ...]:
    """Every change of the zone's offset from the year 1 to the 400 years after `_RULES_FROM`.

    The offset is compared at noon on the 1st and 16th of each month (each
    New Year before summer time existed); where it changed, the moment is
    found by halving, to the second. Two changes that cancel out between two
    checks go unseen; no time zone has had one. Some 100 ms per zone, once.
    """
    zone = _zone(timezone)
    found: list[_Change] = []
    previous_day = dt.date(1, 1, 1)
    previous = zone.utcoffset(dt.datetime.combine(previous_day, _NOON))
    for year in range(1, _SCANNED_UNTIL.year):
        months, days = ((1,), (1,)) if year < _DST_FROM else (range(1, 13), (1, 16))
        for day in (dt.date(year, month, d) for month in months for d in days):
            offset = zone.utcoffset(dt.datetime.combine(day, _NOON))
            if offset != previous:
                found.append(_change_between(zone, previous_day, day))
            previous_day, previous = day, offset
    return tuple(found)


def _change_between(zone: zoneinfo.ZoneInfo, low_day: dt.date, high_day: dt.date) -> _Change:
    low, high = _noon(zone, low_day), _noon(zone, high_day)
    before, after = _offset_at(zone, low), _offset_at(zone, high)
    while high - low > 1:
        middle = (low + high) // 2
        if _offset_at(zone, middle) == before:
            low = middle
        else:
            high = middle
    return _Change(high, before, after)


@dataclass(frozen=True, slots=True)
class _Corrections:
    """For one `WorkingHours`: how much working days differ from nominal, summed up to a day."""

    ordinals: list[int]
    """Days (proleptic ordinals) whose working span is not nominal, sorted."""
    sums: list[float]
    """`sums[i]`: the corrections of the days before `ordinals[i]`; one longer."""
    period: float
    """The corrections of one 400-year period from `_RULES_FROM`."""


def _odd_days(hours: WorkingHours, changes: Iterable[_Change]) -> dict[int, float]:
    """The working days (ordinals) these offset changes lengthen or shorten, and by how much.

    A change at a wall time well inside the span shortens it by the change
    (an hour forward: an hour less); one well outside leaves it nominal; one
    within `_MARGIN` minutes of its start, its end or midnight is measured.
    """
    nominal = 60.0 * (hours.end_minute - hours.start_minute)
    start, end = hours.start_minute, hours.end_minute
    odd: dict[int, float] = {}
    for change in changes:
        wall = sorted((change.at + change.before, change.at + change.after))
        ordinal = int(wall[0] // 86400) + _EPOCH_ORDINAL
        low, high = (w / 60 - (ordinal - _EPOCH_ORDINAL) * 1440 for w in wall)
        if low > _MARGIN and high < 1440 - _MARGIN:  # within one day, away from midnight
            if high + _MARGIN < start or low - _MARGIN > end:
                continue
            if low - _MARGIN > start and high + _MARGIN < end:
                if (ordinal + 6) % 7 in hours.days:
                    odd[ordinal] = odd.get(ordinal, 0.0) + change.before - change.after
                continue
        for near in (ordinal - 1, ordinal, ordinal + 1):
            if (near + 6) % 7 in hours.days and _FIRST_ORDINAL < near < _LAST_ORDINAL:
                open_at, close_at = _day_span(hours, dt.date.fromordinal(near))
                odd[near] = close_at - open_at - nominal
    return odd


@functools.lru_cache(maxsize=64)
def _corrections(hours: WorkingHours) -> _Corrections:
    """The odd days of every offset change scanned, summed up for lookups of long spans."""
    odd = _odd_days(hours, _changes(hours.timezone))
    ordinals = sorted(day for day, delta in odd.items() if delta)
    sums = [0.0]
    for day in ordinals:
        sums.append(sums[-1] + odd[day])
    table = _Corrections(ordinals, sums, 0.0)
    period = _summed(table, _SCANNED_UNTIL.toordinal()) - _summed(table, _RULES_FROM.toordinal())
    return _Corrections(ordinals, sums, period)


def _corrections_between(hours: WorkingHours, first: dt.date, stop: dt.date) -> float:
    """How much the working days in `[first, stop)` differ in all from nominal days.

    A span of a few years looks only at the offset changes within it; a longer
    one looks the sums up in the table of every change, built once per hours.
    """
    if stop.toordinal() - first.toordinal() > _SHORT_DAYS or stop > _SCANNED_UNTIL:
        return _corrections_before(hours, stop) - _corrections_before(hours, first)
    changes = _changes(hours.timezone)
    moments = _moments(hours.timezone)
    since = (first.toordinal() - _EPOCH_ORDINAL - 2) * 86400.0
    until = (stop.toordinal() - _EPOCH_ORDINAL + 2) * 86400.0
    window = changes[bisect.bisect_left(moments, since) : bisect.bisect_right(moments, until)]
    low, high = first.toordinal(), stop.toordinal()
    return sum(d for day, d in _odd_days(hours, window).items() if low <= day < high)


@functools.lru_cache(maxsize=16)
def _moments(timezone: str) -> list[float]:
    return [change.at for change in _changes(timezone)]


_EPOCH_ORDINAL: Final = dt.date(1970, 1, 1).toordinal()
_FIRST_ORDINAL: Final = dt.date.min.toordinal()
_LAST_ORDINAL: Final = dt.date.max.toordinal()
_SHORT_DAYS: Final = 3 * 366
"""Spans up to this many days are corrected from their own offset changes, without a table."""


def _summed(table: _Corrections, ordinal: int) -> float:
    return table.sums[bisect.bisect_left(table.ordinals, ordinal)]


def _corrections_before(hours: WorkingHours, day: dt.date) -> float:
    """The corrections of the working days before `day`: a lookup, plus whole 400-year periods."""
    table = _corrections(hours)
    ordinal, periods = day.toordinal(), 0
    if ordinal > _SCANNED_UNTIL.toordinal():
        periods = -(-(ordinal - _SCANNED_UNTIL.toordinal()) // _PERIOD_DAYS)
        ordinal -= periods * _PERIOD_DAYS
    return _summed(table, ordinal) + periods * table.period


def _day(value: object) -> object:
    """Accept `Mon` and `monday` for `mon`."""
    if isinstance(value, str):
        word = value.strip().lower()
        return word[:3] if word in _DAY_NAMES else word
    return value


def _clock(value: object) -> str:
    """Check and normalise `HH:MM` (`9:30` becomes `09:30`)."""
    match = _CLOCK.fullmatch(value.strip()) if isinstance(value, str) else None
    if match is None or int(match[1]) > 23 or int(match[2]) > 59:
        raise ValueError(f"invalid time {value!r}: use HH:MM on a 24-hour clock, like 09:00")
    return f"{int(match[1]):02d}:{match[2]}"


class BusinessHours(BaseModel):
    """When people are at work: SLA timers and some rules count only these hours."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    timezone: str = "UTC"
    """IANA time zone the hours are in, e.g. `Europe/Berlin`."""
    days: list[Annotated[Day, BeforeValidator(_day)]] = Field(
        default_factory=lambda: list(_DAYS[:5]), min_length=1
    )
    """Working days, each one of `mon` .. `sun`."""
    start: Annotated[str, BeforeValidator(_clock)] = "09:00"
    """Start of the working day, `HH:MM` on a 24-hour clock."""
    end: Annotated[str, BeforeValidator(_clock)] = "18:00"
    """End of the working day, `HH:MM`; later than `start` (no overnight shifts)."""

    @field_validator("timezone")
    @classmethod
    def _check_timezone(cls, value: str) -> str:
        try:
            zoneinfo.ZoneInfo(value)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError, OSError):
            close = difflib.get_close_matches(value, zoneinfo.available_timezones(), n=1)
            hint = (
                f"; did you mean {close[0]!r}?"
                if close
                else "; use an IANA name like Europe/Berlin"
            )
            raise ValueError(f"unknown time zone {value!r}{hint}") from None
        return value

    @model_validator(mode="after")
    def _check_order(self) -> BusinessHours:
        if self.start >= self.end:
            raise PydanticCustomError(
                "business_hours_order", "must be later than start", {"at": "end"}
            )
        return self

    @property
    def zone(self) -> zoneinfo.ZoneInfo:
        """The time zone as an object."""
        return zoneinfo.ZoneInfo(self.timezone)

    def working_hours(self) -> WorkingHours:
        """The hours as the SLA arithmetic takes them."""

        def minute(text: str) -> int:
            hours, minutes = text.split(":")
            return int(hours) * 60 + int(minutes)

        return WorkingHours(
            timezone=self.timezone,
            days=frozenset(_DAYS.index(day) for day in self.days),
            start_minute=minute(self.start),
            end_minute=minute(self.end),
        )
