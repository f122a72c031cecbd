"""The state machine of one alert (a rule and one label set): pure, no I/O, no clock.

The live engine (`collectors.alerts.engine`) and the replay (`collectors.alerts.replay`)
feed it the same way: one `observe(t, breach)` per check, where `breach` is
True, False, or None for a check without data.

Contract:

* States `ok -> pending -> firing -> resolved`. A breach that already
  satisfies the rule's `for` goes straight to `firing` (there is nothing to
  wait for). `pending` falls back when the breach stops before it held long
  enough: to `ok`, or to `resolved` for an alert that had fired before.
* `firing` resolves on the first check that no longer satisfies the hold
  (for `M of N`: fewer than M of the last N checks breach).
* A resolved alert stays visible for `REOPEN_WINDOW` (15 min); a breach in
  that time continues the same alert (`resolved -> pending/firing`). After
  it, the tracker is back to `ok` and the next breach is a new alert.
* Missing data (CloudWatch): `ok` and `breaching` turn the check into False
  or True; `keep` changes nothing at all; `missing` skips the check, and when
  every check of the hold's span is missing (or the hold's duration has gone
  by without data), and at least `NO_DATA_CHECKS` checks in a row, a pending
  or firing alert ends with the reason `no data`. (One failed poll does not
  end an alert that needs a single check: that would notify twice.)
* Flapping (Nagios style): the percent state change over the last 21 checks,
  each change weighted from 0.75 (oldest) to 1.25 (newest). Flapping starts
  at `FLAP_START` (50 %) and stops below `FLAP_STOP` (25 %).
"""

from __future__ import annotations

import copy
import enum
from collections import deque
from dataclasses import dataclass
from typing import Final, Literal

from collectors.alerts.terms import Hold, MissingData

__all__ = [
    "FLAP_HISTORY",
    "FLAP_START",
    "FLAP_STOP",
    "NO_DATA_CHECKS",
    "REOPEN_WINDOW",
    "AlertState",
    "Change",
    "Tracker",
    "flap_percent",
]

REOPEN_WINDOW: Final = 900.0
"""Seconds a resolved alert stays visible; a breach within them continues the same alert."""
NO_DATA_CHECKS: Final = 3
"""Checks in a row without data, at the least, before `missing` ends an alert."""
FLAP_HISTORY: Final = 21
"""Checks the flapping percentage looks at."""
FLAP_START: Final = 50.0
"""Percent state change at which an alert starts flapping."""
FLAP_STOP: Final = 25.0
"""Percent state change below which a flapping alert stops flapping."""


class AlertState(enum.StrEnum):
    """Where an alert is in its life."""

    OK = "ok"
    PENDING = "pending"
    FIRING = "firing"
    RESOLVED = "resolved"


@dataclass(frozen=True, slots=True)
class Change:
    """Something a check changed: a state transition, or flapping starting or stopping."""

    kind: Literal["transition", "flapping"]
    t: float
    from_state: AlertState
    to_state: AlertState
    """Equal to `from_state` for a flapping change."""
    flapping: bool = False
    """For a flapping change: True when flapping started, False when it stopped."""
    reason: str = ""
    """Why, when it is not the condition itself (e.g. `no data`)."""


def flap_percent(history: deque[bool] | list[bool]) -> float:
    """Weighted percent state change over a history of check results, oldest first."""
    entries = list(history)[-FLAP_HISTORY:]
    transitions = FLAP_HISTORY - 1
    offset = transitions - (len(entries) - 1)
    total = 0.0
    for index in range(1, len(entries)):
        if entries[index] != entries[index - 1]:
            position = offset + index - 1  # 0 = oldest possible transition
            total += 0.75 + 0.5 * position / (transitions - 1)
    return 100.0 * total / transitions


