"""Rewind (issue 18, item 1): every screen as of a moment of the recording, `t`, `[`, `]`, Esc.

The recording is the demo played past its first scripted incident (`ROUNDS`
polls): before it (`BEFORE`), in the middle of it (`DURING`: latency spike,
backlog, error burst) and after it (`AFTER`: everything resolved). Each
screen is rewound to the three moments and what it shows is compared with
what the recording says at that moment, read straight from its tables or
through the store's functions over the span the screen documents.
"""

from __future__ import annotations

import asyncio
import json
import math
import shutil
import sqlite3
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path

import pytest
from _pilot import after, refreshed
from fakes.demo_history import DEMO_EPOCH, POLL_EVERY, record_demo
from textual.pilot import Pilot
from textual.widgets import Input, Static

from collectors.alerts.book import AlertBook
from collectors.demo import INCIDENT_DELAY
from collectors.store.database import Store
from tui.app import WootwatchApp
from tui.data.reader import current_user
from tui.data.rewind import as_of_label
from tui.dialogs.ack import AckDialog
from tui.dialogs.export import ExportDialog
from tui.dialogs.keys import KeysDialog
from tui.dialogs.pin import PinDialog
from tui.dialogs.rewind import RewindDialog
from tui.export.write import build_export, current_host
from tui.messages import RewindTo, ShowLogs
from tui.panels.firing import FiringPanel
from tui.screens.alerts import AlertsScreen
from tui.screens.incident import NewestErrors
from tui.screens.latency import LatencyScreen
from tui.screens.logs import FIRST_READ, LogsScreen
from tui.screens.queues import SidekiqPanel
from widgets.alert_table import AlertTable
from widgets.line_list import LineList
from widgets.log_pane import LogPane
from widgets.queue_row import QueueRow
from widgets.screen_tabs import ScreenTabs
from widgets.severity_counts import SeverityCounts
from widgets.sla_gauge import SlaGauge
from widgets.time_chart import TimeChart
from widgets.vocab import format_value

ROUNDS = 48
"""Polls recorded: the first incident (10 s in) and two minutes of calm after it."""
ORIGIN = DEMO_EPOCH + INCIDENT_DELAY
BEFORE = DEMO_EPOCH + 5
"""Before the first scripted incident."""
DURING = ORIGIN + 50
"""Its middle: latency spike, backlog and error burst all up."""
AFTER = ORIGIN + 190
"""After it: the spike, backlog and errors are over."""
MOMENTS = {"before": BEFORE, "during": DURING, "after": AFTER}
SEVERITIES = ("critical", "error", "warning", "info")


@pytest.fixture(scope="module")
def recording(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, float]:
    """The demo recorded past its first incident (once per module), and its now."""
    path = tmp_path_factory.mktemp("rewind") / "demo.db"
    now = asyncio.run(record_demo(path, rounds=ROUNDS))
    assert now == DEMO_EPOCH + (ROUNDS - 1) * POLL_EVERY
    return path, now


@pytest.fixture
def db(recording: tuple[Path, float], tmp_path: Path) -> Iterator[Path]:
    """A private copy of the recording (a test may pin or acknowledge)."""
    copy = tmp_path / "demo.db"
    shutil.copy(recording[0], copy)
    yield copy


@pytest.fixture
def app(db: Path, recording: tuple[Path, float]) -> WootwatchApp:
    """The TUI on the recording, its clock stopped at the recording's now."""
    now = recording[1]
    return WootwatchApp(db, clock=lambda: now)


async def _rewind(pilot: Pilot[object], moment: float | None) -> None:
    """Post `RewindTo` as any screen or dialog would, and wait for the screen to read it."""
    pilot.app.post_message(RewindTo(moment))
    await pilot.pause()
    await refreshed(pilot)


def _tabs(app: WootwatchApp) -> str:
    return str(app.screen.query_one(ScreenTabs).render())


# ---------------------------------------------------------------------- the recording


