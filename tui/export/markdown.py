"""Draw a `Snapshot` as the markdown document on-call pastes into the incident channel.

The layout follows the forms on-call already uses: seed 002's performance
analysis report (executive summary, a `Metric | Normal range | Value |
Status` table, technical analysis, timeline) and seed 000's baseline report
(status line with an emoji, measurements), under the incident timeline,
which comes first: what happened, in order, is what a reader looks for. Every table cell passes
`markdown_safe.cell` (ours too, so no cell can carry a `|` or markup), every
upstream line in a code block passes `markdown_safe.fenced`. Pure: no store,
no Textual.

One unit over 500 lines: one function per section of one document, which
change together whenever the report's form changes (the brief is apart).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from collectors.base import format_duration
from collectors.inert import inert
from tui.data.timeline import ANNOTATION_KINDS, marked_slots
from tui.export.markdown_safe import cell, fenced, inline
from tui.export.model import GaugeRow, Level, LogLine, MetricRow, Snapshot, Spark, Window
from widgets.spark_text import sparkline
from widgets.vocab import (
    COMPLIANCE_WORDS,
    SEVERITY_ICONS,
    TONE_ICONS,
    Tone,
    alert_state_label,
    format_value,
    severity_label,
    source_state_label,
)

if TYPE_CHECKING:
    from collectors.store.views import Uptime

__all__ = ["render_markdown", "text_bar"]

_STATUS: Final = {
    "healthy": TONE_ICONS["ok"],
    "degraded": TONE_ICONS["warning"],
    "unhealthy": TONE_ICONS["error"],
    "unknown": TONE_ICONS["muted"],
}
_TONES: Final[dict[Level, Tone]] = {
    Level.OK: "ok",
    Level.WARNING: "warning",
    Level.CRITICAL: "error",
    Level.NO_DATA: "muted",
}
"""A level as the screens colour it; its icon is the tone's (`widgets.vocab`)."""
_LEVEL: Final = {
    Level.OK: f"{TONE_ICONS['ok']} ok",
    Level.WARNING: f"{TONE_ICONS['warning']} warning",
    Level.CRITICAL: f"{TONE_ICONS['error']} critical",
    Level.NO_DATA: f"{TONE_ICONS['muted']} no data",
}
_EIGHTHS: Final = " ▏▎▍▌▋▊▉"
_BAR_WIDTH: Final = 20
_SPARK_NAME: Final = 32
"""Characters of a sparkline's source and series name, at most."""
_CHANNEL_LATE_S: Final = 1800.0
"""Seed 004: a channel whose mean first response passes 30 minutes is red."""
_NOTES_ROW: Final = "annotations"
"""The name of the row under the sparklines that marks the annotations' slots."""
_NOTE_MARK: Final = "▲"
_DEFAULT_TARGET_S: Final = 900.0
"""Seed 004's 15-minute first-response target, when a source stored none."""


def render_markdown(snapshot: Snapshot) -> str:
    """The whole document."""
    sections = (
        _header(snapshot),
        _timeline(snapshot),
        _summary(snapshot),
        _metrics(snapshot.metrics),
        _latency(snapshot),
        _sla(snapshot),
        _queues(snapshot),
        _cloudwatch(snapshot),
        _logs(snapshot),
        _sparklines(snapshot),
        _sources(snapshot),
    )
    return "\n\n".join(s for s in sections if s) + "\n"


# ------------------------------------------------------------------- helpers


def table(headers: Sequence[str], rows: Iterable[Sequence[str]], align: str = "") -> str:
    """A GFM table; every cell is escaped, header and rows alike.

    `align` has one letter per column: `l` (default) or `r`.
    """
    marks = ["--:" if align[i : i + 1] == "r" else "---" for i in range(len(headers))]
    lines = [_row(headers), _row(marks, escape=False)]
    lines.extend(_row(row) for row in rows)
    return "\n".join(lines)


def _row(cells: Sequence[str], *, escape: bool = True) -> str:
    return "| " + " | ".join(cell(c) if escape else c for c in cells) + " |"


def _iso(ts: float) -> str:
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _clock(ts: float | None) -> str:
    if ts is None:
        return "—"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S")


def _labels(labels: Mapping[str, str]) -> str:
    return ", ".join(f"{k}={v}" for k, v in sorted(labels.items())) or "—"


