"""How the Alerts screen words alerts: order, rows, the detail lines, history and silences.

Pure functions from the alert book's rows to plain text; the widgets make it
inert. Times are local (`HH:MM:SS` today, with the date otherwise). The table
shows when the alert's episode first started ("since", as everywhere:
`tui.data.alert_values.since`) as a time of day, not an age, so a row changes
only when the alert does (an age would repaint the table every tick). Values
carry their unit and, in the detail, the statistic and window the rule takes.

Order: firing alerts first, most severe first; then pending, then resolved;
newest first within each (by "since", the column shown).
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterable, Mapping, Sequence
from typing import Final

from rich.text import Text

from collectors.alerts.book import AlertEvent, AlertRow, Silence
from collectors.alerts.rules import Rule, Severity
from collectors.alerts.state import AlertState
from collectors.inert import inert
from tui.data.alert_values import alert_value, measure, rule_figure, since
from widgets.alert_table import AlertLine
from widgets.keyed_table import Row
from widgets.vocab import (
    FLAG_ICONS,
    ago,
    alert_state_label,
    flag_label,
    severity_label,
)

__all__ = [
    "SEVERITY_FILTERS",
    "SILENCE_COLUMNS",
    "alert_detail",
    "alert_line",
    "alert_title",
    "history_rows",
    "ordered",
    "silence_row",
    "silenced_until",
]

SEVERITY_FILTERS: Final[tuple[tuple[str, frozenset[Severity]], ...]] = (
    ("all", frozenset(Severity)),
    ("critical", frozenset({Severity.CRITICAL})),
    ("error+", frozenset({Severity.ERROR, Severity.CRITICAL})),
    ("warning+", frozenset({Severity.WARNING, Severity.ERROR, Severity.CRITICAL})),
    ("info", frozenset({Severity.INFO})),
)
"""The severity filters `f` cycles through: name and the severities shown."""

SILENCE_COLUMNS: Final = ("id", "matches", "until", "by", "comment")
"""The columns of the silences table."""

_RANK: Final = {AlertState.FIRING: 0, AlertState.PENDING: 1, AlertState.RESOLVED: 2}


def ordered(alerts: Iterable[AlertRow]) -> list[AlertRow]:
    """Firing (most severe first), then pending, then resolved; newest first within each."""

    def key(alert: AlertRow) -> tuple[int, int, float]:
        severity = -alert.severity.rank if alert.state is AlertState.FIRING else 0
        return _RANK.get(alert.state, 3), severity, -since(alert)

    return sorted(alerts, key=key)


def silenced_until(alert: AlertRow, silences: Iterable[Silence], now: float) -> float | None:
    """When the last silence muting this alert now ends, or None if none does."""
    ends = [s.ends_at for s in silences if s.active_at(now) and s.matches(alert.rule, alert.labels)]
    return max(ends, default=None)


def alert_line(
    alert: AlertRow,
    silences: Sequence[Silence],
    now: float,
    rules: Mapping[str, Rule],
    *,
    with_labels: bool = False,
) -> AlertLine:
    """The table row of an alert; `with_labels` adds its labels to the rule's name.

    Args:
        alert: the alert.
        silences: the silences in force.
        now: the time of the view.
        rules: the rules in force by name (the value's unit).
        with_labels: add the labels to the rule's name.
    """
    rule = f"{alert.rule} {_labels(alert.labels)}" if with_labels else alert.rule
    return AlertLine(
        key=str(alert.id),
        severity=str(alert.severity),
        state=str(alert.state),
        since=_clock(since(alert), now, seconds=False),
        rule=rule,
        notes=" · ".join(_notes(alert, silences, now)),
        value=alert_value(alert, rules),
        summary=alert.summary,
    )


def _notes(alert: AlertRow, silences: Sequence[Silence], now: float) -> Iterable[str]:
    if alert.acknowledged_by is not None:
        note = f": {alert.ack_note}" if alert.ack_note else ""
        yield f"{flag_label('acked')} by {alert.acknowledged_by}{note}"
    until = silenced_until(alert, silences, now)
    if until is not None:
        yield f"{flag_label('silenced')} until {_clock(until, now, seconds=False)}"
    if alert.flapping:
        yield flag_label("flapping")


def alert_title(alert: AlertRow) -> str:
    """An alert in a line: `✖ critical · ● firing · rule {labels}`."""
    labels = f" {_labels(alert.labels)}" if alert.labels else ""
    state = alert_state_label(alert.state)
    return f"{severity_label(alert.severity)} · {state} · {alert.rule}{labels}"


def alert_detail(
    alert: AlertRow,
    silences: Sequence[Silence],
    now: float,
    rules: Mapping[str, Rule],
    *,
    rewound: bool = False,
) -> Text:
    """A few lines on one alert: what, since when, its summary, who acked or silenced it.

    Args:
        alert: the alert.
        silences: the silences in force.
        now: the time of the view.
        rules: the rules in force by name (the value's unit, statistic and window).
        rewound: whether `now` is a past moment on view: nothing can be acknowledged
            there, so the detail says it is read-only rather than offering `a`.
    """
    text = Text(no_wrap=False, end="")
    text.append(f"#{alert.id} ")
    text.append(inert(alert.rule), style="bold")
    if alert.labels:
        text.append(f" {inert(_labels(alert.labels))}")
    rule = rules.get(alert.rule)
    text.append(f" · value {alert_value(alert, rules)}")
    if rule is not None:
        text.append(f" ({measure(rule)})")
    start = since(alert)
    text.append(
        f" · {alert_state_label(alert.state)} since {_clock(start, now)} "
        f"({ago(max(0.0, now - start))})"
    )
    if alert.updated_at != start:
        text.append(f" · changed {_clock(alert.updated_at, now)}")
    text.append("\n")
    text.append(inert(alert.summary) or "(no summary)")
    if alert.acknowledged_by is not None and alert.acknowledged_at is not None:
        note = f": {alert.ack_note}" if alert.ack_note else " (no note)"
        when = _clock(alert.acknowledged_at, now)
        acked = f"{FLAG_ICONS['acked']} acknowledged by {inert(alert.acknowledged_by)}"
        text.append(f"\n{acked} at {when}{inert(note)}")
    elif alert.state is AlertState.FIRING and rewound:
        text.append(
            f"\nnot acknowledged as of {_clock(now, now)}: read-only while rewound (Esc: live)",
            style="italic",
        )
    elif alert.state is AlertState.FIRING:
        text.append("\nnot acknowledged: press a to acknowledge", style="italic")
    for silence in silences:
        if silence.active_at(now) and silence.matches(alert.rule, alert.labels):
            until = _clock(silence.ends_at, now, seconds=False)
            text.append(
                f"\n🔕 silenced until {until} by {inert(silence.created_by)}: "
                f"{inert(silence.comment)}"
            )
    if alert.flapping:
        text.append("\n≈ flapping: it changes state often, so notifications are held back")
    return text


def history_rows(events: Sequence[AlertEvent], now: float, rule: Rule | None) -> list[Row]:
    """One row per event of an alert: time, kind, from → to, value, who, note.

    Args:
        events: the alert's events.
        now: the time of the view.
        rule: the alert's rule (the values' unit); None for a rule no longer in force.
    """
    rows: list[Row] = []
    for event in events:
        change = event.to_state or ""
        if event.from_state and event.to_state and event.from_state != event.to_state:
            change = f"{event.from_state} → {event.to_state}"
        note = _notify_note(event.note) if event.kind == "notify" else (event.note or "")
        rows.append(
            (
                str(event.id),
                (
                    _clock(event.ts, now),
                    event.kind,
                    change,
                    rule_figure(event.value, rule),
                    event.actor or "",
                    note,
                ),
            )
        )
    return rows


def silence_row(silence: Silence, now: float) -> Row:
    """One row of the silences table."""
    matches = ", ".join(f"{key}={value}" for key, value in sorted(silence.matchers.items()))
    until = _clock(silence.ends_at, now, seconds=False)
    if silence.starts_at > now:
        until = f"{_clock(silence.starts_at, now, seconds=False)} to {until}"
    return (
        str(silence.id),
        (str(silence.id), matches or "everything", until, silence.created_by, silence.comment),
    )


def _notify_note(note: str | None) -> str:
    """A notify event's JSON note as words: `firing (critical)`."""
    try:
        data = json.loads(note or "")
    except ValueError:
        return note or ""
    if not isinstance(data, dict):
        return note or ""
    return f"{data.get('kind', '')} ({data.get('severity', '')})"


def _labels(labels: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) + "}"


def _clock(t: float, now: float, *, seconds: bool = True) -> str:
    """Local time of day, with the date when it is not today's."""
    moment, today = time.localtime(t), time.localtime(now)
    day = "" if moment[:3] == today[:3] else time.strftime("%b %d ", moment)
    return day + time.strftime("%H:%M:%S" if seconds else "%H:%M", moment)
