from __future__ import annotations

import pytest
from _pilot import Holding

from widgets.sla_gauge import GaugeReading, SlaGauge, trend_text

SEED_004 = {"target": 95.0, "floor": 85.0}
"""The bands the default rules give (`tui.data.thresholds`); the widget holds none."""


@pytest.mark.parametrize(
    ("value", "css_class", "shown"),
    [
        (100.0, "-ok", "✔ 100.0% on target"),
        (95.0, "-ok", "✔ 95.0% on target"),
        (94.9, "-warning", "⚠ 94.9% below target"),
        (85.0, "-warning", "⚠ 85.0% below target"),
        (84.9, "-error", "✖ 84.9% critical"),
        (None, "-muted", "· – no data"),
    ],
)
async def test_seed_004_bands_show_as_a_class_an_icon_and_a_word(
    value: float | None, css_class: str, shown: str
) -> None:
    gauge = SlaGauge(GaugeReading("chatwoot · first reply", value, window="1h", **SEED_004))
    async with Holding(gauge).run_test(size=(80, 4)) as pilot:
        await pilot.pause()
        classes = {c for c in ("-ok", "-warning", "-error", "-muted") if gauge.has_class(c)}
        head = str(gauge.render()).split("\n")[0]
    assert classes == {css_class}
    assert head.startswith(f"chatwoot · first reply  {shown} (target ≥95%)")


def test_the_trend_compares_with_the_previous_window_in_points() -> None:
    assert trend_text(91.0, 97.0, "1h") == ("▼ -6.0 pts vs previous 1h", "down")
    assert trend_text(96.25, 94.0, "5m") == ("▲ +2.2 pts vs previous 5m", "up")
    assert trend_text(94.0, 94.02, "24h") == ("= 0.0 pts vs previous 24h", "steady")
    assert trend_text(94.0, None, "7d") == ("no data for the previous 7d", "none")


async def test_the_bar_fills_to_the_value_marks_the_target_and_ends_with_the_trend() -> None:
    gauge = SlaGauge(
        GaugeReading("pipeline", 50.0, previous=60.0, window="1h", detail="n 12", **SEED_004)
    )
    async with Holding(gauge).run_test(size=(60, 5)) as pilot:
        await pilot.pause()
        assert gauge.size.height == 3
        _, bar, detail = str(gauge.render()).split("\n")
    trend = "▼ -10.0 pts vs previous 1h"
    assert bar.endswith(f"  {trend}")
    cells = 60 - len(trend) - 2
    assert bar.count("█") == cells // 2
    assert bar.index("┊") == int(cells * 0.95)
    assert detail == "n 12"


async def test_a_new_reading_moves_the_gauge_to_its_band() -> None:
    gauge = SlaGauge(GaugeReading("x", 99.0, **SEED_004))
    async with Holding(gauge).run_test(size=(60, 4)) as pilot:
        gauge.reading = GaugeReading("x", 70.0, **SEED_004)
        await pilot.pause()
        assert gauge.has_class("-error") and not gauge.has_class("-ok")
        assert "✖ 70.0% critical" in str(gauge.render())


async def test_the_bands_and_the_target_mark_are_the_ones_passed_in() -> None:
    gauge = SlaGauge(GaugeReading("x", 84.9, target=90.0, floor=70.0))
    async with Holding(gauge).run_test(size=(60, 4)) as pilot:
        await pilot.pause()
        head, bar = str(gauge.render()).split("\n")
    assert gauge.has_class("-warning")
    assert head == "x  ⚠ 84.9% below target (target ≥90%)"
    cells = 60 - len("no data for the previous ") - 2
    assert bar.index("┊") == int(cells * 0.90)
