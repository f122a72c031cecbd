from __future__ import annotations

from pathlib import Path

import pytest
from _pilot import after, refreshed
from textual.pilot import Pilot
from textual.widgets import Input, Static

from collectors.alerts.book import AlertBook, AlertRow
from collectors.alerts.rules import Severity
from collectors.alerts.state import AlertState
from tui.app import WootwatchApp
from tui.dialogs.ack import AckDialog
from tui.dialogs.alert_history import AlertHistoryDialog
from tui.dialogs.silence import SilenceDialog
from tui.screens.alerts import AlertsPanel, AlertsScreen, SilencesPanel
from widgets.alert_table import AlertTable
from widgets.keyed_table import KeyedTable

HOSTILE = "\x1b[2J\x1b]52;c;aGk=\x07[link=https://evil]x[/link][bold red]"
INERT = "␛[2J␛]52;c;aGk=␇[link=https://evil]x[/link][bold red]"
USER = "ana"


@pytest.fixture(autouse=True)
def _user(monkeypatch: pytest.MonkeyPatch) -> None:
    """Acks and silences are recorded as `$LOGNAME` (getpass), the same on every machine."""
    monkeypatch.setenv("LOGNAME", USER)


async def _alerts_screen(pilot: Pilot[None]) -> AlertsScreen:
    await pilot.press("5")
    await refreshed(pilot)
    screen = pilot.app.screen
    assert isinstance(screen, AlertsScreen)
    return screen


async def _press_on_first_alert(pilot: Pilot[None], key: str) -> tuple[AlertsScreen, AlertRow]:
    """The Alerts screen, its first alert (selected), after `key` was pressed on it."""
    screen = await _alerts_screen(pilot)
    alert = screen.query_one(AlertsPanel).selected
    assert alert is not None
    await pilot.press(key)
    await pilot.pause()
    return screen, alert


async def _type(pilot: Pilot[None], text: str) -> None:
    await pilot.press(*("space" if char == " " else char for char in text))


def _select(screen: AlertsScreen, alert_id: int) -> None:
    table = screen.query_one(AlertTable)
    table.move_cursor(row=table.keys.index(str(alert_id)))


def _cell(screen: AlertsScreen, alert_id: int, column: str) -> str:
    return screen.query_one(AlertTable).get_cell(str(alert_id), column).plain


def _notes(app: WootwatchApp) -> list[str]:
    return [notification.message for notification in app._notifications]


async def _stored(path: Path, alert_id: int) -> AlertRow:
    async with await AlertBook.open(path, readonly=True) as other_process:
        alert = await other_process.get(alert_id)
    assert alert is not None
    return alert