def text_bar(percent: float, width: int = _BAR_WIDTH) -> str:
    """A horizontal bar of `percent` (0..100) in eighths of a block, `width` blocks long."""
    eighths = round(max(0.0, min(100.0, percent)) / 100 * width * 8)
    full, part = divmod(eighths, 8)
    return "█" * full + (_EIGHTHS[part] if part else "")


# ------------------------------------------------------------------ sections


def _pin_set(w: Window) -> str:
    """`set 2026-12-03T03:20:05Z by amy; `, as far as recorded."""
    when = "" if w.pin_set_at is None else f" {_iso(w.pin_set_at)}"
    by = "" if w.pin_set_by is None else f" by {inline(w.pin_set_by)}"
    return f"set{when}{by}; " if when or by else ""


def _header(s: Snapshot) -> str:
    h, w = s.header, s.header.window
    length = format_duration(w.end_at - w.start_at)
    if w.pinned:
        how = (
            f"{length}, from the pinned incident start ({_pin_set(w)}`--since` not used; "
            "`P` unpins)"
        )
    else:
        how = f"the last {format_duration(w.since)} (`--since`)"
    writer = (
        "a collector is writing it"
        if h.has_writer
        else "no collector is writing it: as of its last write"
    )
    shown = h.exported_at if h.as_of_at is None else h.as_of_at
    stamp = datetime.fromtimestamp(shown, UTC).strftime("%Y-%m-%d %H:%M UTC")
    as_of = (
        ()
        if h.as_of_at is None
        else (f"- **As of:** {_iso(h.as_of_at)}: the recording as it stood then (`--at`)",)
    )
    return "\n".join(
        (
            f"# wootwatch snapshot, {stamp}" + ("" if h.as_of_at is None else " (as of)"),
            "",
            *as_of,
            f"- **Exported:** {_iso(h.exported_at)} by {inline(h.user)} on {inline(h.host)}",
            f"- **Window:** {_iso(w.start_at)} to {_iso(w.end_at)}: {how}",
            f"- **Database:** {inline(h.database)} ({writer})",
        )
    )


def _summary(s: Snapshot) -> str:
    health = s.health
    score = "no data" if health.score is None else f"health score {health.score:.0f} / 100"
    parts = [
        "## Executive summary",
        f"**Overall: {_STATUS[health.status]} {health.status}** ({score}; seed 003's "
        "weighted score: healthy from 90, degraded from 70, unhealthy below).",
        table(
            ("Component", "Weight", "Score", "Reason"),
            (
                (
                    c.name,
                    f"{c.weight * 100:.0f} %",
                    "—" if c.score is None else f"{c.score:.0f}",
                    c.reason,
                )
                for c in health.components
            ),
            "lrrl",
        ),
        _alert_counts(s),
    ]
    if s.active_alerts:
        parts.append(
            table(
                ("Severity", "State", "Since (UTC)", "Alert", "Summary", "Value", "Acknowledged"),
                (
                    (
                        severity_label(a.severity),
                        alert_state_label(a.state),
                        _clock(a.started_at),
                        f"#{a.id} {a.rule} ({_labels(a.labels)})",
                        a.summary,
                        f"{a.shown} ({a.measure})" if a.measure else a.shown,
                        _ack(a.acknowledged_by, a.ack_note),
                    )
                    for a in s.active_alerts
                ),
                "lllllrl",
            )
        )
    return "\n\n".join(parts)


def _ack(who: str | None, note: str | None) -> str:
    if who is None:
        return "no"
    return f"by {who}: {note}" if note else f"by {who}"


def _alert_counts(s: Snapshot) -> str:
    firing: dict[str, int] = {}
    for alert in s.active_alerts:
        if alert.state == "firing":
            firing[alert.severity] = firing.get(alert.severity, 0) + 1
    pending = sum(1 for a in s.active_alerts if a.state == "pending")
    acked = sum(1 for a in s.active_alerts if a.acknowledged_by is not None)
    counts = ", ".join(
        f"{SEVERITY_ICONS[level]} {firing[level]} {level}"
        for level in SEVERITY_ICONS
        if level in firing
    )
    text = f"{counts} firing" if counts else "none firing"
    return f"**Active alerts:** {text}; {pending} pending; {acked} acknowledged."


def _metrics(rows: Sequence[MetricRow]) -> str:
    if not rows:
        return "## Metrics\n\nNo series of the metrics table is stored in this database."
    body = table(
        ("Metric", "Normal range", "Value in window", "Status"),
        ((r.title, _normal(r), format_value(r.value, r.unit), _status(r)) for r in rows),
        "lrrl",
    )
    limits = "\n".join(f"- {inline(r.title)}: {inline(r.thresholds)}" for r in rows)
    return (
        "## Metrics\n\n"
        "Normal range: p10 to p90 of the same figure over up to 24 earlier windows as long as "
        "this one (at least 24 h back).\n\n"
        f"{body}\n\nThresholds:\n\n{limits}"
    )


