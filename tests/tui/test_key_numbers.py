"""One list of key numbers: the screens, the summary and the export agree (issue 15)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from collectors.base import Sample
from collectors.series import CHATWOOT_UP, KEY_NUMBERS, by_name
from collectors.store.database import SourceBatch, Store, WindowStats
from tui.console import HEADLINES
from tui.export.health import METRICS
from tui.panels.key_metrics import KEY_METRICS, Alarm, read_metric
from widgets.vocab import format_value


def test_a_number_has_one_label_wherever_it_is_shown() -> None:
    """The summary and the overview call the same series and labels by the same words."""
    labels: dict[tuple[str, tuple[tuple[str, str], ...]], set[str]] = {}
    for series, subset, label in [
        *((m.series, tuple(sorted(m.labels)), m.label) for m in KEY_METRICS),
        *((h.series, tuple(sorted(h.labels)), h.label) for h in HEADLINES),
    ]:
        labels.setdefault((series, subset), set()).add(label)
    assert {key: words for key, words in labels.items() if len(words) > 1} == {}


def test_the_screens_and_the_summary_show_what_the_catalogue_says() -> None:
    overview = [(m.series, m.label) for m in KEY_METRICS if m.overview]
    incident = [(m.series, m.label) for m in KEY_METRICS if m.headline]
    summary = [(h.series, h.label) for h in HEADLINES]
    assert overview == [(k.series, k.label) for k in KEY_NUMBERS if "overview" in k.shown]
    assert incident == [(k.series, k.label) for k in KEY_NUMBERS if "incident" in k.shown]
    assert summary == [(k.series, k.label) for k in KEY_NUMBERS if "summary" in k.shown]
    assert (CHATWOOT_UP, "health") in overview and (CHATWOOT_UP, "health") not in summary


def test_every_key_number_and_export_metric_is_catalogued() -> None:
    catalogue = by_name()
    assert all(number.series in catalogue for number in KEY_NUMBERS)
    assert all("export" in catalogue[spec.series].shown for spec in METRICS)


async def test_a_number_an_alert_is_about_reads_no_statistic_of_its_own(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Issue 18: the incident view read a 5-minute p95 over every latency series on each `[`
    for a number that shows the firing alert's own value; it now reads it only when no alert
    is about the number, and both show as before."""
    spec = next(s for s in KEY_METRICS if s.reduce == "p95")
    now = 1_790_000_000.0
    async with await Store.open(tmp_path / "k.db") as store:
        samples = [
            Sample(
                spec.series, 100.0 + i, now - 200 + i, {**dict(spec.labels), "endpoint": "a"}, "ms"
            )
            for i in range(100)
        ]
        await store.write([SourceBatch("api", samples)])
        series = await store.series()
        stats = store.window_stats
        reads: list[object] = []

        async def counted(*args: Any, **kwargs: Any) -> WindowStats:
            reads.append(args)
            return await stats(*args, **kwargs)

        monkeypatch.setattr(store, "window_stats", counted)
        window = (now - 1800, now + 60)
        plain = await read_metric(store, spec, series, window, 30, now=now)
        assert plain is not None and plain.value == format_value(
            (await stats(series, now - 300, now)).quantile(0.95), "ms"
        )
        assert len(reads) == 1
        alarm = Alarm("2.6s", "p95 5m")
        marked = await read_metric(store, spec, series, window, 30, now=now, alarm=alarm)
        assert marked is not None and (marked.value, marked.note) == ("2.6s", "p95 5m")
        assert marked.values == plain.values and len(reads) == 1