async def test_rows_are_firing_by_severity_then_pending_then_resolved(
    demo_app: WootwatchApp,
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _alerts_screen(pilot)
        shown = screen.query_one(AlertsPanel).shown
        states = [a.state for a in shown]
        assert states == sorted(
            states, key=[AlertState.FIRING, AlertState.PENDING, AlertState.RESOLVED].index
        )
        firing = [a for a in shown if a.state is AlertState.FIRING]
        assert [a.severity.rank for a in firing] == sorted(
            (a.severity.rank for a in firing), reverse=True
        )
        critical = [a.updated_at for a in firing if a.severity is Severity.CRITICAL]
        assert critical == sorted(critical, reverse=True)  # newest first
        first = shown[0]
        assert _cell(screen, first.id, "severity") == "✖ critical"
        assert _cell(screen, first.id, "state") == "● firing"
        assert _cell(screen, shown[-1].id, "state") == "✓ resolved"


async def test_acknowledge_with_a_note_is_seen_by_another_process(
    demo_app: WootwatchApp, demo_db: Path
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen, alert = await _press_on_first_alert(pilot, "a")
        assert alert.state is AlertState.FIRING
        assert isinstance(demo_app.screen, AckDialog)
        await _type(pilot, "scaling workers")
        await pilot.press("enter")
        await pilot.pause()
        assert demo_app.screen is screen
        acked = await _stored(demo_db, alert.id)
        assert (acked.acknowledged_by, acked.ack_note) == (USER, "scaling workers")
        # The row shows it at once, without waiting for the next refresh.
        assert _cell(screen, alert.id, "ack") == f"✓ {USER}: scal…"  # the whole note below
        detail = str(screen.query_one(".alert-detail", Static).render())
        assert f"acknowledged by {USER}" in detail and "scaling workers" in detail


async def test_escape_cancels_an_ack_and_a_pending_alert_cannot_be_acked(
    demo_app: WootwatchApp, demo_db: Path
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen, alert = await _press_on_first_alert(pilot, "a")
        await _type(pilot, "oops")
        await pilot.press("escape")
        await pilot.pause()
        assert demo_app.screen is screen
        assert (await _stored(demo_db, alert.id)).acknowledged_by is None

        pending = next(
            a for a in screen.query_one(AlertsPanel).shown if a.state is AlertState.PENDING
        )
        _select(screen, pending.id)
        await pilot.press("a")
        await pilot.pause()
        assert demo_app.screen is screen  # no dialog: nothing to acknowledge
        assert any("only a firing alert" in note for note in _notes(demo_app))


async def test_an_alert_that_resolves_while_the_dialog_is_open_is_one_line(
    demo_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen, alert = await _press_on_first_alert(pilot, "a")
        async with await AlertBook.open(demo_db) as collector, collector.transaction() as writer:
            await writer.transition(
                alert.id,
                from_state=AlertState.FIRING,
                to_state=AlertState.RESOLVED,
                t=demo_now,
                value=alert.value,
                resolved_at=demo_now,
            )
        await pilot.press("enter")
        await pilot.pause()
        assert demo_app.screen is screen
        assert (
            f"Alert #{alert.id} resolved at 11:08 (<10s ago): there is nothing left to "
            in (_notes(demo_app)[-1])
        )
        assert _notes(demo_app)[-1].endswith("(it changed while the dialog was open)")
        assert (await _stored(demo_db, alert.id)).acknowledged_by is None
        assert _cell(screen, alert.id, "state") == "✓ resolved"


async def test_silence_a_rule_then_end_the_silence(
    demo_app: WootwatchApp, demo_db: Path, demo_now: float
) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen, alert = await _press_on_first_alert(pilot, "s")
        dialog = demo_app.screen
        assert isinstance(dialog, SilenceDialog)
        duration = dialog.query_one("#silence-for", Input)
        duration.value = ""
        await _type(pilot, "xx")
        await pilot.press("enter")
        await pilot.pause()
        error = dialog.query_one("#silence-error", Static)
        assert error.has_class("-shown") and "invalid duration 'xx'" in str(error.render())
        assert demo_app.screen is dialog  # still asking: nothing written
        async with await AlertBook.open(demo_db, readonly=True) as other_process:
            assert await other_process.silences(demo_now) == []

        duration.value = ""
        await _type(pilot, "2h")
        await pilot.press("enter")  # a good duration: on to the comment
        await pilot.pause()
        assert not error.has_class("-shown")
        await pilot.press("enter")  # no comment yet
        await pilot.pause()
        assert "say why" in str(error.render()) and demo_app.screen is dialog
        await _type(pilot, "deploy in progress")
        await pilot.press("enter")
        await pilot.pause()
        assert demo_app.screen is screen

        async with await AlertBook.open(demo_db, readonly=True) as other_process:
            [silence] = await other_process.silences(demo_now)
        assert silence.matchers == {"rule": alert.rule}
        assert (silence.starts_at, silence.ends_at) == (demo_now, demo_now + 7200)
        assert (silence.created_by, silence.comment) == (USER, "deploy in progress")
        assert _cell(screen, alert.id, "ack").startswith("🔕 ")
        silences = screen.query_one(SilencesPanel).query_one(KeyedTable)
        assert silences.keys == [str(silence.id)]

        await pilot.press("u")
        await pilot.pause()
        async with await AlertBook.open(demo_db, readonly=True) as other_process:
            assert await other_process.silences(demo_now) == []
        assert "🔕" not in _cell(screen, alert.id, "ack")
        assert screen.query_one(SilencesPanel).query_one(".absent", Static).display


async def test_history_lists_the_transitions(demo_app: WootwatchApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _alerts_screen(pilot)
        slow = next(
            a
            for a in screen.query_one(AlertsPanel).shown
            if a.rule == "chatwoot_response_time_critical"
        )
        _select(screen, slow.id)
        for key in ("h", "enter"):
            await pilot.press(key)
            await pilot.pause()
            dialog = demo_app.screen
            assert isinstance(dialog, AlertHistoryDialog)
            table = dialog.query_one(KeyedTable)
            changes = [table.get_row_at(row)[2].plain for row in range(table.row_count)]
            kinds = [table.get_row_at(row)[1].plain for row in range(table.row_count)]
            assert changes[:2] == ["ok → pending", "pending → firing"]
            assert "notify" in kinds
            await pilot.press("escape")
            await pilot.pause()
            assert demo_app.screen is screen


async def test_f_cycles_the_severity_filter(demo_app: WootwatchApp) -> None:
    async with demo_app.run_test(size=(120, 40)) as pilot:
        screen = await _alerts_screen(pilot)
        panel = screen.query_one(AlertsPanel)
        table = screen.query_one(AlertTable)
        every = {str(a.id): a.severity for a in panel.shown}
        expected = {
            "critical": {Severity.CRITICAL},
            "error+": {Severity.ERROR, Severity.CRITICAL},
            "warning+": {Severity.WARNING, Severity.ERROR, Severity.CRITICAL},
        }
        assert len([s for s in every.values() if s is Severity.CRITICAL]) < len(every)
        for name, allowed in expected.items():
            await pilot.press("f")
            assert panel.filter_name == name and f"filter {name}" in str(panel.border_title)
            assert table.keys == [key for key in every if every[key] in allowed]
            assert table.keys
        await pilot.press("f")  # info: the demo has none
        await pilot.pause()
        absent = panel.query_one(".absent", Static)
        assert absent.display and "No info alerts" in str(absent.render())
        assert not table.display
        await pilot.press("f")
        assert panel.filter_name == "all" and table.keys == list(every)


async def test_hostile_summaries_labels_notes_and_comments_are_inert(
    demo_db: Path, demo_now: float
) -> None:
    async with await AlertBook.open(demo_db) as book:
        async with book.transaction() as writer:
            alert_id = await writer.create(
                rule=f"r{HOSTILE}",
                labels={"source": HOSTILE},
                severity=Severity.CRITICAL,
                state=AlertState.FIRING,
                value=1.0,
                summary=HOSTILE,
                t=demo_now,
                flapping=False,
            )
        await book.acknowledge(alert_id, HOSTILE, HOSTILE, demo_now)
        await book.add_silence(
            {"rule": f"r{HOSTILE}"},
            starts_at=demo_now,
            ends_at=demo_now + 600,
            created_by=HOSTILE,
            comment=HOSTILE,
            now=demo_now,
        )
    app = WootwatchApp(demo_db, clock=lambda: demo_now)
    async with app.run_test(size=(120, 40)) as pilot:
        screen = await _alerts_screen(pilot)
        _select(screen, alert_id)
        await pilot.pause()
        table = screen.query_one(AlertTable)
        shown = [cell.plain for cell in table.get_row(str(alert_id))]
        detail = str(screen.query_one(".alert-detail", Static).render())
        silences = screen.query_one(SilencesPanel).query_one(KeyedTable)
        silence = [
            cell.plain for row in range(silences.row_count) for cell in silences.get_row_at(row)
        ]
        await pilot.press("h")
        await pilot.pause()
        history = app.screen.query_one(KeyedTable)
        notes = [history.get_row_at(row)[5].plain for row in range(history.row_count)]
        for text in [*shown, detail, *silence, *notes]:
            assert "\x1b" not in text and "\x07" not in text
        assert shown[1] == f"r{INERT}"[:27] + "…"
        assert shown[3] == f"✓ {INERT}"[:11] + "…"
        assert shown[6] == INERT[:39] + "…"
        assert f"{{source={INERT}}}" in detail and f"by {INERT}: {INERT}" in detail
        assert INERT in silence and INERT in notes


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_snapshot_alerts(
    snap_compare: object, demo_db: Path, demo_now: float, size: tuple[int, int]
) -> None:
    app = WootwatchApp(demo_db, clock=lambda: demo_now)
    assert snap_compare(app, terminal_size=size, run_before=after("5"))  # type: ignore[operator]


def test_snapshot_ack_dialog(snap_compare: object, demo_db: Path, demo_now: float) -> None:
    async def run_before(pilot: Pilot[None]) -> None:
        await after("5")(pilot)
        await pilot.press("a")
        await pilot.pause()
        pilot.app.screen.query_one(Input).cursor_blink = False
        await _type(pilot, "on it")
        await pilot.pause()

    app = WootwatchApp(demo_db, clock=lambda: demo_now)
    assert snap_compare(app, terminal_size=(80, 24), run_before=run_before)  # type: ignore[operator]


async def test_the_selected_row_reads_without_colour(demo_app: WootwatchApp) -> None:
    """Issue 16: the row under the cursor is reverse video, seen on a NO_COLOR terminal too."""
    async with demo_app.run_test(size=(80, 24)) as pilot:
        screen = await _alerts_screen(pilot)
        table = screen.query_one(AlertTable)
        table.move_cursor(row=1)
        await pilot.pause()
        header = table.header_height

        def reversed_text(row: int) -> str:
            strip = table.render_line(header + row)
            return "".join(s.text for s in strip if s.style is not None and s.style.reverse)

        assert "chatwoot_sla_compliance_low" in reversed_text(1)
        assert reversed_text(0) == "" and reversed_text(2) == ""
