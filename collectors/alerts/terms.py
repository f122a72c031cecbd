"""The plain words of a rule: severity, missing-data treatment, comparison, hold.

These are what the alert state machine and the alert book need; the rule
models themselves (pydantic, the default pack) live in `collectors.alerts.rules`,
which re-exports these. Kept apart so `wootwatch alerts` and `ack` start
without importing the rule models.
"""

from __future__ import annotations

import enum
import re
from dataclasses import dataclass

from collectors.durations import format_duration, parse_duration

__all__ = ["Hold", "MissingData", "Severity", "compare", "parse_hold"]


class Severity(enum.StrEnum):
    """How bad an alert is, in rising order."""

    INFO = "info"
    WARNING = "warning"
    ERROR = "error"
    CRITICAL = "critical"

    @property
    def rank(self) -> int:
        """0 for info up to 3 for critical: compare severities with this."""
        return _SEVERITY_ORDER.index(self)


_SEVERITY_ORDER = (Severity.INFO, Severity.WARNING, Severity.ERROR, Severity.CRITICAL)


class MissingData(enum.StrEnum):
    """What a check without data counts as (CloudWatch's TreatMissingData)."""

    MISSING = "missing"
    OK = "ok"
    BREACHING = "breaching"
    KEEP = "keep"


def compare(op: str, value: float, threshold: float) -> bool:
    """True when `value op threshold` holds."""
    if op == ">":
        return value > threshold
    if op == ">=":
        return value >= threshold
    if op == "<":
        return value < threshold
    return value <= threshold


# --------------------------------------------------------------------------- hold


@dataclass(frozen=True, slots=True)
class Hold:
    """How long a condition must hold before an alert fires.

    Exactly one form applies: `checks` consecutive checks (`of` is None),
    `checks` of the last `of` checks, or `seconds` of continuous breach.
    """

    checks: int = 1
    of: int | None = None
    seconds: float | None = None

    @property
    def window(self) -> int:
        """How many recent checks this hold looks at."""
        return self.of if self.of is not None else self.checks

    def __str__(self) -> str:
        if self.seconds is not None:
            return format_duration(self.seconds)
        if self.of is not None:
            return f"{self.checks} of {self.of}"
        return f"{self.checks} check{'' if self.checks == 1 else 's'}"


_CHECKS = re.compile(r"(\d+)\s*checks?")
_M_OF_N = re.compile(r"(\d+)\s*of\s*(\d+)(?:\s*checks?)?")
_MAX_CHECKS = 1000


def parse_hold(text: str) -> Hold:
    """Parse `3 checks`, `3 of 5` or a duration such as `5m`.

    Raises:
        ValueError: for anything else, with a message that shows the forms.
    """
    compact = " ".join(str(text).strip().lower().split())
    match = _CHECKS.fullmatch(compact)
    if match:
        count = int(match[1])
        if not 1 <= count <= _MAX_CHECKS:
            raise ValueError(f"must be 1 to {_MAX_CHECKS} checks, not {count}")
        return Hold(checks=count)
    match = _M_OF_N.fullmatch(compact)
    if match:
        hits, window = int(match[1]), int(match[2])
        if not 1 <= hits <= window <= _MAX_CHECKS:
            raise ValueError(f"'{hits} of {window}': need 1 <= M <= N <= {_MAX_CHECKS}")
        return Hold(checks=hits, of=window)
    try:
        seconds = parse_duration(compact)
    except ValueError:
        raise ValueError(
            f"invalid 'for' {text!r}: use '3 checks', '3 of 5' (checks) or a duration like 5m"
        ) from None
    if seconds <= 0:
        raise ValueError("a 'for' duration must be longer than zero")
    return Hold(seconds=seconds)
