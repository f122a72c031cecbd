"""The screens of the TUI, one module each; `SCREENS` orders them as the keys 1-7."""

from __future__ import annotations

from typing import Final

from tui.screens.alerts import AlertsScreen
from tui.screens.base import LiveScreen
from tui.screens.incident import IncidentScreen
from tui.screens.latency import LatencyScreen
from tui.screens.logs import LogsScreen
from tui.screens.overview import OverviewScreen
from tui.screens.queues import QueuesScreen
from tui.screens.sla import SlaScreen

__all__ = ["SCREENS"]

SCREENS: Final[dict[str, type[LiveScreen]]] = {
    "overview": OverviewScreen,
    "latency": LatencyScreen,
    "sla": SlaScreen,
    "queues": QueuesScreen,
    "alerts": AlertsScreen,
    "logs": LogsScreen,
    "incident": IncidentScreen,
}
"""Mode name to screen, in key order: key 1 is the overview, key 7 the incident view."""
