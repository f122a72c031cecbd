"""CloudWatch Logs: matching lines of some log groups, tailed into the store's FTS5 cache.

Contract:

* Per log group, FilterLogEvents with the configured `filter_pattern`
  (CloudWatch's syntax, passed through as written), tailed incrementally:
  each poll starts at the newest event time seen minus `overlap` (the first
  poll `backfill` back), pages with `nextToken` up to `max_pages`, and drops
  event ids it has already returned. The store de-duplicates by event id too,
  so a restart re-reads the overlap without doubling lines.
* Each line becomes a `LogEvent` with its group, stream, time, event id and a
  level parsed from the text when recognisable (`parse_level`). The poll also
  writes `logs.lines_per_min` (level): matching lines per minute since the
  previous poll.
* Log groups are read concurrently through the source's AWS thread pool.
  One group that is missing or throttled is skipped (and named in the note);
  a throttled group waits before it is read again, longer each time. When
  every group failed, or credentials are expired or missing, or the endpoint
  is down, the poll raises `AwsError` and the source shows why.
* `search_remote` runs a CloudWatch pattern over any time range (for what the
  cache does not hold); its caller writes the results as a `SourceBatch` of this
  source to cache them like tailed lines; `LogGroupSearch` runs one pattern over
  several sources at once (the logs screen's CloudWatch search, which the TUI is
  handed ready-made);
  `log_groups` lists the region's log groups (DescribeLogGroups) for the logs
  screen.

Sample config:

```yaml
sources:
  - type: cloudwatch_logs
    name: web-logs
    region: us-east-1
    profile: chatscomm          # optional; else the default credential chain
    log_groups: [/aws/ecs/chatscomm-chatwoot-prod-web, /aws/ecs/chatscomm-chatwoot-prod-worker]
    filter_pattern: "?ERROR ?timeout ?ActiveStorage"
    interval: 15s
    overlap: 1m                 # re-read this much before the newest line seen
    backfill: 15m               # history read on the first poll
```
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Literal

from pydantic import Field

from collectors.aws import AwsCollector, AwsError, AwsProblem, AwsSourceConfig, boto3_session
from collectors.base import Duration, LogEvent, Record, Sample, SourceConfig, format_duration

__all__ = [
    "COLLECTOR",
    "CloudWatchLogsCollector",
    "CloudWatchLogsConfig",
    "LogGroupInfo",
    "LogGroupSearch",
    "parse_level",
    "parse_log_events",
]

_LEVEL_WORDS: Final = {
    "FATAL": "error",
    "CRITICAL": "error",
    "PANIC": "error",
    "ERROR": "error",
    "ERR": "error",
    "WARN": "warning",
    "WARNING": "warning",
    "INFO": "info",
    "NOTICE": "info",
    "LOG": "info",
    "DEBUG": "debug",
    "TRACE": "debug",
}
_LEVEL_TOKEN: Final = re.compile(
    r"(?<![A-Za-z0-9_])(FATAL|CRITICAL|PANIC|ERROR|ERR|WARNING|WARN|INFO|NOTICE|DEBUG|TRACE)"
    r"(?![A-Za-z0-9_])|(?<![A-Za-z0-9_])LOG(?=:)"
)
_LEVEL_JSON: Final = re.compile(
    r'"(?:level|severity|levelname|log_level)"\s*:\s*"([A-Za-z]+)"', re.IGNORECASE
)
_RAILS_PREFIX: Final = re.compile(r"^([FEWID]), \[")
_RAILS_LETTER: Final = {"F": "error", "E": "error", "W": "warning", "I": "info", "D": "debug"}
_LEVEL_SCAN: Final = 200
"""Characters at the start of a line searched for a level word."""
_SEEN_LIMIT: Final = 200_000


def parse_level(message: str) -> str:
    """The level of a log line when recognisable: `error`, `warning`, `info`, `debug` or ``.

    Recognised: a JSON `"level"`/`"severity"` field, a Rails logger prefix
    (`E, [2025-08-21T23:01:02 #1] ERROR -- :`), and an upper-case level word
    (`ERROR`, `WARN`, `INFO`, ..., PostgreSQL's `LOG:`) in the first 200 characters.
    """
    head = message[:_LEVEL_SCAN]
    found = _LEVEL_JSON.search(head)
    if found is not None:
        return _LEVEL_WORDS.get(found.group(1).upper(), "")
    rails = _RAILS_PREFIX.match(head)
    if rails is not None:
        return _RAILS_LETTER[rails.group(1)]
    token = _LEVEL_TOKEN.search(head)
    if token is not None:
        return _LEVEL_WORDS[token.group(1) or "LOG"]
    return ""


def parse_log_events(response: Mapping[str, Any], group: str) -> list[LogEvent]:
    """The events of one FilterLogEvents page as `LogEvent`s of `group`."""
    events: list[LogEvent] = []
    for event in response.get("events", ()):
        message = event.get("message")
        stamp = event.get("timestamp")
        if not isinstance(message, str) or not isinstance(stamp, int | float):
            continue
        event_id = event.get("eventId")
        events.append(
            LogEvent(
                ts=stamp / 1000.0,
                message=message,
                group=group,
                stream=str(event.get("logStreamName", "")),
                level=parse_level(message),
                event_id=str(event_id) if event_id is not None else None,
            )
        )
    return events


class CloudWatchLogsConfig(AwsSourceConfig):
    """Matching lines of CloudWatch log groups, tailed into the local cache."""

    series_prefixes: ClassVar[tuple[str, ...]] = ("logs.",)
    type: Literal["cloudwatch_logs"] = "cloudwatch_logs"
    interval: Duration = 15.0
    log_groups: list[str] = Field(min_length=1)
    """Log group names, e.g. `/aws/ecs/chatscomm-chatwoot-prod-web`."""
    filter_pattern: str = ""
    """CloudWatch filter pattern, passed through as written; empty means every line."""
    overlap: Duration = Field(default=60.0, le=3600.0)
    """Each poll re-reads this much before the newest line seen (late-arriving lines)."""
    backfill: Duration = Field(default=900.0, le=7 * 86400.0)
    """History read on the first poll."""
    page_size: int = Field(default=1000, ge=1, le=10000)
    """Events per FilterLogEvents page."""
    max_pages: int = Field(default=10, ge=1, le=1000)
    """Pages read per group per poll; the rest follows on the next poll."""


@dataclass(frozen=True, slots=True)
class LogGroupInfo:
    """A log group as DescribeLogGroups lists it."""

    name: str
    stored_bytes: int
    retention_days: int | None
    created: float | None


@dataclass(slots=True)
class _Tail:
    """Where the tail of one log group stands."""

    newest_ms: int | None = None
    seen: dict[str, int] = field(default_factory=dict)
    """Event ids returned within the overlap, with their times."""
    retry_at: float = 0.0
    """Monotonic time before which a throttled group is not read."""
    throttled: int = 0


@dataclass(slots=True)
class _GroupRead:
    events: list[LogEvent]
    tail: _Tail


class CloudWatchLogsCollector(AwsCollector[CloudWatchLogsConfig]):
    """Tails the matching lines of the configured log groups."""

    config_model: ClassVar[type[SourceConfig]] = CloudWatchLogsConfig
    service: ClassVar[str] = "logs"

    def _prepare(self) -> None:
        self._tails = {group: _Tail() for group in self._config.log_groups}
        self._last_poll: float | None = None

    async def collect(self) -> list[Record]:
        """Read new matching lines of every group; return them and their rates."""
        now = self._clock()
        due = [g for g, tail in self._tails.items() if tail.retry_at <= time.monotonic()]
        waiting = [g for g in self._tails if g not in due]
        outcomes = await asyncio.gather(
            *(self._read_group(group, now) for group in due), return_exceptions=True
        )
        records: list[Record] = []
        problems: list[tuple[str, AwsError]] = []
        for group, outcome in zip(due, outcomes, strict=True):
            if isinstance(outcome, AwsError):
                problems.append((group, outcome))
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                records.extend(outcome.events)
                self._tails[group] = outcome.tail
        for group, error in problems:
            if error.problem in (AwsProblem.CREDENTIALS, AwsProblem.UNREACHABLE):
                raise error
            if error.problem is AwsProblem.THROTTLED:
                tail = self._tails[group]
                tail.throttled += 1
                tail.retry_at = time.monotonic() + (error.retry_after or self._config.interval)
        if problems and len(problems) == len(due):
            raise _first_throttled(problems)
        if not due:
            wait = min(t.retry_at for t in self._tails.values()) - time.monotonic()
            pause = format_duration(max(wait, 1.0))
            raise AwsError(
                f"throttled by AWS on logs:FilterLogEvents; backing off {pause}",
                AwsProblem.THROTTLED,
                retry_after=max(wait, 1.0),
            )
        for group in due:
            if group not in {g for g, _ in problems}:
                self._tails[group].throttled = 0
        notes = [f"{group}: {error}" for group, error in problems]
        notes += [f"{group}: backing off after throttling" for group in waiting]
        self._notes = "; ".join(notes) or None
        records.extend(self._rates(records, now))
        self._last_poll = now
        return records

    def _rates(self, records: Sequence[Record], now: float) -> list[Sample]:
        if self._last_poll is None:
            return []
        minutes = max(now - self._last_poll, 1.0) / 60
        counts = Counter(r.level or "unknown" for r in records if isinstance(r, LogEvent))
        return [
            Sample(
                "logs.lines_per_min", counts.get(level, 0) / minutes, now, {"level": level}, "count"
            )
            for level in ("error", "warning", "info", "debug", "unknown")
        ]

    async def _read_group(self, group: str, now: float) -> _GroupRead:
        old = self._tails[group]
        config = self._config
        if old.newest_ms is None:
            start_ms = int((now - config.backfill) * 1000)
        else:
            start_ms = old.newest_ms - int(config.overlap * 1000)
        tail = _Tail(old.newest_ms, dict(old.seen), old.retry_at, old.throttled)
        events: list[LogEvent] = []
        token: str | None = None
        for _ in range(config.max_pages):
            page = await self._filter(group, start_ms, None, config.filter_pattern, token)
            for event in parse_log_events(page, group):
                key = event.event_id or f"{event.ts}:{event.stream}:{event.message}"
                if key in tail.seen:
                    continue
                stamp = round(event.ts * 1000)
                tail.seen[key] = stamp
                tail.newest_ms = stamp if tail.newest_ms is None else max(tail.newest_ms, stamp)
                events.append(event)
            token = page.get("nextToken")
            if not token:
                break
        if tail.newest_ms is not None:
            horizon = tail.newest_ms - int(config.overlap * 1000)
            tail.seen = {k: v for k, v in tail.seen.items() if v >= horizon}
            if len(tail.seen) > _SEEN_LIMIT:  # a burst inside one overlap: keep the newest
                newest = sorted(tail.seen.items(), key=lambda kv: kv[1])[-_SEEN_LIMIT:]
                tail.seen = dict(newest)
        return _GroupRead(events, tail)

    async def _filter(
        self, group: str, start_ms: int, end_ms: int | None, pattern: str, token: str | None
    ) -> Mapping[str, Any]:
        params: dict[str, Any] = {
            "logGroupName": group,
            "startTime": start_ms,
            "limit": self._config.page_size,
        }
        if end_ms is not None:
            params["endTime"] = end_ms
        if pattern:
            params["filterPattern"] = pattern
        if token:
            params["nextToken"] = token
        response: Mapping[str, Any] = await self._aws.call(
            "filter_log_events", "logs:FilterLogEvents", **params
        )
        return response

    async def search_remote(
        self,
        pattern: str,
        start: float,
        end: float,
        *,
        groups: Sequence[str] | None = None,
        limit: int = 1000,
    ) -> list[LogEvent]:
        """Lines matching a CloudWatch pattern in `[start, end)`, newest first.

        Args:
            pattern: CloudWatch filter pattern, passed through.
            start: unix time of the range's start.
            end: unix time of its end.
            groups: log groups to search; default the configured ones.
            limit: most lines returned per group.

        Raises:
            AwsError: a group could not be searched.
        """
        found: list[LogEvent] = []
        for group in groups or self._config.log_groups:
            token: str | None = None
            taken = 0
            while taken < limit:
                page = await self._filter(
                    group, int(start * 1000), int(end * 1000) - 1, pattern, token
                )
                events = parse_log_events(page, group)[: limit - taken]
                found.extend(events)
                taken += len(events)
                token = page.get("nextToken")
                if not token:
                    break
        found.sort(key=lambda e: e.ts, reverse=True)
        return found

    async def log_groups(
        self, prefix: str | None = None, *, limit: int = 1000
    ) -> list[LogGroupInfo]:
        """The region's log groups (DescribeLogGroups), by name, optionally by prefix."""
        groups: list[LogGroupInfo] = []
        token: str | None = None
        while len(groups) < limit:
            params: dict[str, Any] = {"limit": 50}
            if prefix:
                params["logGroupNamePrefix"] = prefix
            if token:
                params["nextToken"] = token
            page = await self._aws.call("describe_log_groups", "logs:DescribeLogGroups", **params)
            for entry in page.get("logGroups", ()):
                created = entry.get("creationTime")
                groups.append(
                    LogGroupInfo(
                        name=str(entry.get("logGroupName", "")),
                        stored_bytes=int(entry.get("storedBytes", 0) or 0),
                        retention_days=entry.get("retentionInDays"),
                        created=created / 1000.0 if isinstance(created, int | float) else None,
                    )
                )
            token = page.get("nextToken")
            if not token:
                break
        return groups[:limit]


def _first_throttled(problems: Sequence[tuple[str, AwsError]]) -> AwsError:
    for _, error in problems:
        if error.problem is AwsProblem.THROTTLED:
            return error
    return problems[0][1]


class LogGroupSearch:
    """One CloudWatch filter pattern over the log groups of several `cloudwatch_logs` sources.

    Each source has its own searcher (its own boto3 client and thread pool,
    apart from the scheduler's); a search runs them concurrently.

    Args:
        searchers: source name and its collector, one per source.
    """

    def __init__(self, searchers: Sequence[tuple[str, CloudWatchLogsCollector]]) -> None:
        self._searchers = list(searchers)

    @classmethod
    def from_config(
        cls, sources: Iterable[SourceConfig], *, session_factory: Callable[..., Any] = boto3_session
    ) -> LogGroupSearch:
        """One searcher per enabled `cloudwatch_logs` source of `sources`."""
        return cls(
            [
                (source.name, CloudWatchLogsCollector(source, session_factory=session_factory))
                for source in sources
                if isinstance(source, CloudWatchLogsConfig) and source.enabled
            ]
        )

    @property
    def available(self) -> bool:
        """Whether there is any source to search."""
        return bool(self._searchers)

    async def search(
        self, pattern: str, start: float, end: float, *, limit: int = 500
    ) -> tuple[list[tuple[str, LogEvent]], list[str]]:
        """Lines matching `pattern` in `[start, end)`, newest first, and what failed.

        Returns:
            `(source, line)` pairs, at most `limit`, and a `source: why` for
            every source that could not be searched (the one-line `AwsError`).
        """
        outcomes = await asyncio.gather(
            *(
                searcher.search_remote(pattern, start, end, limit=limit)
                for _, searcher in self._searchers
            ),
            return_exceptions=True,
        )
        lines: list[tuple[str, LogEvent]] = []
        problems: list[str] = []
        for (name, _), outcome in zip(self._searchers, outcomes, strict=True):
            if isinstance(outcome, AwsError):
                problems.append(f"{name}: {outcome}")
            elif isinstance(outcome, BaseException):
                raise outcome
            else:
                lines.extend((name, event) for event in outcome)
        lines.sort(key=lambda line: line[1].ts, reverse=True)
        return lines[:limit], problems

    async def aclose(self) -> None:
        """Stop every searcher's thread pool."""
        for _, searcher in self._searchers:
            await searcher.aclose()


COLLECTOR = CloudWatchLogsCollector
"""The registry entry of this source."""
