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
        assert first[:2] == ["✖ critical", "● firing"]
        assert second[:2] == ["ℹ info", "✓ resolved"] and second[4] == "✓ acked by ana"
        critical_colour = table.get_row("1")[0].style
        app.theme = "dracula"
        await pilot.pause()
        assert table.get_row("1")[0].style != critical_colour  # restyled for the new theme
