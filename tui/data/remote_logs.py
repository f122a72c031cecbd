"""CloudWatch filter-pattern searches for the logs screen, through the config's log sources.

The logs screen searches the local cache (FTS5) by default. A CloudWatch
filter pattern reaches what the cache does not hold: an older range, or lines
the tail's own `filter_pattern` left out. `RemoteLogs` keeps one
`CloudWatchLogsCollector` per enabled `cloudwatch_logs` source of the config
(its own boto3 client and thread pool, apart from the scheduler's) and runs
their `search_remote` concurrently.

Contract:

* `search` never blocks the event loop (boto3 runs in the collectors'
  threads); the screen still runs it in a worker so typing goes on meanwhile.
* A source that fails is named in `RemoteResult.problems` with the one-line
  `AwsError` message (never a credential); the others' lines still come back.
* The lines come back with secrets masked by the given `Redactor` (the
  config's), as the log cache's lines do through `StoreReader`.
* Whoever builds a `RemoteLogs` closes it with `aclose`.
"""

from __future__ import annotations

import asyncio
import dataclasses
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from collectors.aws import AwsError, boto3_session
from collectors.base import LogEvent, SourceConfig
from collectors.cloudwatch_logs import CloudWatchLogsCollector, CloudWatchLogsConfig
from tui.export.redaction import Redactor

__all__ = ["NO_REMOTE", "RemoteLine", "RemoteLogs", "RemoteResult"]

NO_REMOTE = "CloudWatch search needs a cloudwatch_logs source in the config"
"""What the screen says when there is no source to search."""


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
    """CloudWatch pattern searches over the log groups of some `cloudwatch_logs` sources.

    Args:
        searchers: source name and its collector, one per source.
        redact: masks secrets in the lines found (default: the usual shapes only).
    """

    def __init__(
        self,
        searchers: Sequence[tuple[str, CloudWatchLogsCollector]],
        *,
        redact: Redactor | None = None,
    ) -> None:
        self._searchers = list(searchers)
        self._redact = redact or Redactor()

    @classmethod
    def from_config(
        cls,
        sources: Iterable[SourceConfig],
        *,
        session_factory: Callable[..., Any] = boto3_session,
        redact: Redactor | None = None,
    ) -> RemoteLogs:
        """One searcher per enabled `cloudwatch_logs` source of `sources`."""
        return cls(
            [
                (source.name, CloudWatchLogsCollector(source, session_factory=session_factory))
                for source in sources
                if isinstance(source, CloudWatchLogsConfig) and source.enabled
            ],
            redact=redact,
        )

    @property
    def available(self) -> bool:
        """Whether there is any source to search."""
        return bool(self._searchers)

    async def search(
        self, pattern: str, start: float, end: float, *, limit: int = 500
    ) -> RemoteResult:
        """Lines matching a CloudWatch filter pattern in `[start, end)`, newest first."""
        outcomes = await asyncio.gather(
            *(
                searcher.search_remote(pattern, start, end, limit=limit)
                for _, searcher in self._searchers
            ),
            return_exceptions=True,
        )
        lines: list[RemoteLine] = []
        problems: list[str] = []
        for (name, _), outcome in zip(self._searchers, outcomes, strict=True):
            if isinstance(outcome, AwsError):
                problems.append(f"{name}: {outcome}")
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                lines.extend(RemoteLine(name, self._masked(event)) for event in outcome)
        lines.sort(key=lambda line: line.event.ts, reverse=True)
        return RemoteResult(tuple(lines[:limit]), tuple(problems))

    def _masked(self, event: LogEvent) -> LogEvent:
        redact = self._redact
        return dataclasses.replace(
            event,
            message=redact(event.message),
            group=redact(event.group),
            stream=redact(event.stream),
        )

    async def aclose(self) -> None:
        """Stop every searcher's thread pool."""
        for _, searcher in self._searchers:
            await searcher.aclose()
