"""A source's badge is the worst of its checks: `● ok` never sits beside `health ✖ down`.

Contract: a source whose poll succeeded (`ok`) but one of whose checks (a
series the catalogue measures in `1/0`, like `chatwoot.up{check=health}`)
last read 0 shows `down`, with the failing checks named in its detail line.
A source that is already stale, down or without data keeps its own state.

No Textual, no store: the overview passes the source's stored series.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Final

from collectors.series import by_name
from collectors.store.database import SeriesInfo

__all__ = ["worst_of_checks"]

_CHECKS: Final = frozenset(name for name, spec in by_name().items() if spec.unit == "1/0")


def worst_of_checks(state: str, detail: str, series: Iterable[SeriesInfo]) -> tuple[str, str]:
    """The badge state and detail of a source, given its stored series.

    Args:
        state: the source's own badge word (`ok`, `stale`, `down`, `no data`).
        detail: its detail line.
        series: its stored series with their latest values.
    """
    if state != "ok":
        return state, detail
    failing = [
        info.labels.get("check") or info.name
        for info in series
        if info.name in _CHECKS and info.last_value is not None and info.last_value < 0.5
    ]
    if not failing:
        return state, detail
    said = f"{', '.join(sorted(failing))} check down"
    return "down", f"{said}: {detail}" if detail else said
