"""What every source shares: records, status, the collector protocol and the registry.

A source is one module in `collectors/` holding a pydantic config model (a
subclass of `SourceConfig` whose `type` is a `Literal`) and a collector class
that satisfies `Collector`. The module is named once in `SOURCE_MODULES`; the
config loader and the scheduler find everything else through `collector_class`
and `source_config_models`. Nothing here imports Textual.

A collector's `collect()` returns records (`Sample` and `LogEvent`) and raises
`SourceError` with a one-line reason when the whole source failed. Partial
failures (one endpoint of several) are the collector's to absorb: it returns
what it could and says why through `Collector.notes`.
"""

from __future__ import annotations

import enum
import importlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Annotated, ClassVar, Final, Protocol, runtime_checkable

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

__all__ = [
    "SOURCE_MODULES",
    "Collector",
    "Duration",
    "LogEvent",
    "Record",
    "Sample",
    "SourceConfig",
    "SourceError",
    "SourceState",
    "SourceStatus",
    "collector_class",
    "format_duration",
    "parse_duration",
    "source_config_models",
]

SOURCE_MODULES: dict[str, str] = {
    "demo": "collectors.demo",
    "chatwoot": "collectors.chatwoot",
    "cloudwatch": "collectors.cloudwatch",
    "cloudwatch_logs": "collectors.cloudwatch_logs",
    "sidekiq": "collectors.sidekiq",
    "sqs": "collectors.sqs",
    "pipeline": "collectors.pipeline",
    "json_endpoint": "collectors.json_endpoint",
}
"""Config `type` to the module that implements it: the registry. One line per source."""

_DURATION_PART = re.compile(r"(\d+(?:\.\d+)?)(ms|s|m|h|d|w)")
_UNIT_SECONDS = {"ms": 0.001, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 604800.0}


def parse_duration(text: str) -> float:
    """Parse `30s`, `5m`, `24h`, `7d`, `500ms` or `1h30m` into seconds.

    Raises:
        ValueError: for anything else, including a bare number (a unit is required,
            so `interval: 30` cannot silently mean 30 minutes to one reader and 30
            seconds to another).
    """
    compact = text.strip().replace(" ", "")
    pos, total = 0, 0.0
    for match in _DURATION_PART.finditer(compact):
        if match.start() != pos:
            break
        total += float(match.group(1)) * _UNIT_SECONDS[match.group(2)]
        pos = match.end()
    if not compact or pos != len(compact):
        raise ValueError(f"invalid duration {text!r}: use a number and a unit, like 30s, 5m, 24h")
    return total


def format_duration(seconds: float) -> str:
    """Format seconds the way config files write them: `90` -> `1m30s`, `0.5` -> `500ms`."""
    if seconds < 1:
        return f"{round(seconds * 1000)}ms"
    parts = []
    remaining = round(seconds)
    for unit, size in (("d", 86400), ("h", 3600), ("m", 60), ("s", 1)):
        count, remaining = divmod(remaining, size)
        if count:
            parts.append(f"{count}{unit}")
    return "".join(parts)


def _coerce_duration(value: object) -> object:
    if isinstance(value, str):
        return parse_duration(value)
    if isinstance(value, bool) or not isinstance(value, int | float):
        return value
    raise ValueError(f"invalid duration {value!r}: add a unit, like {value}s or {value}m")


Duration = Annotated[float, BeforeValidator(_coerce_duration), Field(gt=0)]
MIN_INTERVAL: Final = 1.0
"""The shortest poll interval a config file may give a source, in seconds.

Shorter ones kept the process busy polling and made the final flush of a
stop run every rule over a huge backlog. (Tests build sources directly and
may go below it.)"""
"""A positive duration in seconds, written in config as `30s`, `5m`, `24h`."""


