"""Stopping a long-running command cleanly on SIGINT, SIGTERM or SIGHUP."""

from __future__ import annotations

import asyncio
import signal
import sys
from typing import Any

from collectors.durations import format_duration
from collectors.scheduler import FLUSH_TIMEOUT

__all__ = ["Shutdown"]

_STOP_SIGNALS = (signal.SIGINT, signal.SIGTERM, signal.SIGHUP)
"""Ctrl-C, kill, and a dropped SSH session: each stops the command after a flush."""


class Shutdown:
    """SIGINT, SIGTERM and SIGHUP for the whole life of a command.

    The first signal asks to stop. Handlers stay installed while pending writes
    are flushed, so a second Ctrl-C says to wait instead of cutting the flush.
    """

    def __init__(self) -> None:
        self._requested = asyncio.Event()

    def __enter__(self) -> Shutdown:
        loop = asyncio.get_running_loop()
        for sig in _STOP_SIGNALS:
            loop.add_signal_handler(sig, self._on_signal)
        return self

    def __exit__(self, *exc_info: object) -> None:
        loop = asyncio.get_running_loop()
        for sig in _STOP_SIGNALS:
            loop.remove_signal_handler(sig)

    def flushing(self) -> None:
        """From now on every signal is a second one: it is told to wait for the flush."""
        self._requested.set()

    def _on_signal(self) -> None:
        if self._requested.is_set():
            print(
                "wootwatch: still flushing pending writes (at most "
                f"{format_duration(FLUSH_TIMEOUT)}); a moment…",
                file=sys.stderr,
            )
        self._requested.set()

    async def wait(self, *tasks: asyncio.Task[Any]) -> None:
        """Return on a signal, or when a task ends on its own (re-raising its error)."""
        waiter = asyncio.create_task(self._requested.wait())
        try:
            await asyncio.wait([waiter, *tasks], return_when=asyncio.FIRST_COMPLETED)
        finally:
            waiter.cancel()
        for task in tasks:
            if task.done() and not task.cancelled() and task.exception() is not None:
                raise task.exception()  # type: ignore[misc]
