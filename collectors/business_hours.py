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

import datetime as dt
import difflib
import functools
import itertools
import re
import zoneinfo
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
            total += self._corrections(after, last)
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

    def _corrections(self, first: dt.date, stop: dt.date) -> float:
        """How much the working days in `[first, stop)` differ from a nominal day's length."""
        total = 0.0
        for year in range(first.year, stop.year + 1):
            for day, delta in _odd_days(self.timezone, self.start_minute, self.end_minute, year):
                if first <= day < stop and day.weekday() in self.days:
                    total += delta
        return total


@functools.lru_cache(maxsize=64)
def _zone(name: str) -> zoneinfo.ZoneInfo:
    return zoneinfo.ZoneInfo(name)


@functools.lru_cache(maxsize=4096)
def _day_span(hours: WorkingHours, day: dt.date) -> tuple[float, float]:
    """The working span of one local day as unix times (valid for any weekday)."""
    return _span(hours.timezone, hours.start_minute, hours.end_minute, day)


def _span(timezone: str, start_minute: int, end_minute: int, day: dt.date) -> tuple[float, float]:
    zone = _zone(timezone)

    def at(minute: int) -> float:
        clock = dt.time(minute // 60, minute % 60)
        return dt.datetime.combine(day, clock, tzinfo=zone).timestamp()

    return at(start_minute), at(end_minute)


def _offset(zone: zoneinfo.ZoneInfo, day: dt.date) -> dt.timedelta | None:
    return dt.datetime.combine(day, _NOON, tzinfo=zone).utcoffset()


@functools.lru_cache(maxsize=4096)
def _odd_days(
    timezone: str, start_minute: int, end_minute: int, year: int
) -> tuple[tuple[dt.date, float], ...]:
    """The days of `year` whose working span is not `end - start` long, and by how much.

    The UTC offset is compared at noon on the 1st and 16th of each month (and the
    last day of the year before); where
    it changed, the day of the change is found by halving, and the span of
    that day and the next is measured. Two changes that cancel out within half
    a month go unseen; no time zone has had one.
    """
    zone = _zone(timezone)
    nominal = 60.0 * (end_minute - start_minute)
    checkpoints = [dt.date(year - 1, 12, 31) if year > 1 else dt.date(1, 1, 1)]
    checkpoints += [dt.date(year, month, day) for month in range(1, 13) for day in (1, 16)]
    checkpoints.append(dt.date(year + 1, 1, 1) if year < 9999 else dt.date(9999, 12, 31))
    odd: dict[dt.date, float] = {}
    for low, high in itertools.pairwise(checkpoints):
        if _offset(zone, low) == _offset(zone, high):
            continue
        while (high - low).days > 1:
            middle = low + dt.timedelta(days=(high - low).days // 2)
            if _offset(zone, middle) == _offset(zone, low):
                low = middle
            else:
                high = middle
        for day in (low, high):
            open_at, close_at = _span(timezone, start_minute, end_minute, day)
            if close_at - open_at != nominal and day.year == year:
                odd[day] = close_at - open_at - nominal
    return tuple(sorted(odd.items()))


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

    model_config = ConfigDict(extra="forbid", frozen=True, use_attribute_docstrings=True)

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
