"""How much history the store keeps: the ring-buffer bounds, as a config model."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field

from collectors.base import Duration

__all__ = ["Retention"]


class Retention(BaseModel):
    """Bounds on every growing table; the oldest rows go first, a chunk at a time."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    raw_max_age: Duration = 24 * 3600.0
    """Raw samples older than this are deleted."""
    raw_max_rows: int = Field(default=5_000_000, ge=1000)
    """At most this many raw samples are kept (about 40 bytes each on disk)."""
    rollup_max_age: Duration = 35 * 86400.0
    """Per-minute rollups (count, sum, min, max, sketch) are kept this long (30-day uptime)."""
    log_max_age: Duration = 7 * 86400.0
    """Cached log lines older than this are deleted."""
    log_max_rows: int = Field(default=1_000_000, ge=1000)
    """At most this many cached log lines are kept."""
    status_max_age: Duration = 35 * 86400.0
    """Source status history is kept this long."""