class SourceConfig(BaseModel):
    """Options every source has; each source subclasses it with a `Literal` `type`."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    type: str
    """Which collector runs this source: a key of `SOURCE_MODULES`."""
    name: str = Field(min_length=1, max_length=64, pattern=r"^[A-Za-z0-9_.\-]+$")
    """Unique name of this source; it labels its rows on every screen."""
    interval: Duration = 30.0
    """How often to poll; a config file may not go below `MIN_INTERVAL`."""
    timeout: Duration | None = None
    """Longest one poll may take before it counts as failed; default min(interval, 20s)."""
    enabled: bool = True
    """Set to false to keep the entry but not run it."""

    @property
    def poll_timeout(self) -> float:
        """The per-poll deadline in seconds."""
        return self.timeout if self.timeout is not None else min(self.interval, 20.0)


@dataclass(frozen=True, slots=True)
class Sample:
    """One numeric observation of a series at a time."""

    series: str
    """Dotted series name, e.g. `chatwoot.api.latency_ms`."""
    value: float
    ts: float
    """Unix time in seconds."""
    labels: Mapping[str, str] = field(default_factory=dict)
    """Dimensions that split a series, e.g. `{"endpoint": "conversations"}`."""
    unit: str = ""
    """Unit of `value`: `ms`, `s`, `%`, `count`, `bytes` or empty."""


@dataclass(frozen=True, slots=True)
class LogEvent:
    """One log line from an upstream; its text is untrusted and stored as given."""

    ts: float
    message: str
    group: str = ""
    """Log group, file or stream family it came from."""
    stream: str = ""
    level: str = ""
    """`error`, `warning`, `info`, `debug` when recognisable, else empty."""
    event_id: str | None = None
    """Upstream id used to de-duplicate overlapping reads."""


Record = Sample | LogEvent
"""What a collector returns; the store routes each kind to its table."""


class SourceState(enum.StrEnum):
    """How a source is doing, as the overview badge shows it."""

    OK = "ok"
    STALE = "stale"
    DOWN = "down"


@dataclass(frozen=True, slots=True)
class SourceStatus:
    """A source's health after a poll: what the scheduler keeps and the store records."""

    source: str
    state: SourceState
    checked_at: float
    """When the poll that produced this status ended."""
    last_success: float | None = None
    last_error: str | None = None
    """One line, safe to show: no secrets, no tracebacks."""
    consecutive_failures: int = 0
    note: str | None = None
    """A collector's remark on a successful poll, e.g. an endpoint that was skipped."""


class SourceError(Exception):
    """A source failed as a whole; the message is one line, fit for the status bar.

    Args:
        message: what went wrong, without secrets.
        retry_after: seconds to wait before the next poll instead of the usual
            backoff (an auth failure waits long so as not to hammer the server).
    """

    def __init__(self, message: str, *, retry_after: float | None = None) -> None:
        super().__init__(message)
        self.retry_after = retry_after


@runtime_checkable
class Collector(Protocol):
    """The narrow interface the scheduler drives."""

    config_model: ClassVar[type[SourceConfig]]
    """The pydantic model of this source's config entry."""

    @property
    def notes(self) -> str | None:
        """A remark on the last poll that succeeded only in part, or None."""

    async def collect(self) -> list[Record]:
        """Poll the upstream once and return what was read."""

    async def aclose(self) -> None:
        """Release clients and connections."""


class CollectorFactory(Protocol):
    """A collector class: built from its validated config."""

    config_model: ClassVar[type[SourceConfig]]

    def __call__(self, config: SourceConfig, /) -> Collector:
        """Build a collector for one config entry."""


def collector_class(type_name: str) -> CollectorFactory:
    """Return the collector class registered for a config `type`.

    Raises:
        KeyError: when no source of that type exists.
    """
    module = importlib.import_module(SOURCE_MODULES[type_name])
    factory: CollectorFactory = module.COLLECTOR
    return factory


def source_config_models() -> list[type[SourceConfig]]:
    """The config model of every registered source, for the config union."""
    return [collector_class(name).config_model for name in SOURCE_MODULES]
