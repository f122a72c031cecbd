from __future__ import annotations

from textual.app import App, ComposeResult

from widgets.alert_table import AlertLine, AlertTable


class _Harness(App[None]):
    def compose(self) -> ComposeResult:
        yield AlertTable()


def _line(key: str, severity: str, state: str, notes: str = "") -> AlertLine:
    return AlertLine(key, severity, state, "1m", "queue_depth_high", notes, "885", "summary")


async def test_severity_and_state_read_as_icon_and_word() -> None:
    app = _Harness()
    async with app.run_test(size=(120, 8)) as pilot:
        table = app.query_one(AlertTable)
        table.show_alerts(
            [_line("1", "critical", "firing"), _line("2", "info", "resolved", "✓ acked by ana")]
        )
        await pilot.pause()
        first = [cell.plain for cell in table.get_row("1")]
        second = [cell.plain for cell in table.get_row("2")]
        assert first[0] == "✖ critical" and first[4] == "● firing"
        assert second[0] == "ℹ info" and second[4] == "✓ resolved" and second[3] == "✓ ana"
        critical_colour = table.get_row("1")[0].style
        app.theme = "dracula"
        await pilot.pause()
        assert table.get_row("1")[0].style != critical_colour  # restyled for the new theme


async def test_at_80_columns_severity_rule_value_and_ack_mark_are_on_screen() -> None:
    """Issue 16: names and notes are cut with an ellipsis; an ack note never widens the table."""
    app = _Harness()
    async with app.run_test(size=(80, 8)) as pilot:
        table = app.query_one(AlertTable)
        rule = "chatwoot_pending_backlog_sustained {source=chatwoot}"
        note = "✓ acked by ana: scaling the workers, then a word with the database team"
        line = AlertLine("1", "error", "firing", "11:07", rule, note, "30 conv", "x" * 80)
        table.show_alerts([line])
        await pilot.pause()
        cells = [cell.plain for cell in table.get_row("1")]
        assert cells[:4] == ["◆ error", "chatwoot_pending_backlog_su…", "30 conv", "✓ ana: scal…"]
        assert cells[6] == "x" * 39 + "…"
        shown = sum(column.get_render_width(table) for column in list(table.columns.values())[:4])
        assert shown <= 80 - 4 - 1  # inside a bordered panel with a one-column scrollbar
