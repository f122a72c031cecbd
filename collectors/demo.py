"""A simulated Chatwoot stack (placeholder: the simulation is being written)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from collectors.base import Duration, SourceConfig


class DemoConfig(SourceConfig):
    """A simulated part of the stack; `wootwatch --demo` runs one of each part."""

    type: Literal["demo"] = "demo"
    part: Literal["chatwoot", "sidekiq", "pipeline", "aws", "logs"] = "chatwoot"
    """Which part of the simulated stack this source plays."""
    seed: int = 7
    """Seed of the simulation: the same seed and clock give the same series."""
    interval: Duration = 5.0
    incident_every: Duration = Field(default=300.0, ge=120.0)
    """How often the scripted incident (latency spike, backlog, error burst) repeats."""
