"""The one-writer lock beside a database, and the writer's health it publishes.

A writer (`wootwatch collect`, or the TUI with its collectors) holds an
advisory `flock` on `DB.writer-lock`, so a second writer fails fast and a
reader can tell whether a collector is writing now. The lock file's first
line names the holder (`pid N`); the second is the writer's `WriterHealth`
as JSON, rewritten in place while its writes fail, so every reader (an
attached TUI, `wootwatch alerts`) can say the data has stopped moving.
Nothing here needs the store itself: `wootwatch alerts` reads the health
without importing it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import fcntl
import json
import os
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from collectors.durations import format_duration
from collectors.errors import StoreError

__all__ = ["WriterHealth", "WriterLock", "writer_health"]


@dataclass(frozen=True, slots=True)
class WriterHealth:
    """How the writer of a database is doing, as every reader can see it.

    The writer publishes it beside the database (in its lock file, which
    needs no new disk space) whenever its writes start or stop failing and
    while they fail, so a TUI attached from another process, or `wootwatch
    alerts`, can say that the states they show are not being updated.
    """

    failing_since: float | None = None
    """When writes started failing (unix time); None while they succeed."""
    error: str | None = None
    """Why, in one line."""
    backlog: int = 0
    """Records waiting to be written."""
    dropped: int = 0
    """Records dropped since writes started failing (the backlog's memory bound)."""

    def describe(self, now: float) -> str | None:
        """One line for a status bar, or None when all is well."""
        if self.failing_since is None:
            return None
        since = format_duration(max(now - self.failing_since, 0.0))
        line = f"⚠ the collector cannot write this database for {since}: {self.error}"
        line += f"; {self.backlog:,} records waiting"
        if self.dropped:
            line += f", {self.dropped:,} dropped"
        return line + " (what you see is as of its last write)"


class WriterLock:
    """An advisory lock beside the database so that a second writer fails fast."""

    def __init__(self, db_path: Path) -> None:
        self._path = db_path.with_name(db_path.name + ".writer-lock")
        self._handle: IO[str] | None = None

    def acquire(self) -> None:
        """Take the lock, or fail at once naming the process that holds it.

        Raises:
            StoreError: another process writes this database.
        """
        # Read-write without O_APPEND, so that `publish` rewrites the file in place.
        handle = os.fdopen(os.open(self._path, os.O_RDWR | os.O_CREAT, 0o644), "r+")
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if not isinstance(exc, BlockingIOError):
                handle.close()
                raise
            handle.seek(0)
            holder = handle.readline().strip() or "another process"
            handle.close()
            raise StoreError(
                f"{self._path.parent / self._path.name[: -len('.writer-lock')]} is being "
                f"written by {holder}; read it with --attach instead"
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"pid {os.getpid()}\n")
        handle.flush()
        self._handle = handle

    def publish(self, health: WriterHealth) -> None:
        """Write the health after the pid line, in place (best effort: a full disk may refuse)."""
        if self._handle is None:
            return
        text = f"pid {os.getpid()}\n" + json.dumps(dataclasses.asdict(health)) + "\n"
        with contextlib.suppress(OSError):
            self._handle.seek(0)
            self._handle.write(text)
            self._handle.truncate()
            self._handle.flush()

    def read_health(self) -> WriterHealth:
        """What the writer last published (all well when it published nothing)."""
        try:
            lines = self._path.read_text(encoding="utf-8").splitlines()
            fields = json.loads(lines[1]) if len(lines) > 1 else {}
            return WriterHealth(**fields)
        except (OSError, ValueError, TypeError):
            return WriterHealth()

    def held_elsewhere(self) -> bool:
        """Whether another process holds the lock now, i.e. a collector is writing."""
        try:
            handle = self._path.open("r")
        except OSError:
            return False  # no lock file: nobody has ever written here
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return True
            fcntl.flock(handle, fcntl.LOCK_UN)
            return False

    def release(self) -> None:
        """Let the next writer in."""
        if self._handle is not None:
            fcntl.flock(self._handle, fcntl.LOCK_UN)
            self._handle.close()
            self._handle = None


def writer_health(path: Path) -> WriterHealth:
    """The health the writer of the database at `path` last published, if one is writing it."""
    lock = WriterLock(path)
    return lock.read_health() if lock.held_elsewhere() else WriterHealth()