class Tracker:
    """One alert's state and recent checks.

    Args:
        hold: how long a breach must last (the rule's `for`).
        missing: what a check without data counts as.
        state: the state to start from (an alert read back from the database).
        since: when that state began.
        resolved_at: when the alert resolved, if it did.
        flapping: whether it was flapping.
    """

    def __init__(
        self,
        hold: Hold,
        missing: MissingData,
        *,
        state: AlertState = AlertState.OK,
        since: float | None = None,
        resolved_at: float | None = None,
        flapping: bool = False,
    ) -> None:
        self.hold = hold
        self.missing = missing
        self.state = state
        self.since = since
        """When the current state began."""
        self.resolved_at = resolved_at
        self.flapping = flapping
        self.breach_since: float | None = None
        """Start of the current unbroken run of breaching checks."""
        self._checks: deque[bool] = deque(maxlen=max(hold.window, 1))
        self._history: deque[bool] = deque(maxlen=FLAP_HISTORY)
        self._missing_run = 0
        self._last_data: float | None = since
        if state is AlertState.FIRING:
            # Read back firing: as if the hold had just been met.
            self._checks.extend([True] * hold.window)
            self.breach_since = since
        elif state is AlertState.PENDING:
            self._checks.append(True)
            self.breach_since = since

    def copy(self) -> Tracker:
        """An independent copy: the engine moves copies and keeps them once their rows commit."""
        twin = copy.copy(self)
        twin._checks = deque(self._checks, maxlen=self._checks.maxlen)
        twin._history = deque(self._history, maxlen=FLAP_HISTORY)
        return twin

    @property
    def flap_percent(self) -> float:
        """The current weighted percent state change."""
        return flap_percent(self._history)

    def observe(self, t: float, breach: bool | None) -> list[Change]:
        """Take one check at time `t`; return what changed (usually nothing)."""
        changes: list[Change] = []
        if (
            self.state is AlertState.RESOLVED
            and self.resolved_at is not None
            and t - self.resolved_at > REOPEN_WINDOW
        ):
            # Closed: the next breach is a new alert.
            self.state, self.resolved_at, self.since = AlertState.OK, None, t
            self.flapping = False
            self._history.clear()
        if breach is None:
            if self.missing is MissingData.KEEP:
                return changes
            if self.missing is MissingData.MISSING:
                self._missing_run += 1
                if self._no_data_for_the_hold(t) and self.state in (
                    AlertState.PENDING,
                    AlertState.FIRING,
                ):
                    self._checks.clear()
                    self.breach_since = None
                    self._move(changes, t, self._fallback_state(), reason="no data")
                return changes
            breach = self.missing is MissingData.BREACHING
        self._missing_run = 0
        self._last_data = t
        self._checks.append(breach)
        self._record_for_flapping(t, breach, changes)
        if not breach:
            self.breach_since = None
        elif self.breach_since is None:
            self.breach_since = t

        state = self.state
        if state in (AlertState.OK, AlertState.RESOLVED):
            if breach and self._held(t):
                self._move(changes, t, AlertState.FIRING)
            elif breach:
                self._move(changes, t, AlertState.PENDING)
        elif state is AlertState.PENDING:
            if self._held(t):
                self._move(changes, t, AlertState.FIRING)
            elif not self._may_still_fire():
                self._move(changes, t, self._fallback_state())
        elif state is AlertState.FIRING and not self._still_firing():
            self._move(changes, t, AlertState.RESOLVED)
        return changes

    # ------------------------------------------------------------------ internals

    def _fallback_state(self) -> AlertState:
        """Where a pending or firing alert goes when it stops: resolved once it had fired."""
        if self.state is AlertState.FIRING or self.resolved_at is not None:
            return AlertState.RESOLVED
        return AlertState.OK

    def _move(self, changes: list[Change], t: float, to: AlertState, *, reason: str = "") -> None:
        if to is self.state:
            return
        changes.append(Change("transition", t, self.state, to, reason=reason))
        if to is AlertState.RESOLVED and self.state is AlertState.FIRING:
            self.resolved_at = t
        elif to in (AlertState.PENDING, AlertState.FIRING) and self.state is AlertState.OK:
            self.resolved_at = None
        self.state, self.since = to, t

    def _no_data_for_the_hold(self, t: float) -> bool:
        if self._missing_run < NO_DATA_CHECKS:
            return False
        if self.hold.seconds is not None:
            return self._last_data is not None and t - self._last_data >= self.hold.seconds
        return self._missing_run >= self.hold.window

    def _recent(self) -> list[bool]:
        return list(self._checks)[-self.hold.window :]

    def _held(self, t: float) -> bool:
        hold = self.hold
        if hold.seconds is not None:
            return self.breach_since is not None and t - self.breach_since >= hold.seconds
        recent = self._recent()
        if hold.of is not None:
            return sum(recent) >= hold.checks
        return len(recent) >= hold.checks and all(recent)

    def _may_still_fire(self) -> bool:
        if self.hold.of is not None:
            return any(self._recent())
        return bool(self._checks) and self._checks[-1]

    def _still_firing(self) -> bool:
        if self.hold.of is not None:
            return sum(self._recent()) >= self.hold.checks
        return bool(self._checks) and self._checks[-1]

    def _record_for_flapping(self, t: float, breach: bool, changes: list[Change]) -> None:
        self._history.append(breach)
        percent = flap_percent(self._history)
        if not self.flapping and percent >= FLAP_START:
            self.flapping = True
            changes.append(Change("flapping", t, self.state, self.state, flapping=True))
        elif self.flapping and percent < FLAP_STOP:
            self.flapping = False
            changes.append(Change("flapping", t, self.state, self.state, flapping=False))
