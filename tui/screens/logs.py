"""The Logs screen: search the log cache, follow new lines, read a spike's window.

One panel holds a search box (FTS5 syntax, run with Enter), one line for a
bad query's error, a status line (window, query, how many lines, follow
state) and a `LogPane` of the lines found, oldest at the top.

* An empty query shows the newest lines of the window; a query shows the
  newest matching lines, the matched words highlighted.
* The first read of a window takes its newest `FIRST_READ` lines. After that,
  with follow on, each refresh of the screen reads only what was cached since
  (`after_id`) and appends it: new lines arrive at the bottom, the pane stays
  there, and scrolling up pauses that until the bottom is reached again.
* A window picked on another screen (`ShowLogs`) is shown through
  `LogsScreen.show_window` until the range is changed or it is cleared.
* `m` switches the box to a CloudWatch filter pattern, run once per Enter
  over the same window through `RemoteLogs` in a worker (the screen takes one
  when the config has `cloudwatch_logs` sources; without, Enter says so).
* Rewound, the window ends at the moment on view and no later line shows;
  a rewind or the return to live reads the window afresh.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import ClassVar, Final

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import Input, Static

from collectors.inert import inert
from collectors.store.log_search import LogMatch, LogQueryError
from tui.data.log_view import LogView
from tui.data.reader import StoreReader
from tui.data.remote_logs import NO_REMOTE, RemoteLine, RemoteLogs
from tui.messages import ShowLogs
from tui.panels.base import LivePanel
from tui.screens import SCREENS
from tui.screens.base import LiveScreen
from widgets.log_pane import LogLine, LogPane

__all__ = ["LogsRead", "LogsScreen"]

FIRST_READ: Final = 500
"""Lines read when a window or query is shown (the newest of them)."""
FOLLOW_READ: Final = 500
"""Most new lines appended by one refresh in follow mode."""
KEPT: Final = 5000
"""Most lines the pane holds while following."""
PLACEHOLDER: Final = (
    'search (3+ letters, inside words too): timeout  "statement timeout"  error NOT health'
)
REMOTE_PLACEHOLDER: Final = (
    'CloudWatch pattern: ?ERROR ?timeout  "statement timeout"  { $.level = "error" }'
)
TITLE: Final = "Log cache · FTS5 search"
REMOTE_TITLE: Final = "CloudWatch Logs · filter pattern"


@dataclass(frozen=True, slots=True)
class LogsRead:
    """What one read of the log cache found."""

    generation: int
    """The `LogView.generation` it was read for."""
    lines: tuple[LogLine, ...] = ()
    """Lines, oldest first."""
    first: bool = False
    """The window's first read (replaces the pane) rather than new lines to append."""
    newest_id: int | None = None
    """The newest cached line read so far: the next follow-up read starts after it."""
    truncated: bool = False
    """A first read that hit `FIRST_READ`: older lines of the window exist."""
    error: str | None = None
    """Why the search could not run (or which sources failed)."""
    bad_query: bool = False
    """The error is the query's own: the cursor goes back to the search box."""


def _line(match: LogMatch) -> LogLine:
    return LogLine(match.ts, match.level, match.source, match.message, match.spans)


def _remote_line(found: RemoteLine) -> LogLine:
    return LogLine(found.event.ts, found.event.level, found.source, found.event.message)


