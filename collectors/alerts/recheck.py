"""The values alerts had at a past moment, checked again by their rules over the rewound store.

An alert row keeps only its latest check's value, and events record a value
only when something happened (a transition, an ack), so a replayed row
(`alerts.as_of`) would show the value of its last event. `recheck` instead
runs each alert's rule once more, with the same arithmetic as the engine
(`RuleEvaluator`), over a store rewound to the moment (`Store.as_of`): at the
newest sample of the alert's series by then, the time of the check that set
the value live. Only pending and firing alerts are checked (the engine keeps
a resolved alert's value from its last transition); where a rule is unknown
or the check finds no data, the replayed value stays.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Mapping, Sequence
from typing import Final

from collectors.alerts.book import AlertRow
from collectors.alerts.evaluate import BatchView, RuleEvaluator
from collectors.alerts.rules import Rule
from collectors.alerts.state import AlertState
from collectors.base import SourceState, SourceStatus
from collectors.store.database import SeriesInfo, SourceBatch, Store

__all__ = ["recheck"]

_CHECKED: Final = (AlertState.PENDING, AlertState.FIRING)


class _AsOfView(BatchView):
    """The engine's view with no poll in hand: every number from a store rewound to a moment."""

    def __init__(self, store: Store, statuses: Mapping[str, SourceStatus]) -> None:
        super().__init__(store, SourceBatch(source=""))  # no poll: series read from the store
        self._as_of_store = store
        self._statuses = statuses

    async def latest(self, series: SeriesInfo, t: float) -> float | None:
        """As live: the mean of the samples the check's poll wrote (those at its time)."""
        if series.last_ts != t:
            return None
        end = math.nextafter(t, math.inf)
        return (await self._as_of_store.window_stats([series], t, end, buckets=())).mean

    def source_down(self, source: str, t: float) -> bool:
        """Whether the source was down at the moment."""
        status = self._statuses.get(source)
        return status is not None and status.state is SourceState.DOWN


async def recheck(
    alerts: Sequence[AlertRow], rules: Mapping[str, Rule], store: Store
) -> list[AlertRow]:
    """`alerts` with the values their rules give over `store`, which is rewound (`as_of`).

    Args:
        alerts: alert rows as they stood at the store's `as_of`.
        rules: the rules in force, by name.
        store: the store, its `as_of` set to the moment the rows are of.
    """
    moment = store.as_of
    if moment is None or not alerts:
        return list(alerts)
    view = _AsOfView(store, await store.source_statuses())
    evaluator = RuleEvaluator()
    found = []
    for alert in alerts:
        rule = rules.get(alert.rule)
        source = alert.labels.get("source")
        value = None
        # The engine updates the value of a pending or firing alert only; a
        # resolved one keeps the value of its last transition, as replayed.
        if rule is not None and source is not None and alert.state in _CHECKED:
            members = await view.series(rule.series, rule.labels, source)
            t = await view.last_seen(members, moment) or moment
            for check in await evaluator.check(rule, view, source, t):
                if dict(check.labels) == dict(alert.labels):
                    value = check.value
        found.append(alert if value is None else dataclasses.replace(alert, value=value))
    return found
