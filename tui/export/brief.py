"""Draw a `Snapshot` as the brief an on-call person pastes into Slack: short, no tables.

`wootwatch export --brief` and the `e` dialog's "brief" choice. Contract:

* under 40 lines, whatever the database holds: the headline (overall health,
  what fires, the window and whether a pin set it), the incident timeline in
  short (how many entries, the newest `MAX_TIMELINE`), what is firing (severity,
  rule, value, since, ack state; at most `MAX_ALERTS`), the key figures (the
  metrics table, those off their thresholds first; at most `MAX_FIGURES`) and
  the most frequent error lines (at most `MAX_ERRORS`);
* no tables and no backslash escapes: Slack renders neither. Our own words are
  plain lines; every piece of upstream text (rules, labels, summaries, notes,
  log lines) sits inside a three-backtick code block, made inert
  (`collectors.inert`) and with each backtick turned into `ˋ` (U+02CB), so
  nothing inside can close the block, in CommonMark or in Slack, whose
  fences do not grow;
* pure: no store, no Textual.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from typing import Final

from collectors.base import format_duration
from collectors.inert import inert
from tui.export.model import ActiveAlert, Level, MetricRow, Snapshot, TimelineEntry, Window
from widgets.vocab import (
    ALERT_STATE_ICONS,
    SEVERITY_ICONS,
    TONE_ICONS,
    format_value,
    severity_label,
)

__all__ = ["MAX_ALERTS", "MAX_ERRORS", "MAX_FIGURES", "MAX_TIMELINE", "render_brief"]

MAX_TIMELINE: Final = 3
"""Timeline entries listed, the newest; the rest are counted."""
MAX_ALERTS: Final = 8
"""Alerts listed by name; the rest are counted."""
MAX_FIGURES: Final = 6
"""Key figures listed."""
MAX_ERRORS: Final = 5
"""Error messages listed, most frequent first."""
_LINE: Final = 100
"""Characters of one line inside a code block, at most (longer ones end in `…`)."""
_ACK: Final = 40
"""Characters of an alert's ack state and note, at most."""
_FENCE: Final = "```"
_STATUS: Final = {
    "healthy": TONE_ICONS["ok"],
    "degraded": TONE_ICONS["warning"],
    "unhealthy": TONE_ICONS["error"],
    "unknown": TONE_ICONS["muted"],
}
_LEVEL: Final = {
    Level.OK: f"{TONE_ICONS['ok']} ok",
    Level.WARNING: f"{TONE_ICONS['warning']} warning",
    Level.CRITICAL: f"{TONE_ICONS['error']} critical",
    Level.NO_DATA: f"{TONE_ICONS['muted']} no data",
}
_WORST_FIRST: Final = {Level.CRITICAL: 0, Level.WARNING: 1, Level.OK: 2, Level.NO_DATA: 3}


def render_brief(snapshot: Snapshot) -> str:
    """The brief: headline, timeline, firing alerts, key figures, top error lines."""
    parts = [
        _headline(snapshot),
        _timeline(snapshot),
        _firing(snapshot),
        _figures(snapshot),
        _errors(snapshot),
    ]
    return "\n\n".join(part for part in parts if part) + "\n"


def _headline(s: Snapshot) -> str:
    health, window = s.health, s.header.window
    as_of = s.header.as_of_at
    stamp = _clock(s.header.exported_at if as_of is None else as_of, "%Y-%m-%d %H:%M UTC")
    if as_of is not None:
        stamp = f"as of {stamp}"
    score = "" if health.score is None else f" (health {health.score:.0f}/100)"
    span = f"{_clock(window.start_at)} to {_clock(window.end_at)} UTC"
    if window.pinned:
        how = f"from the pinned incident start{_pin_set(window)}, {span}"
    else:
        how = f"the last {format_duration(window.since)}, {span}"
    return "\n".join(
        (
            f"*wootwatch {stamp}: {_STATUS[health.status]} {health.status}{score}*",
            f"{_counts(s.active_alerts)} · window {how}",
        )
    )