def _normal(row: MetricRow) -> str:
    if row.normal_low is None or row.normal_high is None:
        return "no baseline"
    low, high = row.normal_low, row.normal_high
    if row.unit not in _MEASURED:  # a count: p10 and p90 interpolate, a count has no halves
        low, high = math.floor(low), math.ceil(high)
    shown = format_value(low, row.unit), format_value(high, row.unit)
    return shown[0] if shown[0] == shown[1] else f"{shown[0]} to {shown[1]}"


_MEASURED: Final = frozenset({"ms", "s", "%", "bytes"})
"""Units of measured figures; any other is a count."""


def _status(row: MetricRow) -> str:
    if row.level is Level.OK and row.versus_normal in ("within", "none"):
        return f"{TONE_ICONS['ok']} normal"
    text = _LEVEL[row.level]
    if row.versus_normal in ("above", "below"):
        text += f", {row.versus_normal} normal range"
    if row.alert:
        text += f"; alert firing: {row.alert}"
    return text


def _latency(s: Snapshot) -> str:
    parts = ["## Latency"]
    if s.latency:
        parts.append(
            table(
                ("Source", "Endpoint", "Requests", "Avg", "p50", "p95", "p99"),
                (
                    (
                        r.source,
                        r.endpoint,
                        f"{r.count:,}",
                        format_value(r.mean, "ms"),
                        format_value(r.p50, "ms"),
                        format_value(r.p95, "ms"),
                        format_value(r.p99, "ms"),
                    )
                    for r in s.latency
                ),
                "llrrrrr",
            )
        )
    else:
        parts.append("No latency samples in the window.")
    for dist in s.distributions:
        parts.append(f"### Distribution: {inline(dist.title)}, {dist.total:,} values (seed 001)")
        parts.append(
            table(
                ("Bucket", "Count", "Share", "Bar"),
                (
                    (b.label, f"{b.count:,.0f}", f"{b.percent:.1f} %", text_bar(b.percent))
                    for b in dist.buckets
                ),
                "lrrl",
            )
        )
    if s.phases:
        total = sum(p.mean or 0.0 for p in s.phases)
        parts.append("### Pipeline phases")
        parts.append(
            table(
                ("Source", "Phase", "Mean", "Peak", "Share of mean", "Bar"),
                (
                    (
                        p.source,
                        p.phase,
                        format_value(p.mean, "ms"),
                        format_value(p.max, "ms"),
                        f"{_share(p.mean, total):.0f} %",
                        text_bar(_share(p.mean, total)),
                    )
                    for p in s.phases
                ),
                "llrrrl",
            )
        )
    return "\n\n".join(parts)


def _share(part: float | None, total: float) -> float:
    return 100.0 * (part or 0.0) / total if total else 0.0


def _sla(s: Snapshot) -> str:
    if not (s.sla or s.breaches or s.channels):
        return ""
    parts = ["## SLA"]
    if s.sla:
        parts.append(
            table(
                ("Source", "Compliance now", "Lowest in window", "Target", "Met", "Breached",
                 "Waiting", "Status"),
                (
                    (
                        r.source,
                        format_value(r.latest, "%"),
                        format_value(r.lowest, "%"),
                        format_value(r.target_s, "s"),
                        format_value(r.met, "count"),
                        format_value(r.breached, "count"),
                        format_value(r.waiting, "count"),
                        _sla_colour(r.level),
                    )
                    for r in s.sla
                ),
                "lrrrrrrl",
            )
        )  # fmt: skip
        ruled = next((m.thresholds for m in s.metrics if m.key == "uptime"), "")
        parts.append(f"Uptime of the API checks{f' ({ruled})' if ruled else ''}:")
        parts.append(
            table(
                ("Source", *(f"Uptime {w}" for w in s.sla[0].uptime)),
                (
                    (r.source, *(_uptime(v, r.uptime_levels[w]) for w, v in r.uptime.items()))
                    for r in s.sla
                ),
                "l" + "r" * len(s.sla[0].uptime),
            )
        )
    if s.breaches:
        parts.append("### Breaches (latest poll)")
        parts.append(
            table(
                ("Source", "Conversation", "Inbox", "Customer", "Waited", "Replied"),
                (
                    (
                        b.source,
                        f"#{b.conversation}",
                        b.inbox,
                        b.customer,
                        format_value(b.waited_s, "s"),
                        "yes" if b.replied else "no",
                    )
                    for b in s.breaches
                ),
                "lrllrl",
            )
        )
    if s.channels:
        targets = {r.source: r.target_s or _DEFAULT_TARGET_S for r in s.sla}
        levels = {r.source: r.level for r in s.sla}
        parts.append("### Channels")
        parts.append(
            table(
                ("Source", "Channel", "Conversations", "Avg first response", "Status"),
                (
                    (
                        c.source,
                        c.channel,
                        format_value(c.conversations, "count"),
                        format_value(c.first_response_s, "s"),
                        _channel_colour(
                            c.first_response_s,
                            targets.get(c.source, _DEFAULT_TARGET_S),
                            levels.get(c.source, Level.NO_DATA),
                        ),
                    )
                    for c in s.channels
                ),
                "llrrl",
            )
        )
    return "\n\n".join(parts)


