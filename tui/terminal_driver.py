"""Textual's terminal driver, made to survive its terminal going away.

When an SSH session drops (or tmux's server is killed) the terminal closes
under the TUI: every write to it fails (EIO, EPIPE). Textual's writer thread
ends on the first failed write, its queue of 30 writes then fills, and the
next write blocks the event loop for good: the goodbye sequences Textual
writes while stopping, or simply the next frame. Signals are then never
handled, so the collectors cannot flush and only SIGKILL ends the process.

`HangupSafeDriver` writes through `GoneSafeOutput`: after the first failed
write the terminal is taken as gone and later writes are dropped, so the app
stops as it would on `q` (the SIGHUP that comes with the hangup asks it to)
and the collectors flush their pending writes before the store closes.
"""

from __future__ import annotations

import io
from typing import IO, Any, cast

from textual.app import App
from textual.drivers.linux_driver import LinuxDriver

__all__ = ["GoneSafeOutput", "HangupSafeDriver"]


class GoneSafeOutput:
    """A text stream whose writes stop, quietly, once the terminal behind it is gone."""

    def __init__(self, stream: IO[str]) -> None:
        self._stream = stream
        self.gone = False
        """True once a write or a flush has failed: the terminal is no longer there."""

    def write(self, text: str) -> int:
        """Write `text`, or drop it if the terminal is gone; its length either way."""
        if not self.gone:
            try:
                self._stream.write(text)
            except OSError:
                self.gone = True
        return len(text)

    def flush(self) -> None:
        """Flush the stream, unless the terminal is gone."""
        if not self.gone:
            try:
                self._stream.flush()
            except OSError:
                self.gone = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


class HangupSafeDriver(LinuxDriver):
    """Textual's driver for Linux and macOS terminals, writing through `GoneSafeOutput`."""

    def __init__(self, app: App[Any], **options: Any) -> None:
        super().__init__(app, **options)
        if self._file is not None:  # None only when Python runs without a stderr
            # The driver calls only write, flush and fileno, which GoneSafeOutput has.
            self._file = cast(io.TextIOWrapper, GoneSafeOutput(self._file))
