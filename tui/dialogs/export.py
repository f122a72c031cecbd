"""The `e` dialog: the full report or the brief, saved to a file or copied to the clipboard.

The file is written by the same code as `wootwatch export` (`tui.export.write`)
for the same window: the pinned incident start to now, else the last hour.
Enter saves the full report (a name ending in `.json` gets the JSON form, any
other the markdown); Ctrl+B saves the brief (`wootwatch export --brief`) to
the same path; Ctrl+Y copies the brief to the terminal's clipboard with OSC 52
(`App.copy_to_clipboard`), which reaches the laptop's clipboard through SSH,
and through tmux with `set-clipboard on`. A notice says where it went.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import ClassVar

from textual import on, work
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Vertical
from textual.screen import ModalScreen
from textual.widgets import Input, Static

from collectors.alerts.rules import Rule
from tui.data.reader import current_user
from tui.data.rewind import as_of_label
from tui.export.write import (
    ExportError,
    ExportFormat,
    build_export,
    current_host,
    default_filename,
    write_atomically,
)

__all__ = ["ExportDialog"]

DEFAULT_SINCE = 3600.0
"""The window when no incident start is pinned: the last hour, as `wootwatch export`."""


class ExportDialog(ModalScreen[None]):
    """Save a snapshot of the window to a file.

    | Key | Does |
    | :- | :- |
    | enter | save the full report to the path in the box |
    | ctrl+b | save the brief to the path in the box |
    | ctrl+y | copy the brief to the terminal's clipboard (OSC 52) |
    | escape | cancel |

    Args:
        db: the database to export.
        clock: wall-clock time (the end of the window).
        since: the window's length when no incident start is pinned.
        secrets: the config's secret values, masked in the export.
        rules: the rules in force, whose thresholds colour the export's figures.
        at: the moment a rewound view shows: the export is as of it (`export --at`).
    """

    DEFAULT_CSS = """
    ExportDialog {
        align: center middle;
    }
    ExportDialog > Vertical {
        width: 90;
        max-width: 100%;
        height: auto;
        border: round $primary;
        background: $surface;
        padding: 1 2;
    }
    ExportDialog .export-hint {
        color: $text-muted;
    }
    """

    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("escape", "cancel", "Cancel"),
        Binding("ctrl+b", "save_brief", "Save brief"),
        Binding("ctrl+y", "copy_brief", "Copy brief"),
    ]

    def __init__(
        self,
        db: Path,
        *,
        clock: Callable[[], float] = time.time,
        since: float = DEFAULT_SINCE,
        secrets: Sequence[str] = (),
        rules: Sequence[Rule] = (),
        at: float | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._db = db
        self._clock = clock
        self._since = since
        self._secrets = tuple(secrets)
        self._rules = tuple(rules)
        self._at = at

    def compose(self) -> ComposeResult:
        """A line saying what is saved, the path box, the keys."""
        with Vertical():
            as_of = "" if self._at is None else f", {as_of_label(self._at, self._clock())},"
            yield Static(
                f"Save a snapshot{as_of} of the pinned incident (else the last hour) as "
                "markdown (.json: JSON) to:",
                markup=False,
            )
            yield Input(value=default_filename(self._clock()), id="export-path")
            yield Static(
                "Enter saves the full report · Ctrl+B saves the brief for a chat channel · "
                "Ctrl+Y copies the brief to your clipboard (OSC 52, works over SSH) · "
                "Escape cancels",
                classes="export-hint",
                markup=False,
            )

    def action_cancel(self) -> None:
        """Close without saving."""
        self.dismiss(None)

    @on(Input.Submitted, "#export-path")
    def _submitted(self, event: Input.Submitted) -> None:
        path = self._path()
        self._save(path, "json" if path.suffix.lower() == ".json" else "markdown")

    def action_save_brief(self) -> None:
        """Save the brief to the path in the box."""
        self._save(self._path(), "brief")

    def action_copy_brief(self) -> None:
        """Copy the brief to the terminal's clipboard."""
        self._copy()

    def _path(self) -> Path:
        name = self.query_one("#export-path", Input).value.strip()
        return Path(name or default_filename(self._clock())).expanduser()

    async def _build(self, fmt: ExportFormat) -> str:
        return await build_export(
            self._db,
            now=self._clock(),
            since=self._since,
            user=current_user(),
            host=current_host(),
            fmt=fmt,
            secrets=self._secrets,
            rules=self._rules,
            at=self._at,
        )

    @work(exclusive=True, group="export", exit_on_error=False, description="export a snapshot")
    async def _save(self, path: Path, fmt: ExportFormat) -> None:
        try:
            text = await self._build(fmt)
            written = await asyncio.to_thread(write_atomically, path, text)
        except ExportError as exc:
            self.notify(str(exc), title="Not exported", severity="error", markup=False)
            return
        what = "Brief" if fmt == "brief" else "Snapshot"
        self.notify(f"{what} saved to {written}", title="Exported", markup=False)
        self.dismiss(None)

    @work(exclusive=True, group="export", exit_on_error=False, description="copy the brief")
    async def _copy(self) -> None:
        try:
            text = await self._build("brief")
        except ExportError as exc:
            self.notify(str(exc), title="Not copied", severity="error", markup=False)
            return
        self.app.copy_to_clipboard(text)
        self.notify(
            f"Brief ({len(text.splitlines())} lines) sent to your terminal's clipboard with "
            "OSC 52: paste it in the incident channel. Over SSH it reaches your laptop; in tmux "
            "it needs `set -g set-clipboard on`; a terminal that ignores OSC 52 gets nothing.",
            title="Copied",
            markup=False,
        )
        self.dismiss(None)