class LogsPanel(LivePanel[LogsRead]):
    """The search box, its error and status lines, and the log pane.

    Args:
        view: the query, window and follow mode to show (shared with the screen).
        remote: CloudWatch searches, when the config has cloudwatch_logs sources.
    """

    def __init__(
        self, view: LogView, *, remote: RemoteLogs | None = None, id: str | None = None
    ) -> None:
        super().__init__(TITLE, id=id)
        self.view = view
        """What to show."""
        self._remote = remote
        self._searching: int | None = None
        """The generation a CloudWatch search is running for."""
        self._reader: StoreReader | None = None
        self._drawn_generation: int | None = None
        self._read_as_of: float | None = None
        """The moment the pane's lines were first read as of (None: live)."""
        self._newest_id: int | None = None
        self._truncated = False

    def compose_body(self) -> ComposeResult:
        """Search box, error line, status line, log pane."""
        yield Input(self.view.query, placeholder=PLACEHOLDER, id="log-search", compact=True)
        error = Static("", id="log-error", markup=False)
        error.display = False
        yield error
        yield Static("", id="log-status", markup=False)
        yield LogPane(max_lines=KEPT, follow=self.view.following, id="log-pane")

    async def gather(self, reader: StoreReader) -> LogsRead:
        """The window's first read, or (following) the lines cached since the last one."""
        self._reader = reader  # for the reloads the keys ask for
        view = self.view
        generation = view.generation
        # A rewind (or the return to live) reads the window afresh: lines drawn
        # as of another moment must not stay, nor be appended to.
        first = self._drawn_generation != generation or self._read_as_of != reader.as_of
        if first:
            self._read_as_of = reader.as_of
        if view.remote or (not first and not view.following):
            return LogsRead(generation, newest_id=self._newest_id)
        start, end = view.bounds(reader.now())
        after = None if first else self._newest_id
        limit = FIRST_READ if first else FOLLOW_READ
        try:
            if view.query:
                matches = await reader.search_logs(
                    view.query, start=start, end=end, after_id=after, limit=limit
                )
            else:
                matches = await reader.newest_logs(
                    start=start, end=end, after_id=after, limit=limit
                )
        except LogQueryError as exc:
            return LogsRead(generation, first=True, error=str(exc), bad_query=True)
        newest = max((m.id for m in matches), default=after)
        return LogsRead(
            generation,
            tuple(_line(m) for m in reversed(matches)),
            first=first,
            newest_id=newest,
            truncated=first and len(matches) >= limit,
        )

    def present(self, data: LogsRead) -> None:
        """Fill the pane (first read) or append to it; show the error and status."""
        if data.generation != self.view.generation:
            return  # the query or window changed while reading: a fresh read follows
        pane = self.query_one(LogPane)
        if data.first:
            self._drawn_generation = data.generation
            self._truncated = data.truncated
            pane.set_lines(data.lines)
            error = self.query_one("#log-error", Static)
            error.update(inert(f"⚠ {data.error}") if data.error else "")
            error.display = data.error is not None
            if data.bad_query:
                self.query_one("#log-search", Input).focus()
        else:
            pane.append(data.lines)
        self._newest_id = data.newest_id
        self._show_status()

    def sync(self) -> None:
        """The view changed: show its query and mode, read it again now."""
        view = self.view
        search = self.query_one("#log-search", Input)
        if search.value.strip() != view.query:
            search.value = view.query
        search.placeholder = REMOTE_PLACEHOLDER if view.remote else PLACEHOLDER
        self.border_title = REMOTE_TITLE if view.remote else TITLE
        self.query_one(LogPane).follow = view.following
        if view.remote:
            self._search_remote()
        else:
            self._reload()
        self._show_status()

    @work(group="log-search", exit_on_error=False, description="search the log cache")
    async def _reload(self) -> None:
        if self._reader is not None:  # else the screen's first refresh reads it
            await self.refresh_from(self._reader)

    @work(
        group="remote-search", exclusive=True, exit_on_error=False, description="search CloudWatch"
    )
    async def _search_remote(self) -> None:
        view, remote = self.view, self._remote
        generation = view.generation
        if remote is None or not remote.available:
            self.present(LogsRead(generation, first=True, error=NO_REMOTE))
            return
        now = self._reader.now() if self._reader is not None else time.time()
        start, end = view.bounds(now)
        self._searching = generation
        self._show_status()
        try:
            found = await remote.search(view.query, start, end or now, limit=FIRST_READ)
        finally:
            if self._searching == generation:
                self._searching = None
                self._show_status()
        self.present(
            LogsRead(
                generation,
                tuple(_remote_line(line) for line in reversed(found.lines)),
                first=True,
                truncated=len(found.lines) >= FIRST_READ,
                error="; ".join(found.problems) or None,
            )
        )

    @on(Input.Submitted, "#log-search")
    def _search(self, event: Input.Submitted) -> None:
        self.view.search(event.value)
        self.query_one(LogPane).focus()
        self.sync()

    @on(LogPane.FollowPaused)
    def _paused(self) -> None:
        self._show_status()

    def _show_status(self) -> None:
        self.query_one("#log-status", Static).update(self._status())

    def _status(self) -> str:
        view, pane = self.view, self.query_one(LogPane)
        if view.remote:
            what = f"CloudWatch ‘{inert(view.query)}’" if view.query else "CloudWatch, every line"
        else:
            what = f"matching ‘{inert(view.query)}’" if view.query else "newest lines"
        count = pane.line_count
        lines = f"{count} line{'' if count == 1 else 's'}"
        if self._truncated:
            lines = f"the newest {lines}"
        if self._searching is not None:
            state = "searching CloudWatch…"
        elif view.remote:
            state = "Enter searches again · m: the cache"
        elif view.spike is not None:
            state = "c: back to live"
        elif not view.follow:
            state = "○ not following (f follows)"
        elif pane.paused:
            state = "‖ follow paused: scrolled up (end resumes)"
        else:
            state = "● following"
        return " · ".join((view.window_label(), what, lines, state))