_BACKLOG_WORDS: Final = {
    Level.OK: "no backlog",
    Level.WARNING: "CX queue backlog",
    Level.CRITICAL: "URGENT: High backlog",
    Level.NO_DATA: "no data",
}


def _sla_colour(level: Level) -> str:
    """The band the rules in force put the compliance in, as the SLA gauge says it."""
    tone = _TONES[level]
    return f"{TONE_ICONS[tone]} {COMPLIANCE_WORDS[tone]}"


def _backlog(level: Level) -> str:
    """The backlog banner's words for the peak, with the level's icon."""
    return f"{TONE_ICONS[_TONES[level]]} {_BACKLOG_WORDS[level]}"


def _uptime(value: Uptime | None, level: Level) -> str:
    """The uptime and its level's icon, saying how much was recorded when less than the window."""
    if value is None:
        return "—"
    pct = value.percent
    colour = TONE_ICONS[_TONES[level]]
    if value.partial:
        recorded = format_duration(max(60.0, round(value.recorded_s / 60) * 60))
        return f"{colour} {pct:.2f}% over the {recorded} recorded"
    return f"{colour} {pct:.2f}%"


def _channel_colour(wait: float | None, target: float, sla: Level) -> str:
    """A channel's mean first response against the target; ✔ only while the SLA is on target."""
    if wait is None:
        return f"{TONE_ICONS['muted']} no data"
    if wait > _CHANNEL_LATE_S:
        return f"{TONE_ICONS['error']} over 30 min"
    if wait > target:
        return f"{TONE_ICONS['warning']} over target"
    if sla in (Level.OK, Level.NO_DATA):
        return f"{TONE_ICONS['ok']} within target"
    return f"{TONE_ICONS['muted']} mean within target (SLA {sla})"


def _queues(s: Snapshot) -> str:
    if not (s.backlog or s.queues or s.queue_gauges):
        return ""
    parts = ["## Queues"]
    if s.backlog:
        parts.append(
            table(
                ("Source", "Pending now", "Peak in window", "Backlog (seed 004)"),
                (
                    (
                        b.source,
                        format_value(b.pending, "count"),
                        format_value(b.peak, "count"),
                        _backlog(b.level),
                    )
                    for b in s.backlog
                ),
                "lrrl",
            )
        )
    if s.queues:
        parts.append("### Sidekiq queues")
        parts.append(
            table(
                ("Source", "Queue", "Size now", "Peak", "Latency now", "Peak latency"),
                (
                    (
                        q.source,
                        q.queue,
                        format_value(q.size, "count"),
                        format_value(q.size_peak, "count"),
                        format_value(q.latency_s, "s"),
                        format_value(q.latency_peak_s, "s"),
                    )
                    for q in s.queues
                ),
                "llrrrr",
            )
        )
    if s.queue_gauges:
        parts.append("### Counters")
        parts.append(_gauges(s.queue_gauges))
    return "\n\n".join(parts)


def _gauges(rows: Sequence[GaugeRow]) -> str:
    return table(
        ("Source", "Series", "Labels", "Last", "Mean", "Max"),
        (
            (
                g.source,
                g.name,
                _labels(g.labels),
                format_value(g.last, g.unit),
                format_value(g.mean, g.unit),
                format_value(g.max, g.unit),
            )
            for g in rows
        ),
        "lllrrr",
    )


