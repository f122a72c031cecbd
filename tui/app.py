"""The Textual application: registers themes and screens, refreshes the one on view.

The app is thin. It opens a `StoreReader` on the database, switches between
the screens of `tui.screens` (keys 1-7, footer, command palette) and, every
`refresh` seconds, asks the screen on view to read the store again. It never
talks to a collector: when the collectors run in this process (`wootwatch`,
`wootwatch --demo`) they write the same database file from their own task,
and tell the app that they wrote (`written`): the screen reads a burst of
writes once it settles, not on the clock in the middle of it (`tui.data.pacing`).

A switch shows the new screen in one frame with what it read, without a
garbage collection's pause (`tui.switching`).

Rewind (as-of mode): a `RewindTo` message, posted by any screen or dialog
(`t`, `[`, `]`, the command palette, the incident timeline), moves the one
reader to that moment (`StoreReader.rewind`), so every screen reads the store
as of it with the same code as live, and refreshes keep it there. Escape
first undoes the screen switches made since the rewind, then returns to live.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Iterable, Sequence
from functools import partial
from pathlib import Path
from typing import ClassVar, Final

from textual import on, work
from textual.app import App, SystemCommand
from textual.binding import Binding, BindingType
from textual.screen import Screen
from textual.timer import Timer
from textual.widget import AwaitMount
from textual.worker import Worker, WorkerState

from collectors.alerts.annotations import AnnotationError, add_annotation
from collectors.alerts.book import AlertBookError
from collectors.alerts.rules import Rule
from collectors.alerts.state import AlertState
from collectors.inert import inert
from themes import STYLESHEET, THEMES, theme_for
from tui.data.pacing import Pacing
from tui.data.reader import StoreReader
from tui.data.remote_logs import RemoteLogs
from tui.data.rewind import step_moment
from tui.dialogs.keys import KeysDialog, key_rows
from tui.dialogs.note import NoteDialog
from tui.dialogs.pin import PinDialog
from tui.dialogs.rewind import RewindDialog
from tui.export.redaction import Redactor
from tui.messages import RewindTo, ShowLogs
from tui.screens import SCREENS
from tui.screens.alert_actions import AlertActionsScreen
from tui.screens.base import LiveScreen
from tui.switching import QuickSwitch

__all__ = ["GREETING_SECONDS", "WootwatchApp"]

GREETING_SECONDS = 60.0
"""How long the greeting notice stays: long enough to copy a path from it."""

SCREEN_KEYS: Final = Binding.Group("Screens", compact=True)
"""The keys 1-7, shown in the footer as one item."""
BACK_DEPTH: Final = 20
"""Screens remembered for Escape to go back through."""
STEP_KEYS: Final = Binding.Group("Step", compact=True)
"""The keys [ and ], shown in the footer as one item."""
REWOUND_KEYS: Final = (
    "While rewound (⏪ as of … in the tab bar): a, s and u act on now, so they wait for "
    "live (Esc, or t); h reads the alert's history up to the moment on view; p suggests "
    "the moment on view as the incident start."
)
"""How the keys behave in a rewound view, under the key reference."""


class WootwatchApp(App[None]):
    """wootwatch's terminal UI over one database.

    | Key | Does |
    | :- | :- |
    | ? / f1 | the keys of the screen on view |
    | 1-7 | overview, latency, SLA, queues, alerts, logs, incident view |
    | t | rewind every screen to a typed time; again: back to live |
    | [ / ] | step the moment on view back / forward by the screen's chart slot |
    | escape | back to the screen before (where a spike jump came from); then back to live |
    | p | pin the incident start: a typed time, or the chosen alert's start |
    | P | unpin the incident start |
    | e | export a snapshot of the window to a file |
    | n | add a note to the incident timeline, at the moment on view |
    | ctrl+p | command palette: screens, themes, actions |
    | q / ctrl+c | quit |

    Args:
        db: the database to read.
        refresh: seconds between two reads of the store.
        theme: `dark`, `light` or `high-contrast`.
        clock: wall-clock time (fixed in snapshot tests).
        secrets: the config's secret values, masked on the screens and in exports.
        remote_logs: CloudWatch searches for the logs screen (the app closes it).
        rules: the alert rules in force (default: the default pack).
        greeting: a notice shown once the database is open (`--demo`: where its
            temporary database is, for a second terminal).
        freeze_gc: keep what first views leave alive out of later GC passes (process-wide).
        warm: build the screens not visited yet in the background (`warming`, `tui.warming`).
        settle: seconds without a write (`written`) after which a burst of writes is read.
    """

    CSS_PATH: ClassVar = [STYLESHEET]
    TITLE = "wootwatch"
    MODES: ClassVar = {name: screen for name, screen in SCREENS.items()}
    DEFAULT_MODE: ClassVar[str] = "overview"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("question_mark", "keys", "Keys", key_display="?"),
        Binding("f1", "keys", "Keys", show=False),
        Binding("q", "quit", "Quit"),
        *(
            Binding(str(key), f"switch_mode('{name}')", screen.TITLE, group=SCREEN_KEYS)
            for key, (name, screen) in enumerate(SCREENS.items(), start=1)
        ),
        Binding("t", "rewind", "Rewind", tooltip="show every screen as of a time; t again: live"),
        Binding("left_square_bracket", "step(-1)", "Step back", key_display="[", group=STEP_KEYS),
        Binding(
            "right_square_bracket", "step(1)", "Step forward", key_display="]", group=STEP_KEYS
        ),
        Binding("escape", "go_back", "Back; when rewound, live", show=False),
        Binding("p", "pin_incident", "Pin incident", show=False),
        Binding("P", "unpin_incident", "Unpin incident", show=False),
        Binding("e", "export", "Export"),
        Binding("n", "annotate", "Note on the timeline", show=False),
        Binding("ctrl+c", "quit", "Quit", show=False, priority=True),
    ]

    def __init__(
        self,
        db: str | Path,
        *,
        refresh: float = 2.0,
        theme: str = "dark",
        clock: Callable[[], float] = time.time,
        secrets: Sequence[str] = (),
        remote_logs: RemoteLogs | None = None,
        rules: Sequence[Rule] = (),
        greeting: str | None = None,
        freeze_gc: bool = False,
        warm: bool = False,
        settle: float = 1.0,
    ) -> None:
        super().__init__()
        self.db = Path(db)
        """The database on view."""
        self.refresh_every = refresh
        """Seconds between two reads of the store."""
        self.clock = clock
        """Wall-clock time as the screens see it."""
        self.failure: str | None = None
        """Why the app could not start (the database cannot be read), else None."""
        self._greeting = greeting
        self._secrets = tuple(secrets)
        self._rules = tuple(rules)
        self._remote_logs = remote_logs
        if remote_logs is not None:
            self._modes["logs"] = lambda: SCREENS["logs"](remote=remote_logs)
        self._reader: StoreReader | None = None
        self._refreshing = False
        self._again = False
        self._pacing = Pacing(refresh, settle, self._read_in)
        self._next_read: Timer | None = None
        self.refreshes = 0
        """How many screen refreshes have completed (tests wait on it)."""
        self.first_frame = asyncio.Event()
        """Set once the first frame is on the terminal (the live view then starts collecting)."""
        self._came_from: list[str] = []
        """The screens left by a switch, newest last: Escape goes back through them."""
        self._rewound_at_depth = 0
        """How many screens `_came_from` held when the view was rewound from live."""
        self._quick = QuickSwitch(self, freeze_gc=freeze_gc, reads=self if warm else None)
        self.warming = self._quick.warming
        for palette in THEMES.values():
            self.register_theme(palette)
        self.theme = theme_for(theme).name

    @property
    def reader(self) -> StoreReader:
        """The open read connections (available once the app is mounted)."""
        if self._reader is None:
            raise RuntimeError("the app has not opened its database yet")
        return self._reader

    @property
    def refreshing(self) -> bool:
        """Whether a read of the store is in progress."""
        return self._refreshing

    async def on_mount(self) -> None:
        """Open the database and read it for the screen on view."""
        self.call_after_refresh(self.first_frame.set)
        try:
            self._reader = await StoreReader.open(
                self.db, clock=self.clock, rules=self._rules, redact=Redactor(self._secrets)
            )
        except Exception as exc:  # reported by the command line as one line
            self.failure = str(exc)
            self.exit(return_code=1)
            return
        self.refresh_now()
        if self._greeting:
            self.notify(self._greeting, title="wootwatch", timeout=GREETING_SECONDS, markup=False)

    async def on_unmount(self) -> None:
        """Close the read connections and the CloudWatch searchers."""
        if self._remote_logs is not None:
            await self._remote_logs.aclose()
        if self._reader is not None:
            await self._reader.aclose()

    # ------------------------------------------------------------------ refresh

    def refresh_now(self, *, again: bool = False) -> None:
        """Read the store for the screen on view, unless a read is still running.

        Args:
            again: if a read is running, read once more when it ends (what it
                read is out of date: the view was rewound meanwhile).
        """
        if self._reader is None:
            return
        if self._refreshing:
            self._again = self._again or again
            return
        self._refreshing = True
        self._refresh_screen()

    def written(self) -> None:
        """The collectors of this process committed a write: read it once their burst settles."""
        self.call_later(self._pacing.wrote)

    def _read_in(self, delay: float) -> None:
        if self._next_read is not None:
            self._next_read.stop()
        self._next_read = self.set_timer(delay, partial(self.refresh_now, again=True))

    @work(group="refresh", exit_on_error=False, description="read the store")
    async def _refresh_screen(self) -> None:
        try:
            while True:
                self._again = False
                self._pacing.read()
                screen = self.screen
                if isinstance(screen, LiveScreen):
                    async with self.reader.refreshing():
                        await screen.refresh_from(self.reader)
                    self.refreshes += 1
                if screen is self.screen:
                    self._quick.drawn(screen)
                if not self._again:
                    break
        finally:
            self._refreshing = False

    @on(Worker.StateChanged)
    def _worker_failed(self, event: Worker.StateChanged) -> None:
        """One place for background errors: a notification, never a dead app."""
        if event.state is WorkerState.ERROR and event.worker.error is not None:
            error = event.worker.error
            self.notify(
                inert(f"{event.worker.description}: {type(error).__name__}: {error}"),
                title="Background task failed",
                severity="error",
                markup=False,
            )

    def delay_update(self, delay: float = 0.05) -> None:
        """Hold a transition's frames until the screen has drawn its read, `delay` s at most."""
        self._quick.hold(delay)

    # ------------------------------------------------------------------ navigation

    def switch_mode(self, mode: str) -> AwaitMount:
        """Switch to the screen `mode`, remembering the one left for Escape."""
        if mode != self.current_mode:
            self._came_from.append(self.current_mode)
            del self._came_from[:-BACK_DEPTH]
        return super().switch_mode(mode)

    def action_go_back(self) -> None:
        """Back to the screen before this one; when rewound and none was left since, live."""
        rewound = self._reader is not None and self._reader.as_of is not None
        if rewound and len(self._came_from) <= self._rewound_at_depth:
            self.rewind(None)
            return
        if not self._came_from:
            return
        mode = self._came_from.pop()
        super().switch_mode(mode)

    def action_keys(self) -> None:
        """Show every key of the screen on view (from its bindings)."""
        screen = self.screen
        if isinstance(screen, KeysDialog):
            return
        title = getattr(screen, "TITLE", "") or type(screen).__name__
        self.push_screen(KeysDialog(title, key_rows(screen), REWOUND_KEYS))

    # ------------------------------------------------------------------ rewind

    def on_rewind_to(self, message: RewindTo) -> None:
        """Show every screen as of `message.moment` (None: live)."""
        self.rewind(message.moment)

    def rewind(self, moment: float | None) -> None:
        """Read every screen as of `moment` from now on; None, or a moment not past, is live."""
        reader = self.reader
        if moment is not None and moment >= self.clock():
            moment = None
        if reader.as_of is None and moment is not None:
            self._rewound_at_depth = len(self._came_from)
        reader.rewind(moment)
        self.refresh_now(again=True)

    async def action_rewind(self) -> None:
        """Ask for a moment and rewind every screen to it; when rewound, back to live."""
        reader = self.reader
        if reader.as_of is not None:
            self.rewind(None)
            self.notify("Back to live", timeout=2)
            return
        pinned = await reader.book.pinned_incident()
        self.push_screen(RewindDialog(self.clock, pinned), self._rewind_to_chosen)

    def _rewind_to_chosen(self, moment: float | None) -> None:
        if moment is not None:
            self.rewind(moment)

    def action_step(self, direction: int) -> None:
        """Move the moment on view one chart slot back (-1) or forward (+1); never past now."""
        screen = self.screen
        if not isinstance(screen, LiveScreen):
            return
        reader = self.reader
        if reader.as_of is None and direction > 0:
            self.notify("Already live: ] steps forward while rewound", timeout=2)
            return
        step = screen.rewind_step(reader.now())
        self.rewind(step_moment(reader.as_of, step, direction, self.clock()))

    # ------------------------------------------------------------------ actions

    async def action_pin_incident(self) -> None:
        """Ask when the incident began (suggesting the chosen alert's start), then pin it.

        While rewound, the moment on view is suggested: scrubbing back to where
        it began and pressing `p` pins that moment (the pin is written now).
        """
        reader = self.reader
        now = reader.now()
        screen = self.screen
        chosen = screen.chosen_alert_id() if isinstance(screen, AlertActionsScreen) else None
        alert = await reader.book.get(chosen) if chosen is not None else None
        if reader.as_of is not None:
            suggested, why = reader.as_of, "the moment on view"
        elif alert is not None:
            suggested, why = alert.started_at, f"the chosen alert #{alert.id}'s start"
        else:
            firing = [a for a in await reader.book.visible(now) if a.state is AlertState.FIRING]
            suggested = min((a.started_at for a in firing), default=now)
            why = "the first firing alert's start" if firing else "now"
        pinned = await reader.book.pinned_incident()
        self.push_screen(PinDialog(suggested, why, self.clock, pinned), self._pin)

    async def _pin(self, start: float | None) -> None:
        if start is None:
            return
        try:
            await self.reader.book.pin_incident(start, by=self.reader.user, now=self.clock())
        except AlertBookError as exc:
            self.notify(inert(str(exc)), title="Not pinned", severity="error", markup=False)
            return
        stamp = time.strftime("%H:%M:%S", time.localtime(start))
        self.notify(f"Incident start pinned at {stamp}; export uses it")
        self.refresh_now()

    async def action_unpin_incident(self) -> None:
        """Forget the pinned incident start."""
        try:
            await self.reader.book.pin_incident(None, by=self.reader.user, now=self.clock())
        except AlertBookError as exc:
            self.notify(inert(str(exc)), title="Not unpinned", severity="error", markup=False)
            return
        self.notify("Incident start unpinned")
        self.refresh_now()

    async def action_annotate(self) -> None:
        """Ask for a note and its time (the moment on view), then add it to the timeline."""
        reader = self.reader
        dialog = NoteDialog(reader.now(), await reader.book.pinned_incident(), reader.user)
        self.push_screen(dialog, self._annotate)

    async def _annotate(self, note: tuple[str, float] | None) -> None:
        if note is None:
            return
        text, moment = note
        try:
            await add_annotation(self.reader.book, ts=moment, author=self.reader.user, text=text)
        except (AlertBookError, AnnotationError) as exc:
            self.notify(inert(str(exc)), title="Note not added", severity="error", markup=False)
            return
        stamp = time.strftime("%H:%M:%S", time.localtime(moment))
        self.notify(f"Note added at {stamp}", markup=False)
        self.refresh_now()

    def action_export(self) -> None:
        """Ask where to save a snapshot of the window, then save it (the `export` command's).

        While rewound, the snapshot is as of the moment on view (`export --at`).
        """
        from tui.dialogs.export import ExportDialog  # the exporters load on the first export

        self.push_screen(
            ExportDialog(
                self.db,
                clock=self.clock,
                secrets=self._secrets,
                rules=self._rules,
                at=None if self._reader is None else self._reader.as_of,
            )
        )

    def on_show_logs(self, message: ShowLogs) -> None:
        """Switch to the logs screen and hand it the window (it says what it shows)."""
        from tui.screens.logs import LogsScreen  # a screen's module loads when it is first made

        self.switch_mode("logs")
        if isinstance(self.screen, LogsScreen):
            self.screen.show_spike(message)

    def get_system_commands(self, screen: Screen[object]) -> Iterable[SystemCommand]:
        """Screens, themes and incident actions in the command palette."""
        for key, (name, screen_class) in enumerate(SCREENS.items(), start=1):
            yield SystemCommand(
                f"Show {screen_class.TITLE}",
                f"Switch to the {screen_class.TITLE} screen (key {key})",
                lambda mode=name: self.switch_mode(mode),
            )
        for config_name, palette in THEMES.items():
            yield SystemCommand(
                f"Theme: {config_name}",
                f"Use the {config_name} colours",
                lambda theme=palette.name: setattr(self, "theme", theme),
            )
        if isinstance(screen, AlertActionsScreen):
            yield SystemCommand(
                "Acknowledge the chosen alert",
                "Acknowledge the alert under the cursor, with a note (key a)",
                screen.action_acknowledge,
            )
            yield SystemCommand(
                "Silence the chosen alert's rule",
                "Mute the rule's notifications for a while, saying why (key s)",
                screen.action_silence,
            )
            yield SystemCommand(
                "History of the chosen alert",
                "Every state change, ack and notification of the alert (key h)",
                screen.action_history,
            )
        yield SystemCommand(
            "Rewind to…",
            "Show every screen as of a time: 03:12, -25m, a date, pin (key t)",
            self._palette_rewind,
        )
        yield SystemCommand("Back to live", "Show every screen as of now (Esc)", self._live)
        yield SystemCommand(
            "Pin incident start",
            "Mark when the incident began: a typed time or the chosen alert's start (key p)",
            self.action_pin_incident,
        )
        yield SystemCommand(
            "Unpin incident start", "Forget the pinned start (key P)", self.action_unpin_incident
        )
        yield SystemCommand(
            "Add a note",
            "Put a note on the incident timeline at the moment on view (key n)",
            self.action_annotate,
        )
        yield SystemCommand(
            "Export snapshot", "Save a markdown snapshot of the window (key e)", self.action_export
        )
        yield SystemCommand("Quit", "Quit wootwatch (key q)", self.exit)

    async def _palette_rewind(self) -> None:
        if self.reader.as_of is not None:
            self.rewind(None)
        await self.action_rewind()

    def _live(self) -> None:
        self.rewind(None)
