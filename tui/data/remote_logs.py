"""CloudWatch filter-pattern searches for the logs screen, through a searcher it is handed.

The logs screen searches the local cache (FTS5) by default. A CloudWatch
filter pattern reaches what the cache does not hold: an older range, or lines
the tail's own `filter_pattern` left out. The AWS calls are the collectors'
(`collectors.cloudwatch_logs.LogGroupSearch`, built by the live view from the
config's sources): `RemoteLogs` sees them only through the narrow
`LogSearcher` protocol, so nothing the screens import reaches boto3.

Contract:

* `search` never blocks the event loop (the searcher runs boto3 in its own
  threads); the screen still runs it in a worker so typing goes on meanwhile.
* A source that fails is named in `RemoteResult.problems` with a one-line
  message (never a credential); the others' lines still come back.
* The lines come back with secrets masked by the given `Redactor` (the
  config's), as the log cache's lines do through `StoreReader`.
* Whoever builds a `RemoteLogs` closes it with `aclose`.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Protocol

from collectors.base import LogEvent
from tui.export.redaction import Redactor

__all__ = ["NO_REMOTE", "LogSearcher", "RemoteLine", "RemoteLogs", "RemoteResult"]

NO_REMOTE = "CloudWatch search needs a cloudwatch_logs source in the config"
"""What the screen says when there is no source to search."""


class LogSearcher(Protocol):
    """What the TUI needs of a CloudWatch search: `collectors.cloudwatch_logs.LogGroupSearch`."""

    @property
    def available(self) -> bool:
        """Whether there is any source to search."""
        ...

    async def search(
        self, pattern: str, start: float, end: float, *, limit: int = 500
    ) -> tuple[list[tuple[str, LogEvent]], list[str]]:
        """`(source, line)` pairs newest first, at most `limit`, and `source: why` failures."""
        ...

    async def aclose(self) -> None:
        """Release the searcher's clients and threads."""
        ...


@dataclass(frozen=True, slots=True)
class RemoteLine:
    """A line found in CloudWatch, with the source that found it."""

    source: str
    event: LogEvent


@dataclass(frozen=True, slots=True)
class RemoteResult:
    """What a remote search found."""

    lines: tuple[RemoteLine, ...]
    """Newest first, at most the limit asked for."""
    problems: tuple[str, ...] = ()
    """`source: why` for every source that could not be searched."""


class RemoteLogs:
    """CloudWatch pattern searches with their lines masked, for the logs screen.

    Args:
        searcher: runs the searches (the collectors' `LogGroupSearch`).
        redact: masks secrets in the lines found (default: the usual shapes only).
    """

    def __init__(self, searcher: LogSearcher, *, redact: Redactor | None = None) -> None:
        self._searcher = searcher
        self._redact = redact or Redactor()

    @property
    def available(self) -> bool:
        """Whether there is any source to search."""
        return self._searcher.available

    async def search(
        self, pattern: str, start: float, end: float, *, limit: int = 500
    ) -> RemoteResult:
        """Lines matching a CloudWatch filter pattern in `[start, end)`, newest first."""
        lines, problems = await self._searcher.search(pattern, start, end, limit=limit)
        found = tuple(RemoteLine(source, self._masked(event)) for source, event in lines)
        return RemoteResult(found, tuple(problems))

    def _masked(self, event: LogEvent) -> LogEvent:
        redact = self._redact
        return dataclasses.replace(
            event,
            message=redact(event.message),
            group=redact(event.group),
            stream=redact(event.stream),
        )

    async def aclose(self) -> None:
        """Release the searcher."""
        await self._searcher.aclose()
