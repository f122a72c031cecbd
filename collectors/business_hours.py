"""Business hours as config: the days and daily span in which people are at work.

One model for every place that counts only working time: the top-level
`business_hours` of the config and a Chatwoot source's own first-response
clock. It validates and normalises what people write (`Monday`, `9:30`,
`America/New_York`) and turns it into the `WorkingHours` the SLA arithmetic
takes.
"""

from __future__ import annotations

import difflib
import re
import zoneinfo
from typing import Annotated, Final, Literal, TypeAlias

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from collectors.chatwoot_parse import WorkingHours

__all__ = ["BusinessHours", "Day"]

Day: TypeAlias = Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
_DAYS: Final[tuple[Day, ...]] = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_DAY_NAMES: Final = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_CLOCK: Final = re.compile(r"(\d{1,2}):(\d{2})")


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
