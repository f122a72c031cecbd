"""The one vocabulary of wootwatch: severity and state icons and words, "ago", values with units.

Every widget, screen, CLI table and export takes its icons, words, ages and
formatted values from here, so one meaning reads one way everywhere:

| meaning | reads |
|---|---|
| severity | `✖ critical`, `◆ error`, `⚠ warning`, `ℹ info` |
| alert state | `● firing`, `◐ pending`, `✓ resolved` |
| source state | `● ok`, `◐ stale`, `✖ down`, `○ no data` |
| an alert's flags | `✓ acked`, `🔕 silenced`, `≈ flapping` |
| timeline entry | `✎ note`, `⚑ pin`, `⚐ unpin`, `◇ source`, `‼ errors`, `→` change, flags' icons |
| a band against a threshold | `✔` ok, `⚠` warning, `✖` error (critical), `·` muted |
| an age | `<10s ago`, `20s ago`, `1m ago`, `1h5m ago` (coarse: it changes at most every 10 s) |
| a value | `412ms`, `1.2s`, `97.5%`, `3m20s`, `1.5GB`, `1204`, `–` for none |

Plain data and functions only: no Textual, so the headless commands and the
exports import it too (the import contracts allow exactly this module).
"""

from __future__ import annotations

from typing import Final, Literal

from collectors.durations import format_duration

__all__ = [
    "ALERT_STATE_ICONS",
    "COMPLIANCE_WORDS",
    "FLAG_ICONS",
    "NO_VALUE",
    "SEVERITY_ICONS",
    "SOURCE_STATE_ICONS",
    "TIMELINE_ICONS",
    "TONE_ICONS",
    "Tone",
    "ago",
    "alert_state_label",
    "flag_label",
    "format_value",
    "severity_label",
    "source_state_label",
    "updated_ago",
]

SEVERITY_ICONS: Final[dict[str, str]] = {
    "critical": "✖",
    "error": "◆",
    "warning": "⚠",
    "info": "ℹ",
}
"""Alert severities, most severe first, and the icon before each word."""
ALERT_STATE_ICONS: Final[dict[str, str]] = {"firing": "●", "pending": "◐", "resolved": "✓"}
"""Alert states and the icon before each word."""
SOURCE_STATE_ICONS: Final[dict[str, str]] = {"ok": "●", "stale": "◐", "down": "✖", "no data": "○"}
"""Source states and the icon before each word."""
FLAG_ICONS: Final[dict[str, str]] = {"acked": "✓", "silenced": "🔕", "flapping": "≈"}
"""The flags a person or the damping sets on an alert, and the icon before each word."""

TIMELINE_ICONS: Final[dict[str, str]] = {
    "transition": "→",
    "ack": FLAG_ICONS["acked"],
    "ack_expired": "⌛",
    "severity": "↕",
    "flapping": FLAG_ICONS["flapping"],
    "silence": FLAG_ICONS["silenced"],
    "note": "✎",
    "pin": "⚑",
    "unpin": "⚐",
    "source": "◇",
    "errors": "‼",
}
"""The kinds of incident timeline entry and the icon before each (never colour alone)."""

Tone = Literal["ok", "warning", "error", "muted"]
"""How a figure stands against its thresholds, as a widget colours it."""
TONE_ICONS: Final[dict[Tone, str]] = {
    "ok": "✔",
    "warning": SEVERITY_ICONS["warning"],
    "error": SEVERITY_ICONS["critical"],
    "muted": "·",
}
"""The icon of each tone: past the critical threshold reads like a critical alert."""

COMPLIANCE_WORDS: Final[dict[Tone, str]] = {
    "ok": "on target",
    "warning": "below target",
    "error": "critical",
    "muted": "no data",
}
"""The word beside a compliance percentage, so that its band is never told by colour alone."""

NO_VALUE: Final = "–"
"""What a value reads as when there is none."""
_UNKNOWN: Final = "?"


def severity_label(severity: str) -> str:
    """`✖ critical`: a severity's icon and word."""
    return f"{SEVERITY_ICONS.get(severity, _UNKNOWN)} {severity}"


def alert_state_label(state: str) -> str:
    """`● firing`: an alert state's icon and word."""
    return f"{ALERT_STATE_ICONS.get(state, _UNKNOWN)} {state}"


def source_state_label(state: str) -> str:
    """`● ok`: a source state's icon and word."""
    return f"{SOURCE_STATE_ICONS.get(state, _UNKNOWN)} {state}"


def flag_label(flag: str) -> str:
    """`✓ acked`: an alert flag's icon and word (what follows, e.g. `by ana`, is the caller's)."""
    return f"{FLAG_ICONS.get(flag, _UNKNOWN)} {flag}"


def ago(seconds: float) -> str:
    """How long ago, coarsely: `<10s ago`, `20s ago`, then whole minutes (`1m ago`, `1h5m ago`).

    Coarse on purpose: a line that changed on every refresh would be redrawn,
    and sent over SSH, for nothing; and two places showing the same age agree.
    """
    if seconds < 10:
        return "<10s ago"
    if seconds < 60:
        return f"{int(seconds // 10) * 10}s ago"
    return f"{format_duration(seconds // 60 * 60)} ago"


def updated_ago(age: float | None) -> str:
    """`updated 20s ago` for data `age` seconds old; `never updated` for None."""
    return "never updated" if age is None else f"updated {ago(age)}"


def format_value(value: float | None, unit: str = "") -> str:
    """A value with its unit, short enough for a table cell; `–` for no value.

    `ms`: `412ms`, `1.2s`; `s`: `0.50s`, `3m20s`; `%`: `97.5%`; `bytes`:
    `1.5GB` (powers of 1024); anything else a number: `1204`, `2.5`, `0.125`.
    """
    if value is None:
        return NO_VALUE
    if unit == "ms":
        return f"{value / 1000:.1f}s" if value >= 1000 else f"{value:.0f}ms"
    if unit == "%":
        return f"{value:.1f}%"
    if unit == "bytes":
        return _bytes(value)
    if unit == "s":
        return format_duration(value) if value >= 1 else f"{value:.2f}s"
    if float(value).is_integer() or abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.1f}" if abs(value) >= 1 else f"{value:.3g}"


_BYTE_UNITS: Final = ("B", "KB", "MB", "GB", "TB")


def _bytes(value: float) -> str:
    step = 0
    while abs(value) >= 1024 and step < len(_BYTE_UNITS) - 1:
        value /= 1024
        step += 1
    return f"{value:.0f}B" if step == 0 else f"{value:.1f}{_BYTE_UNITS[step]}"
