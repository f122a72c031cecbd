"""The shipped Grafana dashboard reads only what `/metrics` exposes.

Every PromQL expression in `prometheus/grafana-dashboard.json` may name only
metrics that `collectors.metrics` serves for a store the whole demo stack
filled, or that it serves for a catalogue series once stored (the demo plays
no SQS depth). The e2e test runs the same expressions through a real Prometheus.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path

from collectors.base import SOURCE_UP, Sample, SourceState, SourceStatus
from collectors.demo import DemoCollector, demo_sources
from collectors.metrics import metric_name, read_families
from collectors.series import CATALOGUE
from collectors.store.database import SourceBatch, Store

ROOT = Path(__file__).resolve().parents[2]
DASHBOARD = ROOT / "prometheus" / "grafana-dashboard.json"
T0 = 1_800_000_000.0
METRIC = re.compile(r"\bwootwatch_[a-zA-Z0-9_]+")


def dashboard_expressions() -> list[str]:
    """Every `expr` of every panel (and the variables' queries)."""

    def walk(node: object) -> Iterator[str]:
        if isinstance(node, dict):
            for key, value in node.items():
                if key in ("expr", "definition") and isinstance(value, str):
                    yield value
                else:
                    yield from walk(value)
        elif isinstance(node, list):
            for item in node:
                yield from walk(item)

    return list(walk(json.loads(DASHBOARD.read_text(encoding="utf-8"))))


async def _exposed(tmp_path: Path) -> set[str]:
    store = await Store.open(tmp_path / "demo.db", clock=lambda: T0)
    try:
        batches = []
        for config in demo_sources():
            records = [
                *await DemoCollector(config, clock=lambda: T0).collect(),
                Sample(SOURCE_UP, 1.0, T0),  # as the scheduler adds to every poll
            ]
            status = SourceStatus(config.name, SourceState.OK, T0, T0)
            batches.append(SourceBatch(config.name, records, status))
        await store.write(batches)
        families = await read_families(store, None, origin=T0 - 60, now=T0 + 1)
    finally:
        await store.close()
    names = {family.name for family in families} | {"wootwatch_alert_firing"}
    names |= {sample.name for family in families for sample in family.samples}
    for spec in CATALOGUE:  # a catalogue series the demo does not play (SQS, RDS memory)
        name = metric_name(spec.name, spec.unit).name
        names |= {f"{name}_bucket", f"{name}_sum", f"{name}_count"} if spec.buckets else {name}
    return names


async def test_every_expression_names_only_exposed_metrics(tmp_path: Path) -> None:
    exposed = await _exposed(tmp_path)
    expressions = dashboard_expressions()
    assert len(expressions) > 20
    named = {name for expr in expressions for name in METRIC.findall(expr)}
    assert named, "no wootwatch metric in the dashboard"
    assert named <= exposed, f"not in /metrics: {sorted(named - exposed)}"


def test_every_panel_has_a_place_and_a_unique_id() -> None:
    panels = json.loads(DASHBOARD.read_text(encoding="utf-8"))["panels"]
    assert len({p["id"] for p in panels}) == len(panels)
    assert all({"x", "y", "w", "h"} <= p["gridPos"].keys() for p in panels)
