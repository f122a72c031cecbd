"""The live view of `wootwatch`, `--demo` and `--attach`: the TUI on a terminal, else the summary.

When stdin and stdout are a terminal the view is `WootwatchApp`, which owns the screen
until it ends: on `q` or Ctrl-C, or when `stop` asks it to (SIGTERM), it
leaves the alternate screen and gives the terminal back as it found it.
Otherwise (output to a pipe or a file, or no keyboard to quit the TUI with)
the view is the plain summary of `tui.console`, which a signal ends.

How the view ended is for the command line to report: a database the app
cannot read raises `StoreError` (one line, exit 1), and an unexpected error
inside the app raises `ViewCrashed` once its traceback is in the crash report,
never on the terminal.
"""

from __future__ import annotations

import asyncio
import io
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any, TextIO

from rich.console import Console
from textual.app import App

from collectors.alerts.notify import Terminal
from collectors.alerts.rules import Rule
from collectors.base import SourceConfig
from collectors.cloudwatch_logs import LogGroupSearch
from collectors.store.database import Store, StoreError
from tui.app import WootwatchApp
from tui.console import run_summary
from tui.data.remote_logs import RemoteLogs
from tui.export.redaction import Redactor
from tui.terminal_driver import HangupSafeDriver

__all__ = ["AppBell", "LiveView", "ViewCrashed", "can_run_tui"]

_STOP_TIMEOUT = 5.0
"""Seconds the app gets to restore the terminal once asked to stop."""


def can_run_tui(out: TextIO) -> bool:
    """Whether the view on `out` is the TUI: it and stdin (the keys) are a terminal."""
    return out.isatty() and sys.stdin.isatty()


class ViewCrashed(Exception):
    """The TUI stopped on an unexpected error; its traceback is in the crash report."""


class LiveView:
    """The live view of one database, from `start` until it ends or `stop` is awaited.

    Args:
        store: the open database (the collectors' writer, or a reader when attached).
        refresh: seconds between two reads of the store.
        theme: the TUI's theme.
        crash_report: where an unexpected error's traceback goes.
        out: the output; the TUI runs only if it and stdin are a terminal.
        secrets: the config's secret values, masked on the screens and in exports.
        sources: the configured sources (the logs screen searches CloudWatch through them).
        rules: the alert rules in force (which series a firing alert is about).
        greeting: the TUI's first notice (the demo's database path), if any.
    """

    def __init__(
        self,
        store: Store,
        *,
        refresh: float,
        theme: str,
        crash_report: Path,
        out: TextIO | None = None,
        secrets: Sequence[str] = (),
        sources: Sequence[SourceConfig] = (),
        rules: Sequence[Rule] = (),
        greeting: str | None = None,
    ) -> None:
        self._store = store
        self._refresh = refresh
        self._out = sys.stdout if out is None else out
        self._crash_report = crash_report
        self._errors = io.StringIO()
        self._task: asyncio.Task[None] | None = None
        self._redact = Redactor(secrets)
        self.app: WootwatchApp | None = None
        """The TUI, or None when the view is the plain summary."""
        if can_run_tui(self._out):
            self.app = WootwatchApp(
                store.path,
                refresh=refresh,
                theme=theme,
                secrets=secrets,
                remote_logs=RemoteLogs(LogGroupSearch.from_config(sources), redact=self._redact),
                rules=rules,
                greeting=greeting,
                freeze_gc=True,
                warm=True,
            )
            self.app.driver_class = HangupSafeDriver  # a dropped SSH session ends it cleanly
            # Textual prints an unexpected error's traceback (with local values)
            # on the terminal; it belongs in the crash report.
            self.app.error_console = Console(
                file=self._errors, width=120, markup=False, highlight=False
            )

    @property
    def terminal(self) -> Terminal:
        """Where a bell goes: through the TUI while it owns the terminal, else the output."""
        return self._out if self.app is None else AppBell(self.app)

    def written(self) -> None:
        """The collectors of this process committed a write: the TUI reads it once they settle.

        The plain summary reads on its clock alone.
        """
        if self.app is not None:
            self.app.written()

    async def drawn(self) -> None:
        """Return once the view is on the terminal: the TUI's first frame; the summary at once."""
        if self.app is not None:
            await self.app.first_frame.wait()

    def start(self) -> asyncio.Task[None]:
        """Start the view; the task ends when the view does (the user quit, or it failed)."""
        if self.app is not None:
            self._task = asyncio.create_task(self.app.run_async(), name="tui")
        else:
            self._task = asyncio.create_task(
                run_summary(self._store, self._out, refresh=self._refresh, redact=self._redact),
                name="summary",
            )
        return self._task

    def raise_for_failure(self) -> None:
        """Raise if the TUI ended on an error.

        Raises:
            StoreError: the app could not read the database.
            ViewCrashed: the app stopped on an unexpected error.
        """
        app = self.app
        if app is None or self._task is None or not self._task.done():
            return
        if app.failure is not None:
            raise StoreError(app.failure)
        if app.return_code not in (None, 0):
            self._crash_report.parent.mkdir(parents=True, exist_ok=True)
            self._crash_report.write_text(self._errors.getvalue(), encoding="utf-8")
            raise ViewCrashed(f"the live view stopped; traceback in {self._crash_report}")

    async def stop(self) -> None:
        """End the view; the TUI first restores the terminal."""
        task = self._task
        if task is None:
            return
        if self.app is not None and not task.done():
            self.app.exit()
            await asyncio.wait([task], timeout=_STOP_TIMEOUT)
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)  # its errors were raised by the waiter


class AppBell(io.TextIOBase):
    """A stream for `BellWatcher` that rings the bell through the app.

    While Textual owns the terminal, a BEL written to stdout would be captured;
    the app's `bell()` reaches the terminal.
    """

    def __init__(self, app: App[Any]) -> None:
        self._app = app

    def write(self, text: str) -> int:
        """Ring once per BEL in `text`."""
        for _ in range(text.count("\a")):
            self._app.bell()
        return len(text)
