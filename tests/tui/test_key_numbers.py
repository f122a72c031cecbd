"""One list of key numbers: the screens, the summary and the export agree (issue 15)."""

from __future__ import annotations

from collectors.series import CHATWOOT_UP, KEY_NUMBERS, by_name
from tui.console import HEADLINES
from tui.export.health import METRICS
from tui.panels.key_metrics import KEY_METRICS


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