def _alert_states(db: Path, moment: float) -> dict[int, tuple[str, str]]:
    """Each alert's (state, severity) at `moment`, from its recorded transitions.

    An alert row holds today's severity; a `severity` event (`old -> new`) after
    the moment says what it was before.
    """
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT e.alert_id, e.to_state FROM alert_events e "
            "WHERE e.kind = 'transition' AND e.ts <= ? ORDER BY e.ts, e.id",
            (moment,),
        ).fetchall()
        severity = dict(conn.execute("SELECT id, severity FROM alerts").fetchall())
        changes = conn.execute(
            "SELECT alert_id, note FROM alert_events WHERE kind = 'severity' AND ts > ? "
            "ORDER BY ts DESC, id DESC",
            (moment,),
        ).fetchall()
    for alert_id, note in changes:  # undo the later changes, newest first
        severity[alert_id] = note.split(" -> ")[0]
    return {alert_id: (state, severity[alert_id]) for alert_id, state in rows}


def _last_sample(db: Path, name: str, moment: float, **labels: str) -> float:
    with sqlite3.connect(db) as conn:
        (value,) = conn.execute(
            "SELECT s.value FROM samples s JOIN series r ON r.id = s.series_id "
            "WHERE r.name = ? AND r.labels = ? AND s.ts <= ? ORDER BY s.ts DESC LIMIT 1",
            (name, json.dumps(labels, sort_keys=True, separators=(",", ":")), moment),
        ).fetchone()
    return float(value)


def _log_times(db: Path, start: float, end: float, level: str | None = None) -> list[float]:
    """The times of the cached log lines in `(start, end]`, newest first."""
    with sqlite3.connect(db) as conn:
        rows = conn.execute(
            "SELECT ts FROM log_lines WHERE ts > ? AND ts <= ? AND (? IS NULL OR level = ?) "
            "ORDER BY ts DESC, id DESC",
            (start, end, level, level),
        ).fetchall()
    return [ts for (ts,) in rows]


def _hms(moment: float) -> str:
    return as_of_label(moment, moment).removeprefix("⏪ as of ")


# ---------------------------------------------------------------------- t, [ ], Esc


async def test_t_asks_for_a_time_bad_input_is_said_at_once_and_t_again_is_live(
    app: WootwatchApp,
) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await refreshed(pilot)
        live = _tabs(app)
        await pilot.press("t")
        await pilot.pause()
        assert isinstance(app.screen, RewindDialog)
        await pilot.press(*"25:99", "enter")
        await pilot.pause()
        error = app.screen.query_one("#rewind-error", Static)
        assert isinstance(app.screen, RewindDialog) and error.has_class("-shown")
        assert str(error.render()).startswith("⚠ ") and "25:99" in str(error.render())
        assert app.reader.as_of is None
        await pilot.press("escape")  # cancels: nothing changes
        await pilot.pause()
        assert app.reader.as_of is None and _tabs(app) == live
        await pilot.press("t")
        await pilot.pause()
        await pilot.press(*_hms(DURING), "enter")
        await refreshed(pilot)
        assert app.reader.as_of == DURING
        assert _tabs(app).rstrip().endswith(f"⏪ as of {_hms(DURING)}")
        await pilot.press("t")
        await refreshed(pilot)
        assert app.reader.as_of is None and "as of" not in _tabs(app)


async def test_the_tab_bar_gives_the_date_when_the_moment_is_not_today(
    app: WootwatchApp, recording: tuple[Path, float]
) -> None:
    yesterday = recording[1] - 86400
    async with app.run_test(size=(80, 24)) as pilot:
        await _rewind(pilot, yesterday)
        assert _tabs(app).rstrip().endswith("⏪ as of 2026-11-17 11:10:35 · from minute rollups")


async def test_brackets_step_by_the_charts_slot_and_never_past_now(
    app: WootwatchApp, recording: tuple[Path, float]
) -> None:
    now = recording[1]
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await refreshed(pilot)
        screen = app.screen
        assert isinstance(screen, LatencyScreen)
        span, slots = screen.view.window.span(now).grid(screen.query_one(TimeChart).plot_width)
        slot = span.seconds / slots
        await pilot.press("left_square_bracket")
        await refreshed(pilot)
        first = app.reader.as_of
        assert first is not None and first < now and first % slot == 0 and now - first <= slot
        await pilot.press("left_square_bracket", "left_square_bracket")
        await refreshed(pilot)
        assert app.reader.as_of == first - 2 * slot
        assert _tabs(app).rstrip().endswith(f"as of {_hms(first - 2 * slot)}")
        await pilot.press("right_square_bracket")
        await refreshed(pilot)
        assert app.reader.as_of == first - slot
        await pilot.press("right_square_bracket", "right_square_bracket")
        await refreshed(pilot)
        assert app.reader.as_of is None  # the step that would pass now is live
        await pilot.press("4")  # the queues: one-minute sparkline slots
        await refreshed(pilot)
        await pilot.press("left_square_bracket", "left_square_bracket")
        await refreshed(pilot)
        assert app.reader.as_of == (math.ceil(now / 60) - 2) * 60