def _counts(alerts: Iterable[ActiveAlert]) -> str:
    firing: dict[str, int] = {}
    pending = acked = 0
    for alert in alerts:
        if alert.state == "firing":
            firing[alert.severity] = firing.get(alert.severity, 0) + 1
        pending += alert.state == "pending"
        acked += alert.acknowledged_by is not None
    levels = ", ".join(
        f"{SEVERITY_ICONS[level]} {firing[level]} {level}"
        for level in SEVERITY_ICONS
        if level in firing
    )
    text = f"{sum(firing.values())} firing ({levels})" if firing else "nothing firing"
    return f"{text} · {ALERT_STATE_ICONS['pending']} {pending} pending · {acked} acknowledged"


def _timeline(s: Snapshot) -> str:
    if not s.timeline:
        return ""
    newest = s.timeline[-MAX_TIMELINE:]
    lines = [_entry(e) for e in newest]
    shown = "" if len(s.timeline) <= MAX_TIMELINE else f", the newest {len(newest)}"
    return f"Timeline ({len(s.timeline)} entries{shown}; the full export has all):\n{_block(lines)}"


def _pin_set(window: Window) -> str:
    """` (set 03:20 by amy)`, as far as recorded."""
    when = "" if window.pin_set_at is None else f" {_clock(window.pin_set_at)}"
    by = "" if window.pin_set_by is None else f" by {inert(window.pin_set_by).replace('`', 'ˋ')}"
    return f" (set{when}{by})" if when or by else ""


def _entry(e: TimelineEntry) -> str:
    """`11:07 note  chatwoot  amy: deploy v4.2.1`: time, what, about, who and the note.

    A pin: `11:06 incident start pinned  (set 11:08 by amy)`.
    """
    who = f"{e.actor}: " if e.actor else ""
    note = f"  {who}{e.note}" if e.note else (f"  {e.actor}" if e.actor else "")
    if e.set_at is not None:
        note = f"  (set {_clock(e.set_at)}" + (f" by {e.actor})" if e.actor else ")")
    about = f"  {e.subject}" if e.subject else ""
    return f"{_clock(e.at)} {e.what}{about}{note}"


def _firing(s: Snapshot) -> str:
    firing = [a for a in s.active_alerts if a.state == "firing"]
    if not firing:
        return ""
    lines = [_alert(a) for a in firing[:MAX_ALERTS]]
    if len(firing) > MAX_ALERTS:
        lines.append(f"… and {len(firing) - MAX_ALERTS} more")
    return f"Firing ({len(firing)}):\n{_block(lines)}"


def _alert(a: ActiveAlert) -> str:
    """`✖ critical  8.6s (latest)  since 11:06  not acked  rule {labels}`: figures before a name."""
    ack = "not acked" if a.acknowledged_by is None else f"acked by {a.acknowledged_by}"
    if a.acknowledged_by is not None and a.ack_note:
        ack += f": {a.ack_note}"
    rule = f"{a.rule} {_labels(a.labels)}" if a.labels else a.rule
    value = a.shown or format_value(a.value)
    if a.measure:
        value += f" ({a.measure})"
    since = _clock(a.started_at or a.changed_at)
    return f"{severity_label(a.severity):<10} {value:>7}  since {since}  {_cut(ack, _ACK)}  {rule}"


def _figures(s: Snapshot) -> str:
    rows = sorted(s.metrics, key=lambda r: _WORST_FIRST[r.level])[:MAX_FIGURES]
    if not rows:
        return ""
    return "Key figures:\n" + "\n".join(_figure(row) for row in rows)


def _figure(row: MetricRow) -> str:
    return f"• {inert(row.title)}: {format_value(row.value, row.unit)} {_LEVEL[row.level]}"


def _errors(s: Snapshot) -> str:
    if not s.error_lines:
        return "No error lines cached in the window."
    groups = s.log_groups[:MAX_ERRORS]
    lines = [f"{g.count:>6,}× {g.shape}" for g in groups]
    return f"Top errors ({s.error_lines:,} error lines in the window):\n{_block(lines)}"


def _block(lines: Iterable[str]) -> str:
    """Untrusted lines in a code block nothing inside can close."""
    body = "\n".join(_cut(inert(line).replace("`", "ˋ")) for line in lines)
    return f"{_FENCE}\n{body}\n{_FENCE}"


def _cut(line: str, limit: int = _LINE) -> str:
    return line if len(line) <= limit else line[: limit - 1] + "…"


def _labels(labels: Mapping[str, str]) -> str:
    return "{" + ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) + "}"


def _clock(ts: float, pattern: str = "%H:%M") -> str:
    return datetime.fromtimestamp(ts, UTC).strftime(pattern)
