"""Which stored series the Latency screen shows, in which order, under which names.

* `pipeline.latency_ms` (end to end, seed 001's primary metric), first;
* `chatwoot.api.latency_ms`, one row per endpoint;
* `widget.api.p95_ms`, a p95 the widget reports itself, when a source writes it;
* `pipeline.phase_ms`, one row per phase, in the order a message goes through them.

Names come from stored labels and source names: they are untrusted and go
through `inert` wherever they are drawn.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Final

from collectors.series import (
    CHATWOOT_API_LATENCY_MS,
    PIPELINE_LATENCY_MS,
    PIPELINE_PHASE_MS,
    WIDGET_API_P95_MS,
)
from collectors.store.database import SeriesInfo, Store

__all__ = [
    "PHASE_TARGETS_MS",
    "LatencySeries",
    "latency_series",
    "phase_name",
    "phase_series",
]


@dataclass(frozen=True, slots=True)
class LatencySeries:
    """One row of the Latency screen: a stored series and how to read it."""

    key: str
    """Stable within a database: the row key of the table and the chosen series."""
    label: str
    info: SeriesInfo
    reported: bool = False
    """The values are a percentile the upstream computed (widget.api.p95_ms), not raw latencies."""


_ENDPOINT_SERIES: Final = (
    (PIPELINE_LATENCY_MS, False),
    (CHATWOOT_API_LATENCY_MS, False),
    (WIDGET_API_P95_MS, True),
)

_PHASE_ORDER: Final = ("queue_to_worker", "worker_processing", "worker_to_chatwoot")

PHASE_TARGETS_MS: Final[Mapping[str, float]] = {
    "queue_to_worker": 5000.0,
    "worker_processing": 3000.0,
    "worker_to_chatwoot": 2000.0,
}
"""Seed 001's daily check of the phase breakdown: each phase's mean under these."""


def _label(info: SeriesInfo) -> str:
    if info.name == PIPELINE_LATENCY_MS:
        what = "end-to-end"
    elif info.name == WIDGET_API_P95_MS:
        what = "API p95 (reported)"
    else:
        what = " ".join(info.labels.values()) or info.name
    return f"{info.source} · {what}"


async def latency_series(store: Store) -> list[LatencySeries]:
    """The latency series the store holds, end to end first, then per endpoint."""
    found = []
    for name, reported in _ENDPOINT_SERIES:
        for info in await store.series(name):
            found.append(LatencySeries(str(info.id), _label(info), info, reported))
    return found


def phase_name(phase: str) -> str:
    """`queue_to_worker` as `queue → worker`."""
    return phase.replace("_to_", " → ").replace("_", " ")


async def phase_series(store: Store) -> list[tuple[str, SeriesInfo]]:
    """`pipeline.phase_ms` per phase, in pipeline order (unknown phases last, by name)."""

    def order(info: SeriesInfo) -> tuple[int, str, str]:
        phase = info.labels.get("phase", "")
        rank = _PHASE_ORDER.index(phase) if phase in _PHASE_ORDER else len(_PHASE_ORDER)
        return rank, phase, info.source

    infos = sorted(await store.series(PIPELINE_PHASE_MS), key=order)
    several = len({info.source for info in infos}) > 1
    named = []
    for info in infos:
        name = phase_name(info.labels.get("phase", ""))
        named.append((f"{info.source} · {name}" if several else name, info))
    return named