def _cloudwatch(s: Snapshot) -> str:
    if not s.cloudwatch:
        return ""
    return f"## CloudWatch metrics\n\n{_gauges(s.cloudwatch)}"


def _timeline(s: Snapshot) -> str:
    if not s.timeline:
        return (
            "## Incident timeline\n\n"
            "Nothing happened in the window: no alert changed state, was acknowledged or "
            "silenced, no annotation, no source changed state, no burst of error lines."
        )
    body = table(
        ("Time (UTC)", "About", "Severity", "Event", "Value", "By", "Note"),
        (
            (
                _clock(e.at),
                e.subject or "—",
                severity_label(e.severity) if e.severity else "—",
                e.what,
                e.shown,
                e.actor or "—",
                e.note or (f"set {_clock(e.set_at)}" if e.set_at is not None else "—"),
            )
            for e in s.timeline
        ),
        "lllllll",
    )
    return f"## Incident timeline\n\n{body}"


def _logs(s: Snapshot) -> str:
    if not s.error_lines:
        return "## Logs\n\nNo error lines cached in the window."
    parts = [
        "## Logs",
        f"{s.error_lines:,} error lines in the window. The most frequent messages "
        "(numbers and ids shown as #):",
        table(("Count", "Message"), ((f"{g.count:,}", g.shape) for g in s.log_groups), "rl"),
        f"The last {len(s.log_lines)}:",
        fenced(_log_line(line) for line in s.log_lines),
    ]
    return "\n\n".join(parts)


def _log_line(line: LogLine) -> str:
    """One record per line; only the message may span lines (a stack trace)."""
    fields = (line.level.upper() or "-", line.source, line.group, line.stream)
    return "  ".join((_clock(line.at), *(inert(f) for f in fields), _cut(line.message, 2000)))


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _sparklines(s: Snapshot) -> str:
    if not s.sparks:
        return ""
    w = s.header.window
    slots = len(s.sparks[0].values)
    span = w.end_at - w.start_at
    step = _readable(span / slots)
    about = "" if step == _readable(span / slots, exact=True) else "about "
    names = [_cut(inert(f"{p.source} {p.label}"), _SPARK_NAME) for p in s.sparks]
    times = [e.at for e in s.timeline if e.kind in ANNOTATION_KINDS]
    marks = set(marked_slots(times, w.start_at, math.nextafter(w.end_at, math.inf), slots))
    width = max(len(name) for name in [*names, *([_NOTES_ROW] if marks else [])])
    lines = [f"{name:<{width}}  {_spark_line(p)}" for name, p in zip(names, s.sparks, strict=True)]
    said = ""
    if marks:
        row = "".join(_NOTE_MARK if slot in marks else " " for slot in range(slots))
        lines.append(f"{_NOTES_ROW:<{width}}  {row}".rstrip())
        said = f" A `{_NOTE_MARK}` under a slot: an annotation fell in it (see the timeline)."
    return (
        "## Sparklines\n\n"
        f"{slots} slots of {about}{step} over {_readable(span)}; a blank is a slot without data."
        f"{said}\n\n{fenced(lines)}"
    )


def _readable(seconds: float, *, exact: bool = False) -> str:
    """A duration as a person says it: `50 s`, `1 min`, `10 min`, `2.5 h`, `3 d`.

    Rounded to a figure one reads at a glance (to 5 s under a minute, to half a
    minute under an hour, to a tenth of an hour or day above), unless `exact`.
    """
    for size, unit, grain in ((86400, "d", 0.1), (3600, "h", 0.1), (60, "min", 0.5)):
        if seconds >= size:
            count = seconds / size if exact else round(seconds / size / grain) * grain
            return f"{count:.4g} {unit}"
    return f"{seconds:.4g} s" if exact or seconds < 10 else f"{round(seconds / 5) * 5} s"


def _spark_line(spark: Spark) -> str:
    found = [v for v in spark.values if v is not None]
    low, high = format_value(min(found), spark.unit), format_value(max(found), spark.unit)
    last = next((v for v in reversed(spark.values) if v is not None), None)
    return f"{sparkline(spark.values)}  {low} to {high}, last {format_value(last, spark.unit)}"


def _sources(s: Snapshot) -> str:
    if not s.sources:
        return "## Sources\n\nNo source has reported to this database."
    body = table(
        ("Source", "State", "Last success (UTC)", "Last error"),
        (
            (r.name, source_state_label(r.state), _clock(r.last_success_at), r.error or "—")
            for r in s.sources
        ),
    )
    return f"## Sources\n\n{body}"
