"""The incident timeline as a list: one line per entry, Enter rewinds every screen to it.

The window is the pinned incident start to the moment on view, else the
last `WINDOW` seconds (`tui.data.timeline` reads it). Newest entries first,
so what just happened is at the top; every piece of text in a line (rules,
labels, notes, errors, log lines) is drawn inert. Enter (or a click) on a
line posts `RewindTo(entry.at)`: the app shows every screen as of that moment.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rich.text import Text
from textual import on
from textual.app import ComposeResult
from textual.widgets import OptionList, Static

from collectors.inert import inert
from collectors.store.log_search import LogMatch
from tui.data.reader import StoreReader
from tui.data.timeline import ERROR_LINES_READ, read_timeline
from tui.export.model import TimelineEntry
from tui.messages import RewindTo
from tui.panels.base import LivePanel
from widgets.line_list import LineList
from widgets.vocab import SEVERITY_ICONS, TIMELINE_ICONS

__all__ = ["TimelineData", "TimelinePanel"]


@dataclass(frozen=True, slots=True)
class TimelineData:
    """What the timeline panel shows."""

    start: float
    pinned: bool
    """Whether the window starts at the pinned incident start."""
    entries: tuple[TimelineEntry, ...]
    """Oldest first, as read."""


class TimelinePanel(LivePanel[TimelineData]):
    """The incident's timeline, newest first; Enter rewinds the view to the chosen entry.

    | Key | Does |
    | :- | :- |
    | up / down | choose an entry |
    | enter | show every screen as of the entry's time |

    Args:
        title: the border title (the window is added to it).
        window: seconds shown when no incident start is pinned.
    """

    def __init__(self, title: str, *, window: float, id: str | None = None) -> None:
        super().__init__(title, id=id)
        self._title = title
        self._window = window
        self._entries: tuple[TimelineEntry, ...] = ()

    def compose_body(self) -> ComposeResult:
        """The list, and the line shown when it is empty."""
        yield LineList(id=f"{self.id or 'timeline'}-list")
        yield Static("nothing happened in the window", classes="timeline-empty", markup=False)

    async def gather(self, reader: StoreReader) -> TimelineData:
        """The timeline from the pinned start (else the window) to the moment on view."""
        now = reader.now()
        pinned = await reader.book.pinned_incident()
        pinned_in_view = pinned is not None and pinned < now
        start = pinned if pinned is not None and pinned_in_view else now - self._window

        async def errors(first: float, end: float) -> list[LogMatch]:
            return await reader.newest_logs(
                level="error", start=first, end=end, limit=ERROR_LINES_READ
            )

        entries = await read_timeline(reader.book, reader.store, errors, start, now, reader.rules)
        return TimelineData(start, pinned_in_view, entries)

    def present(self, data: TimelineData) -> None:
        """Write the list, newest first."""
        since = time.strftime("%H:%M:%S", time.localtime(data.start))
        where = "pinned start" if data.pinned else "window start"
        self.border_title = f"{self._title} · since {since} ({where}) · {len(data.entries)}"
        self._entries = data.entries
        lines = [(str(index), _line(entry)) for index, entry in enumerate(data.entries)][::-1]
        self.query_one(LineList).show(lines)
        self.query_one(LineList).display = bool(lines)
        self.query_one(".timeline-empty", Static).display = not lines

    def chosen(self) -> TimelineEntry | None:
        """The entry highlighted, or None when there is none."""
        key = self.query_one(LineList).highlighted_key
        return None if key is None else self._entries[int(key)]

    @on(OptionList.OptionSelected)
    def _rewind(self, event: OptionList.OptionSelected) -> None:
        """Enter or a click on an entry: show every screen as of its time."""
        event.stop()
        entry = self.chosen()
        if entry is not None:
            self.post_message(RewindTo(entry.at))


def _line(entry: TimelineEntry) -> Text:
    """`11:07:25 ✎ note  chatwoot  amy: deploy v4.2.1`, the untrusted parts inert."""
    text = Text(no_wrap=True, end="")
    text.append(time.strftime("%H:%M:%S", time.localtime(entry.at)), "dim")
    mark = SEVERITY_ICONS.get(entry.severity) if entry.kind == "transition" else None
    text.append(f" {mark or TIMELINE_ICONS.get(entry.kind, '·')} ")
    text.append(inert(entry.what), "bold")
    if entry.subject:
        text.append(f"  {inert(entry.subject)}")
    if entry.set_at is not None:  # a pin: `(set 11:08:05 by amy)`
        set_at = time.strftime("%H:%M:%S", time.localtime(entry.set_at))
        by = f" by {entry.actor}" if entry.actor else ""
        text.append(f"  (set {set_at}{inert(by)})", "italic")
    elif entry.actor or entry.note:
        who = f"{entry.actor}: " if entry.actor and entry.note else entry.actor or ""
        text.append(f"  {inert(who)}{inert(entry.note or '')}", "italic")
    return text
