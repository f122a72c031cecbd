"""The screens of the TUI, one module each; `SCREENS` orders them as the keys 1-7.

A screen's module is imported when its first screen is made (`LazyScreen`): the
first frame needs the overview's alone, and the others are made after it, by
warming (`tui.warming`) or a key. The titles are here, so the tab bar can name
every screen before any other is imported; each screen class takes its own.
"""

from __future__ import annotations

from importlib import import_module
from typing import Any, Final

from textual.screen import Screen

__all__ = ["SCREENS", "LazyScreen"]


class LazyScreen:
    """A mode of the app (`App.MODES`): its title, and its screen class imported when first made.

    Args:
        title: the screen's name in the tab bar and the footer.
        module: its module, in `tui.screens`.
        name: its class name there.
    """

    def __init__(self, title: str, module: str, name: str) -> None:
        self.TITLE: Final = title
        """The screen's name in the tab bar and the footer."""
        self._module = f"{__name__}.{module}"
        self._name = name

    @property
    def screen_class(self) -> type[Screen[Any]]:
        """The screen's class (its module is imported now if it was not yet)."""
        made: type[Screen[Any]] = getattr(import_module(self._module), self._name)
        return made

    def makes(self, screen_class: type[Any]) -> bool:
        """Whether `screen_class` is this mode's screen class (imports nothing)."""
        return screen_class.__module__ == self._module and screen_class.__name__ == self._name

    def __call__(self, **options: Any) -> Screen[Any]:
        """A new screen of this mode, made with `options`."""
        return self.screen_class(**options)


SCREENS: Final[dict[str, LazyScreen]] = {
    "overview": LazyScreen("Overview", "overview", "OverviewScreen"),
    "latency": LazyScreen("Latency", "latency", "LatencyScreen"),
    "sla": LazyScreen("SLA", "sla", "SlaScreen"),
    "queues": LazyScreen("Queues", "queues", "QueuesScreen"),
    "alerts": LazyScreen("Alerts", "alerts", "AlertsScreen"),
    "logs": LazyScreen("Logs", "logs", "LogsScreen"),
    "incident": LazyScreen("Incident", "incident", "IncidentScreen"),
}
"""Mode name to screen, in key order: key 1 is the overview, key 7 the incident view."""