async def test_live_refreshes_keep_the_moment_on_view(app: WootwatchApp) -> None:
    async with app.run_test(size=(80, 24)) as pilot:
        await _rewind(pilot, DURING)
        shown = _tabs(app)
        for _ in range(3):
            app.refresh_now()
            await refreshed(pilot)
        assert app.reader.as_of == DURING and _tabs(app) == shown


async def test_escape_undoes_the_switches_since_the_rewind_then_is_live(
    app: WootwatchApp,
) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("3")
        await refreshed(pilot)
        await _rewind(pilot, DURING)
        await pilot.press("7")
        await refreshed(pilot)
        app.screen.post_message(ShowLogs(DURING - 60, DURING))  # a spike jump
        await refreshed(pilot)
        assert isinstance(app.screen, LogsScreen)
        seen = []
        for _ in range(4):
            await pilot.press("escape")
            await refreshed(pilot)
            seen.append((app.current_mode, app.reader.as_of))
    assert seen == [
        ("incident", DURING),  # back from the spike jump
        ("sla", DURING),  # back from the switch made while rewound
        ("sla", None),  # nothing else to undo: live
        ("overview", None),  # live: back through the screens as before
    ]


async def test_acknowledge_silence_and_unsilence_wait_for_live(app: WootwatchApp, db: Path) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await refreshed(pilot)
        await _rewind(pilot, DURING)
        said = []
        for key in ("a", "s", "u"):
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, AlertsScreen)  # no dialog
            said.append([n.message for n in app._notifications][-1])
        await pilot.press("escape")
        await refreshed(pilot)
        await pilot.press("a")
        await pilot.pause()
        assert isinstance(app.screen, AckDialog)  # live again: the ack dialog opens
    label = f"⏪ as of {_hms(DURING)}"
    assert said == [
        f"Showing {label}: return to live (Esc) to acknowledge",
        f"Showing {label}: return to live (Esc) to silence",
        f"Showing {label}: return to live (Esc) to end a silence",
    ]
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT count(*) FROM alert_events WHERE kind = 'ack'").fetchone() == (
            0,
        )


async def test_a_firing_alerts_detail_says_read_only_while_rewound(app: WootwatchApp) -> None:
    """`a` is refused while rewound, so the detail must not say "press a to acknowledge"."""
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("5")
        await refreshed(pilot)
        await _rewind(pilot, DURING)
        table = app.screen.query_one(AlertTable)
        assert table.row_count and "firing" in str(table.get_row_at(0))  # firing first
        detail = str(app.screen.query_one(".alert-detail", Static).render())
    assert "press a" not in detail
    assert f"not acknowledged as of {_hms(DURING)}: read-only while rewound" in detail


