"""One incident timeline: everything that happened in a window, merged in time order.

`read_timeline` reads, over `[start, end]` (the pinned incident start, or a
chosen window, to now or to the as-of moment):

* alert transitions, acknowledgements (with their notes), lapsed acks,
  escalations and flapping (`alert_events`);
* silences, at their creation (or the window's start, for one made before);
* annotations (`collectors.alerts.annotations`): notes, the pin set (at
  the start it pins, with who set it and when) or cleared, and silences
  ended early;
* source state changes (`source_status`): a source going down, coming back,
  going stale (a source's first row counts only when it was not `up`);
* error-line bursts: at least `BURST_LINES` error-level log lines, each within
  `BURST_GAP` seconds of the one before; one entry at the burst's first line
  saying how many lines and over how long, the first line as its note.

Entries are plain data; every string in them is untrusted (rules, labels,
notes, upstream errors and log lines) and shown inert by whoever draws it.
`annotation_times` is the subset the charts mark: notes, pins, acks,
silences and source state changes (the "automatic annotations"), and
`marked_slots` places them on a chart's slots. A note written about a
source (`wootwatch annotate --source`) marks only the charts of that
source's series (`NoteMarks.on`); every other annotation marks every chart.
The timeline and exports list them all. No Textual.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Final

from collectors.alerts.annotations import read_annotations
from collectors.alerts.book import AlertBook, AlertEvent, AlertRow, Silence
from collectors.base import SourceState, SourceStatus, format_duration
from collectors.store.database import Store
from collectors.store.log_search import LogMatch
from tui.data.alert_values import rule_figure
from tui.export.model import TimelineEntry

if TYPE_CHECKING:
    from collectors.alerts.rules import Rule

__all__ = [
    "ANNOTATION_KINDS",
    "BURST_GAP",
    "BURST_LINES",
    "ERROR_LINES_READ",
    "ErrorLines",
    "NoteMarks",
    "TimelineEntry",
    "annotation_marks",
    "annotation_times",
    "marked_slots",
    "read_timeline",
]

BURST_LINES: Final = 10
"""Error lines that make a burst."""
BURST_GAP: Final = 30.0
"""Seconds between two error lines of one burst, at most."""
ERROR_LINES_READ: Final = 5000
"""Error lines of a window read to find its bursts, at most (the newest)."""
ALERT_KINDS: Final = frozenset({"transition", "ack", "ack_expired", "severity", "flapping"})
"""The alert events the timeline shows (not `notify`)."""
ANNOTATION_KINDS: Final = frozenset(
    {"note", "pin", "unpin", "unsilence", "ack", "silence", "source"}
)
"""The entries charts mark: annotations, written or automatic."""

ErrorLines = Callable[[float, float], Awaitable[Sequence[LogMatch]]]
"""Reads the error-level lines of `[start, end)`, newest first (at most `ERROR_LINES_READ`)."""


async def read_timeline(
    book: AlertBook,
    store: Store,
    errors: ErrorLines | None,
    start: float,
    end: float,
    rules: Mapping[str, Rule],
) -> tuple[TimelineEntry, ...]:
    """Every entry of `[start, end]`, oldest first (alert events before others at one time).

    Args:
        book: the alert book (read-only is enough).
        store: the store (read-only is enough).
        errors: reads the error lines of a span; None leaves bursts out.
        start: the window's start (unix time).
        end: its end, included.
        rules: the rules in force by name (the alerts' units).
    """
    entries = await _alert_entries(book, start, end, rules)
    entries += await _annotation_entries(book, store, start, end)
    if errors is not None:
        entries += _bursts(await errors(start, end))
    entries.sort(key=lambda e: (e.at, e.alert_id is None, e.alert_id or 0))
    return tuple(entries)


async def annotation_times(
    book: AlertBook, store: Store, start: float, end: float
) -> list[tuple[float, str | None]]:
    """When the annotations of `[start, end]` were made, written or automatic, in order.

    Each with the source a note was written about; None for an annotation
    about no one source (a note without one, a pin, an ack, a silence, a
    source state change: those mark every chart).
    """
    acks = await book.rows(
        "SELECT ts FROM alert_events WHERE kind = 'ack' AND ts >= ? AND ts <= ?", (start, end)
    )
    others = [
        (e.at, e.subject if e.kind == "note" and e.subject else None)
        for e in await _annotation_entries(book, store, start, end)
    ]
    return sorted([*others, *((ts, None) for (ts,) in acks)], key=lambda mark: mark[0])


@dataclass(frozen=True, slots=True)
class NoteMarks:
    """The annotations of a chart's window, to mark on the slots of the charts drawn over it."""

    start: float
    end: float
    slots: int
    """Equal slots over `[start, end)`."""
    notes: tuple[tuple[float, str | None], ...]
    """As `annotation_times` gives them: when, and the source a note is about."""

    def on(self, sources: Iterable[str]) -> tuple[int, ...]:
        """The slots to mark on a chart of the series of `sources`.

        A note about a source marks only its charts; every other annotation marks all.
        """
        shown = set(sources)
        times = (at for at, source in self.notes if source is None or source in shown)
        return marked_slots(times, self.start, self.end, self.slots)


async def annotation_marks(
    book: AlertBook, store: Store, start: float, end: float, slots: int
) -> NoteMarks:
    """The annotations a chart (`slots` equal ones over `[start, end)`) may mark."""
    return NoteMarks(start, end, slots, tuple(await annotation_times(book, store, start, end)))


def marked_slots(times: Iterable[float], start: float, end: float, slots: int) -> tuple[int, ...]:
    """The slots (of `slots` equal ones over `[start, end)`) holding at least one of `times`."""
    if slots <= 0 or end <= start:
        return ()
    step = (end - start) / slots
    return tuple(sorted({int((t - start) // step) for t in times if start <= t < end}))


async def _alert_entries(
    book: AlertBook, start: float, end: float, rules: Mapping[str, Rule]
) -> list[TimelineEntry]:
    """Alert events of the window: of alerts updated in it, or still visible at its end."""
    alerts = {a.id: a for a in await book.visible(end)}
    alerts.update({a.id: a for a in await book.history(start)})
    entries = []
    for alert in alerts.values():
        for event in await book.events(alert.id):
            if event.kind in ALERT_KINDS and start <= event.ts <= end:
                entries.append(_alert_entry(alert, event, rules.get(alert.rule)))
    return entries


def _alert_entry(alert: AlertRow, event: AlertEvent, rule: Rule | None) -> TimelineEntry:
    labels = ", ".join(f"{k}={v}" for k, v in sorted(alert.labels.items()))
    subject = f"#{alert.id} {alert.rule}" + (f" ({labels})" if labels else "")
    what = {
        "transition": f"{event.from_state} → {event.to_state}",
        "ack": "acknowledged",
        "ack_expired": "acknowledgement lapsed",
        "severity": "severity changed",
        "flapping": "flapping",
    }[event.kind]
    return TimelineEntry(
        event.ts,
        event.kind,
        alert.id,
        subject,
        alert.severity.value,
        what,
        event.value,
        event.actor,
        event.note,
        rule_figure(event.value, rule),
    )


async def _annotation_entries(
    book: AlertBook, store: Store, start: float, end: float
) -> list[TimelineEntry]:
    """Annotations, silences and source state changes of the window (acks come with alerts)."""
    entries = [
        TimelineEntry(
            a.ts, a.kind, None, a.source or "", "", _NOTE_WHAT[a.kind], None,
            a.author, None if a.kind == "pin" else a.text,
            set_at=a.made_at if a.kind == "pin" else None,
        )
        for a in await read_annotations(book, start, end)
    ]  # fmt: skip
    for silence in await book.silences(end, include_ended=True):
        if silence.starts_at > end or silence.ends_at < start or silence.created_at > end:
            continue
        subject = ", ".join(f"{k}={v}" for k, v in sorted(silence.matchers.items()))
        entries.append(
            TimelineEntry(
                max(silence.created_at, start), "silence", None, subject or "every alert", "",
                _silence_what(silence, start, end), None, silence.created_by, silence.comment,
            )
        )  # fmt: skip
    histories: dict[str, list[SourceStatus]] = {}
    for status in await store.status_history(None, 0.0):  # every source's, in one read
        histories.setdefault(status.source, []).append(status)
    for source in await store.source_statuses():
        previous: SourceState | None = None
        for status in histories.get(source, []):
            changed = status.state != (previous or SourceState.OK)
            previous = status.state
            if changed and start <= status.checked_at <= end:
                entries.append(
                    TimelineEntry(
                        status.checked_at, "source", None, source, "", str(status.state),
                        None, None, status.last_error,
                    )
                )  # fmt: skip
    return entries


_NOTE_WHAT: Final = {
    "note": "note",
    "pin": "incident start pinned",
    "unpin": "pin cleared",
    "unsilence": "silence ended early",
}


def _silence_what(silence: Silence, start: float, end: float) -> str:
    until = datetime.fromtimestamp(silence.ends_at, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    if silence.ends_at <= end:
        return f"silence (ended {until})"
    before = " (since before the window)" if silence.created_at < start else ""
    return f"silenced until {until}{before}"


def _bursts(newest_first: Sequence[LogMatch]) -> list[TimelineEntry]:
    """One entry per run of at least `BURST_LINES` lines, each within `BURST_GAP` of the last."""
    lines = sorted(newest_first, key=lambda m: (m.ts, m.id))
    runs: list[list[LogMatch]] = []
    for line in lines:
        if runs and line.ts - runs[-1][-1].ts <= BURST_GAP:
            runs[-1].append(line)
        else:
            runs.append([line])
    entries = []
    for run in runs:
        if len(run) < BURST_LINES:
            continue
        first, last = run[0], run[-1]
        sources = ", ".join(sorted({m.source for m in run}))
        took = format_duration(max(1.0, last.ts - first.ts))
        entries.append(
            TimelineEntry(
                first.ts, "errors", None, sources, "", f"{len(run)} error lines in {took}",
                float(len(run)), None, first.message,
            )
        )  # fmt: skip
    return entries