class LogsScreen(LiveScreen):
    """Search the log cache, follow new lines, read the window of a spike.

    | Key | Does |
    | :- | :- |
    | / | focus the search box (Enter runs the search, Escape leaves the box) |
    | escape | leave the search box; from the lines, back to the screen before |
    | f | follow new lines on or off (in a spike's window: back to the live window) |
    | r | cycle the live window: 15m, 1h, 6h, 24h |
    | c | clear the window picked on a chart (back to the live window) |
    | m | search CloudWatch with a filter pattern, or the cache again |
    | up / down / pageup / pagedown / home / end | scroll the lines (end resumes follow) |
    """

    TITLE = SCREENS["logs"].TITLE
    AUTO_FOCUS = "#log-pane"
    CSS = """
    LogsScreen #logs-panel {
        height: 1fr;
    }
    LogsScreen #log-error, LogsScreen #log-status {
        height: 1;
        text-wrap: nowrap;
        text-overflow: ellipsis;
    }
    LogsScreen #log-error {
        color: $error;
    }
    LogsScreen #log-status {
        color: $text-muted;
    }
    LogsScreen #log-pane {
        height: 1fr;
    }
    """
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("slash", "focus_search", "Search", key_display="/"),
        Binding("f", "toggle_follow", "Follow"),
        Binding("r", "cycle_range", "Range"),
        Binding("c", "clear_spike", "Clear window"),
        Binding("m", "toggle_remote", "CloudWatch"),
        Binding("escape", "leave_search", "Leave search / back", show=False),
    ]

    def __init__(self, *, remote: RemoteLogs | None = None) -> None:
        """Initialise the screen.

        Args:
            remote: CloudWatch searches over the config's cloudwatch_logs sources.
        """
        super().__init__()
        self.view = LogView()
        """The query, window and follow mode on view."""
        self._remote = remote

    def compose_panels(self) -> ComposeResult:
        """The one logs panel."""
        yield LogsPanel(self.view, remote=self._remote, id="logs-panel")

    def show_spike(self, spike: ShowLogs) -> None:
        """Show the lines of a window picked on a chart (with its query if any), and say so."""
        cleared = self.view.show_spike(spike.start, spike.end, spike.query)
        self._changed()
        start, end = (time.strftime("%H:%M", time.localtime(t)) for t in spike.window)
        said = f"Logs of {start}–{end} from the chart"
        if cleared:
            said += f"; the search ‘{inert(cleared)}’ was cleared"
        self.notify(f"{said}. Esc goes back.", title="Spike", markup=False)

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        """`c` is offered only while a spike's window is shown."""
        if action == "clear_spike":
            return self.view.spike is not None
        return True

    def action_focus_search(self) -> None:
        """Put the cursor in the search box."""
        self.query_one("#log-search", Input).focus()

    async def action_leave_search(self) -> None:
        """From the search box back to the lines; from the lines back to the screen before."""
        search = self.query_one("#log-search", Input)
        if search.has_focus:
            self.query_one(LogPane).focus()
        else:
            await self.app.run_action("app.go_back")

    def action_toggle_follow(self) -> None:
        """Follow on or off."""
        self.view.toggle_follow()
        self._changed()

    def action_cycle_range(self) -> None:
        """The next live window."""
        self.view.cycle_range()
        self._changed()

    def action_toggle_remote(self) -> None:
        """Search CloudWatch, or the cache again."""
        self.view.toggle_remote()
        self._changed()

    def action_clear_spike(self) -> None:
        """Back to the live window."""
        self.view.clear_spike()
        self._changed()

    def _changed(self) -> None:
        for panel in self.query(LogsPanel):  # none before mounting: compose reads the view
            panel.sync()
        self.refresh_bindings()