async def test_p_while_rewound_suggests_the_moment_on_view(app: WootwatchApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await _rewind(pilot, DURING)
        await pilot.press("p")
        await pilot.pause()
        assert isinstance(app.screen, PinDialog)
        assert app.screen.query_one("#pin-at", Input).value == _hms(DURING)
        assert "the moment on view" in str(app.screen.query_one("#pin-reading").render())


async def test_the_key_reference_footer_and_palette_offer_rewind(app: WootwatchApp) -> None:
    async with app.run_test(size=(120, 40)) as pilot:
        await refreshed(pilot)
        footer = {b.binding.key for b in app.screen.active_bindings.values() if b.binding.show}
        await pilot.press("question_mark")
        await pilot.pause()
        assert isinstance(app.screen, KeysDialog)
        keys = str(app.screen.query_one("#keys-list").render())
        note = str(app.screen.query_one("#keys-note").render())
        commands = [command.title for command in app.get_system_commands(app.screen)]
    assert {"t", "left_square_bracket", "right_square_bracket"} <= footer
    assert "Rewind" in keys and "[" in keys and "Step back" in keys and "Step forward" in keys
    assert "Rewind to…" in commands and "Back to live" in commands
    assert "a, s and u act on now, so they wait for live (Esc, or t)" in note


async def test_a_span_older_than_the_raw_samples_says_it_is_read_from_rollups(
    app: WootwatchApp, db: Path
) -> None:
    async with await Store.open(db, readonly=True) as store:
        raw_since = await store.raw_since()
    assert raw_since is not None
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("2")
        await _rewind(pilot, DURING)
        assert "rollups" not in _tabs(app)  # the hour before is in the raw samples
        await pilot.press("w")  # 24 h: back before the oldest raw sample
        await refreshed(pilot)
        assert _tabs(app).rstrip().endswith(f"as of {_hms(DURING)} · from minute rollups")


# ---------------------------------------------------------------------- every screen, as of then


async def _on(pilot: Pilot[object], key: str, moment: float) -> None:
    """Switch to the screen of `key` (if not on it) and rewind it to `moment`."""
    await pilot.press(key)
    await _rewind(pilot, moment)


async def test_the_overview_counts_the_alerts_firing_then(app: WootwatchApp, db: Path) -> None:
    shown = {}
    async with app.run_test(size=(120, 40)) as pilot:
        for when, moment in MOMENTS.items():
            await _on(pilot, "1", moment)
            shown[when] = str(app.screen.query_one(SeverityCounts).render())
    for when, moment in MOMENTS.items():
        states = _alert_states(db, moment).values()
        firing = [severity for state, severity in states if state == "firing"]
        pending = sum(state == "pending" for state, _ in states)
        counts = "  ".join(
            f"{icon} {firing.count(severity)} {severity}"
            for icon, severity in zip("✖◆⚠ℹ", SEVERITIES, strict=True)
        )
        assert shown[when] == f"alerts firing:  {counts}  ◐ {pending} pending", when
    assert shown["during"] != shown["before"] and shown["after"] != shown["during"]


async def test_the_latency_table_is_the_hour_up_to_then(app: WootwatchApp, db: Path) -> None:
    shown = {}
    async with app.run_test(size=(120, 40)) as pilot:
        for when, moment in MOMENTS.items():
            await _on(pilot, "2", moment)
            table = app.screen.query_one("#series-table")
            rows = [[str(c) for c in table.get_row_at(i)] for i in range(table.row_count)]
            shown[when] = next(row for row in rows if row[0] == "pipeline · end-to-end")
    async with await Store.open(db, readonly=True) as store:
        (info,) = await store.series("pipeline.latency_ms")
        for when, moment in MOMENTS.items():
            stats = await store.window_stats([info], moment - 3600, moment)
            quantiles = (stats.quantile(q) for q in (0.5, 0.95, 0.99))
            expected = [
                "pipeline · end-to-end",
                str(stats.count),
                *(format_value(v, "ms") for v in (*quantiles, stats.max)),
            ]
            assert shown[when] == expected, when
    assert len({tuple(row) for row in shown.values()}) == 3


async def test_the_sla_gauges_are_the_hour_up_to_then(app: WootwatchApp, db: Path) -> None:
    shown = {}
    async with app.run_test(size=(120, 40)) as pilot:
        for when, moment in MOMENTS.items():
            await _on(pilot, "3", moment)
            heads = [str(g.render()).split("\n")[0] for g in app.screen.query(SlaGauge)]
            shown[when] = next(h for h in heads if h.startswith("pipeline · messages under 5s"))
    async with await Store.open(db, readonly=True) as store:
        (info,) = await store.series("pipeline.sla_pct")
        for when, moment in MOMENTS.items():
            mean = (await store.window_stats([info], moment - 3600, moment)).mean
            assert f" {format_value(mean, '%')} " in shown[when], when


async def test_the_queues_show_the_depth_then(app: WootwatchApp, db: Path) -> None:
    shown = {}
    async with app.run_test(size=(120, 40)) as pilot:
        for when, moment in MOMENTS.items():
            await _on(pilot, "4", moment)
            rows = {r.line.name: r for r in app.screen.query_one(SidekiqPanel).query(QueueRow)}
            shown[when] = rows["default"].line.depth.text
    for when, moment in MOMENTS.items():
        depth = _last_sample(db, "sidekiq.queue.size", moment, queue="default")
        assert shown[when] == format_value(depth), when
    assert shown["during"] != shown["before"]


async def test_the_alerts_are_in_the_state_they_were_in_then(app: WootwatchApp, db: Path) -> None:
    shown = {}
    async with app.run_test(size=(120, 40)) as pilot:
        for when, moment in MOMENTS.items():
            await _on(pilot, "5", moment)
            table = app.screen.query_one(AlertTable)
            shown[when] = {
                int(key): table.get_cell(key, "state").plain.split()[-1] for key in table.keys
            }
    for when, moment in MOMENTS.items():
        states = _alert_states(db, moment)
        assert shown[when] == {
            alert_id: state for alert_id, (state, _) in states.items() if state != "ok"
        }, when
    assert "resolved" not in shown["before"].values() and "resolved" in shown["after"].values()


async def test_the_logs_end_at_the_moment(app: WootwatchApp, db: Path) -> None:
    shown = {}
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("6")
        await refreshed(pilot)
        live_newest = app.screen.query_one(LogPane).lines[-1].ts
        for when, moment in MOMENTS.items():
            await _on(pilot, "6", moment)
            shown[when] = [line.ts for line in app.screen.query_one(LogPane).lines]
    for when, moment in MOMENTS.items():
        recorded = _log_times(db, moment - 3600, moment)
        assert shown[when] == sorted(recorded[: len(shown[when])]), when
        assert shown[when][-1] == recorded[0] <= moment < live_newest
        assert len(shown[when]) == min(len(recorded), FIRST_READ)


async def test_the_incident_view_lists_what_fired_and_erred_then(
    app: WootwatchApp, db: Path
) -> None:
    shown = {}
    async with app.run_test(size=(200, 50)) as pilot:
        for when, moment in MOMENTS.items():
            await _on(pilot, "7", moment)
            firing = app.screen.query_one(FiringPanel).query_one(LineList).options
            errors = str(app.screen.query_one(NewestErrors).query_one(".lines").render())
            shown[when] = (len(firing), errors.splitlines()[0])
    for when, moment in MOMENTS.items():
        firing = sum(s == "firing" for s, _ in _alert_states(db, moment).values())
        newest = _log_times(db, moment - 1800, moment, level="error")[0]
        assert shown[when][0] == firing, when
        assert shown[when][1].startswith(_hms(newest)), when


async def test_the_incident_view_shows_the_pin_of_then(app: WootwatchApp, db: Path) -> None:
    """A pin set after the moment on view is not on the rewound incident clock."""
    async with await AlertBook.open(db) as book:
        await book.pin_incident(ORIGIN + 100, by="amy", now=AFTER)
    shown = {}
    async with app.run_test(size=(120, 40)) as pilot:
        for when, moment in MOMENTS.items():
            await _on(pilot, "7", moment)
            shown[when] = str(app.screen.query_one("#incident-clock-line", Static).render())
    assert "start not pinned" in shown["before"]
    assert "start not pinned" in shown["during"]  # pinned at +100, after the moment (+50)
    pinned = f"⚑ pinned {_hms(ORIGIN + 100)} (set {_hms(AFTER)} by amy) · 1m30s elapsed"
    assert pinned in shown["after"]


# ---------------------------------------------------------------------- snapshots


def _rewound_on(key: str, moment: float) -> Callable[[Pilot[object]], Awaitable[None]]:
    """A snapshot `run_before`: the screen of `key`, rewound to `moment`."""

    async def run_before(pilot: Pilot[object]) -> None:
        await after(key)(pilot)
        await _rewind(pilot, moment)

    return run_before


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
@pytest.mark.parametrize("key", ["2", "5"])
def test_snapshot_rewound(
    snap_compare: object, db: Path, recording: tuple[Path, float], key: str, size: tuple[int, int]
) -> None:
    """The latency and alerts screens in the middle of the incident, read two minutes later."""
    now = recording[1]
    app = WootwatchApp(db, clock=lambda: now)
    assert snap_compare(app, terminal_size=size, run_before=_rewound_on(key, DURING))  # type: ignore[operator]


async def test_e_while_rewound_exports_as_of_the_moment_on_view(
    app: WootwatchApp, db: Path, recording: tuple[Path, float]
) -> None:
    now = recording[1]
    path = db.parent / "then.md"
    async with app.run_test(size=(120, 40)) as pilot:
        await _rewind(pilot, DURING)
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        assert f"⏪ as of {_hms(DURING)}" in str(app.screen.query_one(Static).render())
        app.screen.query_one(Input).value = str(path)
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    expected = await build_export(
        db, now=now, since=3600, user=current_user(), host=current_host(), at=DURING
    )
    assert path.read_text() == expected and "(as of)" in expected.splitlines()[0]
