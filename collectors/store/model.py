"""What the store takes and answers in: plain values, no connection.

`SourceBatch` is one poll's records and status going in; `SeriesInfo`,
`WindowStats` and `BucketCount` come out of the reads; `Bucket` and
`DEFAULT_LATENCY_BUCKETS_MS` say how a window's latencies are split into bars.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Final

from collectors.base import Record, SourceStatus

__all__ = [
    "DEFAULT_LATENCY_BUCKETS_MS",
    "Bucket",
    "BucketCount",
    "SeriesInfo",
    "SourceBatch",
    "WindowStats",
    "labels_match",
]


@dataclass(frozen=True, slots=True)
class Bucket:
    """One bar of a latency distribution: values in `[low, high)`."""

    label: str
    low: float
    high: float


DEFAULT_LATENCY_BUCKETS_MS: Final = (
    Bucket("<1s", 0.0, 1000.0),
    Bucket("<2s", 1000.0, 2000.0),
    Bucket("<5s", 2000.0, 5000.0),
    Bucket("5-10s", 5000.0, 10000.0),
    Bucket("10-30s", 10000.0, 30000.0),
    Bucket(">30s", 30000.0, math.inf),
)
"""Seed 001's SLA buckets, in milliseconds: under 5 s is compliant."""


@dataclass(frozen=True, slots=True)
class BucketCount:
    """How many values of a window fell in one bucket."""

    bucket: Bucket
    count: float
    """Approximate where the bucket edge splits a sketch bin (within 1 % of the value)."""
    percent: float


@dataclass(frozen=True, slots=True)
class WindowStats:
    """Summary of one or more series over a time window."""

    count: int
    mean: float | None
    min: float | None
    max: float | None
    quantiles: Mapping[float, float]
    """Quantile (0.5, 0.9, 0.95, 0.99) to value; empty when there is no data."""
    buckets: tuple[BucketCount, ...]

    def quantile(self, q: float) -> float | None:
        """The value at quantile `q`, or None without data."""
        return self.quantiles.get(q)


@dataclass(frozen=True, slots=True)
class SeriesInfo:
    """A stored series and its latest value (or its value as of a past moment)."""

    id: int
    source: str
    name: str
    labels: Mapping[str, str]
    unit: str
    last_ts: float | None
    last_value: float | None
    from_rollup: bool = False
    """The value is a minute's mean from the rollups (its raw samples aged out of the ring):
    read as of a past moment only, never for a live read."""

    def matches(
        self,
        name: str | None = None,
        *,
        labels: Mapping[str, str] | None = None,
        source: str | None = None,
    ) -> bool:
        """Whether the series has this name, holds these labels and comes from this source.

        What `Store.series` asks of the stored series (each filter optional).
        """
        return (
            name in (None, self.name)
            and source in (None, self.source)
            and labels_match(self.labels, labels)
        )


def labels_match(row_labels: Mapping[str, str], wanted: Mapping[str, str] | None) -> bool:
    """Whether a series' labels hold every pair of `wanted` (None or empty: any)."""
    return not wanted or all(row_labels.get(k) == v for k, v in wanted.items())


@dataclass(frozen=True, slots=True)
class SourceBatch:
    """What one poll of one source produced: records and the status after it."""

    source: str
    records: Sequence[Record] = ()
    status: SourceStatus | None = None
