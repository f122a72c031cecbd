"""What every source shares: records, status, the collector protocol and the registry.

A source is one module in `collectors/` holding a pydantic config model (a
subclass of `SourceConfig` whose `type` is a `Literal`) and a collector class
that satisfies `Collector`. The module is named once in `SOURCE_MODULES`; the
config loader and the scheduler find everything else through `collector_class`
and `source_config_models`. Nothing here imports Textual.

A collector's `collect()` returns records (`Sample` and `LogEvent`) and raises
`SourceError` with a one-line reason when the whole source failed; the error
carries what the failed poll still measured (a health check's status code and
latency), which is written with it at once. Partial failures (one endpoint of
several) are the collector's to absorb: it returns what it could and says why
through `Collector.notes`.

The scheduler adds `source.up` (`SOURCE_UP`: 1 or 0) to every poll of every
source. `SourceConfig.writes` says which series a source writes, so that rules
are checked for a configured source before (or without) any of its series
being stored.

"No data" is not zero: when an upstream answers but holds none of the data
the source reads (a Sidekiq Redis without Sidekiq keys, CloudWatch metrics
without a datapoint), the collector returns no samples and a note made by
`no_data_note`; `SourceStatus.no_data` then tells screens to show that state
rather than "ok".
"""

from __future__ import annotations

import enum
import importlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Annotated, ClassVar, Final, Protocol, runtime_checkable

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field

from collectors.durations import format_duration, parse_duration

__all__ = [
    "NO_DATA",
    "SOURCE_MODULES",
    "SOURCE_UP",
    "Collector",
    "Duration",
    "LogEvent",
    "Record",
    "Revision",
    "Sample",
    "SourceConfig",
    "SourceError",
    "SourceState",
    "SourceStatus",
    "collector_class",
    "format_duration",
    "no_data_note",
    "parse_duration",
    "source_config_models",
]

SOURCE_MODULES: dict[str, str] = {
    "demo": "collectors.demo",
    "chatwoot": "collectors.chatwoot.collector",
    "cloudwatch": "collectors.cloudwatch",
    "cloudwatch_logs": "collectors.cloudwatch_logs",
    "sidekiq": "collectors.sidekiq",
    "sqs": "collectors.sqs",
    "pipeline": "collectors.pipeline",
    "json_endpoint": "collectors.json_endpoint",
}
"""Config `type` to the module that implements it: the registry. One line per source."""

SOURCE_UP: Final = "source.up"
"""The series every poll of every source writes: 1 when it succeeded, 0 when it failed."""


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

    series_prefixes: ClassVar[tuple[str, ...]] = ()
    """Name prefixes of the series this type of source writes, e.g. `("sidekiq.",)`."""

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

    def writes(self, series: str) -> bool:
        """Whether this source writes `series` when it answers (`source.up` always)."""
        return series == SOURCE_UP or series.startswith(self.series_prefixes)


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


@dataclass(frozen=True, slots=True)
class Revision(Sample):
    """A sample that replaces what its series holds at its exact timestamp.

    Upstreams that publish late and re-aggregate (CloudWatch: a minute's
    datapoint appears or changes for a few minutes) send every point of the
    window they re-read as a `Revision`. The store deletes the series' raw
    samples at that timestamp, inserts the revisions given for it and rebuilds
    the rollup of that minute from the raw samples, so re-reading never
    duplicates a point. Revisions of one series and timestamp in one write
    replace as a set.
    """


Record = Sample | LogEvent
"""What a collector returns (a `Revision` is a `Sample`); the store routes each to its table."""


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

    @property
    def no_data(self) -> bool:
        """The source answered but holds no data for it (`no_data_note`): not "all clear"."""
        return self.state is SourceState.OK and (self.note or "").startswith(NO_DATA)

    @property
    def shown_state(self) -> str:
        """The badge word: the state, or `no data` for a source that answered with none."""
        return "no data" if self.no_data else str(self.state)

    @property
    def detail(self) -> str:
        """The line beside the badge: the last error, else the note (without `no data: `)."""
        if self.state is not SourceState.OK:
            return self.last_error or ""
        return (self.note or "").removeprefix(NO_DATA)


NO_DATA: Final = "no data: "
"""How a note starts when the upstream answered but holds none of this source's data."""


def no_data_note(reason: str) -> str:
    """The note of a poll that found nothing to read, e.g. `no data: no Sidekiq keys in db 0`."""
    return NO_DATA + reason


class SourceError(Exception):
    """A source failed as a whole; the message is one line, fit for the status bar.

    Args:
        message: what went wrong, without secrets.
        retry_after: seconds to wait before the next poll instead of the
            interval, when the upstream asks for it (a 429's Retry-After, a
            refused token).
        records: what the failed poll still measured (a health check's up,
            status code and latency); written with the failure at once.
    """

    def __init__(
        self, message: str, *, retry_after: float | None = None, records: Sequence[Record] = ()
    ) -> None:
        super().__init__(message)
        self.retry_after = retry_after
        self.records = records


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
