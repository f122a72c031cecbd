"""An alert as it stood at a past moment, replayed from its recorded events.

Contract (what `AlertBook.as_of` reads through `alert_at`):

* **State** is the `to_state` of the last `transition` at or before the
  moment; `updated_at` is that transition's time; `resolved_at` is set only
  when the alert was resolved by then.
* **Value** is the value of the last event at or before the moment that
  carries one (transitions, acks, severity changes and notifications record
  the value checked then; the engine keeps only the latest check otherwise).
* **Ack** is the last `ack` at or before the moment, unless an `ack_expired`
  followed it by then: an ack made later is not shown.
* **Severity and flapping** are undone from the current row: the first
  `severity` event after the moment names the severity before it (`old ->
  new`), the first `flapping` event after it says whether flapping had
  started (`started ...` means it had not).

Pure functions of rows already read; `AlertBook` does the querying.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from typing import TYPE_CHECKING

from collectors.alerts.state import AlertState
from collectors.alerts.terms import Severity

if TYPE_CHECKING:  # book imports this module to answer as of a moment
    from collectors.alerts.book import AlertEvent, AlertRow

__all__ = ["alert_at"]


def alert_at(alert: AlertRow, events: Sequence[AlertEvent], moment: float) -> AlertRow:
    """`alert` (its current row) as it stood at `moment`, from its events (oldest first).

    The alert must have started by `moment`.
    """
    before = [e for e in events if e.ts <= moment]
    after = [e for e in events if e.ts > moment]
    transitions = [e for e in before if e.kind == "transition" and e.to_state]
    state, updated_at = alert.state, alert.started_at
    if transitions:
        last = transitions[-1]
        state, updated_at = AlertState(last.to_state or alert.state), last.ts
    resolved_at = None
    if state is AlertState.RESOLVED:
        kept = alert.resolved_at
        resolved_at = kept if kept is not None and updated_at <= kept <= moment else updated_at
    valued = [e.value for e in before if e.value is not None]
    acks = [e for e in before if e.kind in ("ack", "ack_expired")]
    ack = acks[-1] if acks and acks[-1].kind == "ack" else None
    return dataclasses.replace(
        alert,
        state=state,
        updated_at=updated_at,
        resolved_at=resolved_at,
        value=valued[-1] if valued else None,
        acknowledged_by=ack.actor if ack else None,
        acknowledged_at=ack.ts if ack else None,
        ack_note=ack.note if ack else None,
        severity=_severity_then(alert.severity, after),
        flapping=_flapping_then(alert.flapping, after),
    )


def _severity_then(current: Severity, after: Sequence[AlertEvent]) -> Severity:
    for event in after:
        if event.kind == "severity" and event.note and "->" in event.note:
            try:
                return Severity(event.note.split("->", 1)[0].strip())
            except ValueError:
                return current
    return current


def _flapping_then(current: bool, after: Sequence[AlertEvent]) -> bool:
    for event in after:
        if event.kind == "flapping" and event.note:
            return not event.note.startswith("started")
    return current
