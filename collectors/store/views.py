"""Read-back queries: what screens and exports ask of a source's stored series.

These read the store only (never an upstream): the Chatwoot `/api` uptime over
seed 004's windows, and the breach list of the latest poll. They live on the
store's side so that sources never import the store.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from collectors.chatwoot.sla import Breach
from collectors.store.database import Store

__all__ = ["UPTIME_WINDOWS", "Uptime", "current_breaches", "uptime_pct"]

UPTIME_WINDOWS: Final = {"24h": 86400.0, "7d": 7 * 86400.0, "30d": 30 * 86400.0}
"""The uptime windows of seed 004."""


@dataclass(frozen=True, slots=True)
class Uptime:
    """The share of checks that were up over a window, and how much of it was recorded."""

    percent: float
    recorded_s: float
    """Seconds from the first recorded check in the window to its end (at most `window_s`)."""
    window_s: float

    @property
    def partial(self) -> bool:
        """Whether the checks cover less than the window (ten minutes of a 30-day one)."""
        return self.recorded_s < self.window_s - 60.0


async def uptime_pct(store: Store, source: str, now: float, window: float) -> Uptime | None:
    """Share of `/api` checks in `[now - window, now)` that were up, from the stored checks.

    The mean of `chatwoot.up{check=api}` over the window (every poll writes
    one, failed or not): a merge of minute rollups, so 30 days cost the same
    as one. It says how much of the window the checks cover. None without any
    check.
    """
    series = await store.series("chatwoot.up", labels={"check": "api"}, source=source)
    start = now - window
    stats = await store.window_stats(series, start, now)
    first = await store.earliest(series, start, now)
    if stats.mean is None or first is None:
        return None
    return Uptime(100.0 * stats.mean, now - first, window)


async def current_breaches(store: Store, source: str) -> list[Breach]:
    """The breach list of the latest poll, longest wait first, as the SLA screen shows it.

    Names are returned as stored (untrusted): draw them through `inert` and
    never as markup.
    """
    compliance = await store.series("chatwoot.sla.compliance_pct", source=source)
    if not compliance or compliance[0].last_ts is None:
        return []
    latest = compliance[0].last_ts
    rows = [
        Breach(
            display_id=int(s.labels.get("conversation", "0") or 0),
            inbox=s.labels.get("inbox", ""),
            customer=s.labels.get("customer", ""),
            waited_s=s.last_value or 0.0,
            replied=s.labels.get("replied") == "yes",
        )
        for s in await store.series("chatwoot.sla.breach_wait_s", source=source)
        if s.last_ts == latest
    ]
    rows.sort(key=lambda b: (-b.waited_s, b.display_id))
    return rows
