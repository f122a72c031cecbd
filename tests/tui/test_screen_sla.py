from __future__ import annotations

from pathlib import Path

import pytest
from _pilot import after, refreshed
from _tuned import tuned_rules
from _written import NOW, every_minute, sla_samples, write, write_sla_db
from rich.text import Text
from textual.widgets import DataTable

from collectors.alerts.rules import Rule
from collectors.store.database import Store
from tui.app import WootwatchApp
from widgets.latency_bars import LatencyBars
from widgets.sla_gauge import SlaGauge


@pytest.fixture
async def sla_db(tmp_path: Path) -> Path:
    db = tmp_path / "sla.db"
    await write(db, sla_samples())
    return db


def _gauges(app: WootwatchApp) -> list[SlaGauge]:
    return list(app.screen.query(SlaGauge))


def _head(gauge: SlaGauge) -> str:
    return str(gauge.render()).split("\n")[0]


async def _bands(db: Path, values: dict[str, float], rules: list[Rule]) -> list[object]:
    """Each gauge's band class and head line, one source per value."""
    await write(
        db, {s: every_minute("chatwoot.sla.compliance_pct", v, "%") for s, v in values.items()}
    )
    app = WootwatchApp(db, clock=lambda: NOW, rules=rules)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("3")
        await refreshed(pilot)
        return [
            ([c for c in ("-ok", "-warning", "-error") if g.has_class(c)], _head(g))
            for g in _gauges(app)
        ]


async def test_compliance_shows_seed_004s_band_as_a_class_an_icon_and_a_word(
    tmp_path: Path,
) -> None:
    values = {"a": 95.0, "b": 94.9, "c": 85.0, "d": 84.9}
    assert await _bands(tmp_path / "bands.db", values, []) == [
        (["-ok"], "a · first reply SLA  ✔ 95.0% on target (target ≥95%)"),
        (["-warning"], "b · first reply SLA  ⚠ 94.9% below target (target ≥95%)"),
        (["-warning"], "c · first reply SLA  ⚠ 85.0% below target (target ≥95%)"),
        (["-error"], "d · first reply SLA  ✖ 84.9% critical (target ≥95%)"),
    ]


async def test_the_bands_follow_the_configs_chatwoot_sla_compliance_low(tmp_path: Path) -> None:
    """Issue 15: with the floor at 70 %, 84.9 % is below target, not critical."""
    values = {"a": 84.9, "b": 69.9}
    assert await _bands(tmp_path / "bands.db", values, tuned_rules()) == [
        (["-warning"], "a · first reply SLA  ⚠ 84.9% below target (target ≥95%)"),
        (["-error"], "b · first reply SLA  ✖ 69.9% critical (target ≥95%)"),
    ]


async def test_the_trend_compares_with_the_window_before_and_w_changes_both(
    sla_db: Path,
) -> None:
    app = WootwatchApp(sla_db, clock=lambda: NOW)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("3")
        await refreshed(pilot)
        (gauge,) = _gauges(app)
        hour = str(gauge.render())
        await pilot.press("w")
        await refreshed(pilot)
        day = str(gauge.render())
    assert hour.startswith("support · first reply within 15m  ⚠ 91.0%")
    assert "▼ -6.0 pts vs previous 1h" in hour  # 97 % the hour before
    assert "first replies in 1h: 60 · median" in hour and "late" in hour
    async with await Store.open(sla_db, readonly=True) as store:
        series = await store.series("chatwoot.sla.compliance_pct")
        minute = NOW // 60 * 60
        stats = await store.window_stats(series, minute - 86400, minute)
    assert stats.mean is not None and f"⚠ {stats.mean:.1f}% below target" in day
    assert "no data for the previous 24h" in day


async def test_the_breach_list_is_longest_wait_first_and_hostile_names_stay_inert(
    sla_db: Path,
) -> None:
    app = WootwatchApp(sla_db, clock=lambda: NOW)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("3")
        await refreshed(pilot)
        table = app.screen.query_one("#breach-table", DataTable)
        rows = [table.get_row_at(i) for i in range(table.row_count)]
    assert all(isinstance(cell, Text) for row in rows for cell in row)
    assert [[str(cell) for cell in row] for row in rows] == [
        [
            "#42",
            "␛[2J␛]52;c;aGk=␇[…",  # cut to its 18 columns, and said to be cut
            "Support [b]",
            "40m",
            "✖ still waiting",
        ],
        ["#19", "Chloé Müller", "Web", "31m40s", "✖ still waiting"],
        ["#7", "Ada Lovelace", "Email", "20m", "⚠ replied late"],
    ]
    customer = rows[0][1]
    assert isinstance(customer, Text) and not customer.spans and not customer.style


async def test_channels_by_volume_against_the_first_reply_target(sla_db: Path) -> None:
    """Issue 16: no channel reads `✔ on target` while the SLA compliance is below target."""
    app = WootwatchApp(sla_db, clock=lambda: NOW)
    async with app.run_test(size=(100, 40)) as pilot:
        await pilot.press("3")
        await refreshed(pilot)
        rows = app.screen.query_one("#channels-panel LatencyBars", LatencyBars).rows
    assert [(r.label, r.value, r.note, r.tone) for r in rows] == [
        ("email", "28", " 45% · 18m over target", "warning"),
        ("web_widget", "21", " 34% · 8m mean within target", "muted"),  # SLA 91 %: below
        ("twilio_sms", "13", " 21% · 33m20s far over target", "error"),
    ]


async def test_without_breaches_or_channels_the_panels_say_so(demo_app: WootwatchApp) -> None:
    async with demo_app.run_test(size=(80, 24)) as pilot:
        await pilot.press("3")
        await refreshed(pilot)
        screen = demo_app.screen
        assert not screen.query_one("#breach-table").display
        assert str(screen.query_one("#breaches-panel .empty").render()) == "no breaches recorded"
        channels = screen.query_one("#channels-panel LatencyBars", LatencyBars)
        assert str(channels.render()) == "no per-channel data"
        titles = [_head(g).split("  ")[0] for g in _gauges(demo_app)]
    assert titles == ["chatwoot · first reply SLA", "pipeline · messages under 5s"]


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_snapshot(
    snap_compare: object,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    size: tuple[int, int],
) -> None:
    db = write_sla_db(tmp_path / "sla.db")
    monkeypatch.chdir(tmp_path)  # the top bar shows the path: keep it the same every run
    app = WootwatchApp(db.name, clock=lambda: NOW)
    assert snap_compare(app, terminal_size=size, run_before=after("3"))  # type: ignore[operator]
