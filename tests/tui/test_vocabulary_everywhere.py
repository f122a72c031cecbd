"""Every severity, alert state and flag reads with one icon and one word everywhere (issue 15).

One database holds an alert of every severity in every state (firing ones
acknowledged, flapping and silenced too); the alerts screen's lines, the
`alerts` CLI table, `alerts --json` and both export formats
draw it. Wherever a word appears with an icon before it, that icon is the one
`widgets.vocab` gives, and each word is there.
"""

from __future__ import annotations

import asyncio
import io
import json
import re
from pathlib import Path

import pytest

from collectors.alerts.book import AlertBook
from collectors.alerts.rules import Severity
from collectors.alerts.state import AlertState
from collectors.store.database import Store
from tui.commands.alerts import _alerts
from tui.export.write import FORMATS, build_export
from tui.panels.alert_lines import alert_line, alert_title
from widgets.vocab import ALERT_STATE_ICONS, FLAG_ICONS, SEVERITY_ICONS

NOW = 1_900_000_000.0
SEVERITIES = [str(s) for s in Severity]
STATES = ["pending", "firing", "resolved"]
WORDS = {**SEVERITY_ICONS, **ALERT_STATE_ICONS, **FLAG_ICONS}


async def _record(path: Path) -> None:
    async with await Store.open(path, clock=lambda: NOW):
        pass
    async with await AlertBook.open(path) as book:
        for n, (severity, state) in enumerate((v, s) for v in SEVERITIES for s in STATES):
            async with book.transaction() as writer:
                alert_id = await writer.create(
                    rule=f"rule_{n}", labels={"source": "sidekiq"}, severity=Severity(severity),
                    state=AlertState.FIRING if state == "resolved" else AlertState(state),
                    value=51.0, summary="", t=NOW - 300, flapping=state == "firing",
                )  # fmt: skip
                if state == "resolved":
                    await writer.transition(
                        alert_id, from_state=AlertState.FIRING, to_state=AlertState.RESOLVED,
                        t=NOW - 60, value=1.0, resolved_at=NOW - 60,
                    )  # fmt: skip
            if state == "firing":
                await book.acknowledge(alert_id, "ana", "on it", NOW - 200)
                await book.add_silence(
                    {"rule": f"rule_{n}"}, starts_at=NOW - 100, ends_at=NOW + 3600,
                    created_by="ana", comment="deploy", now=NOW - 100,
                )  # fmt: skip


@pytest.fixture
def outputs(tmp_path: Path) -> dict[str, str]:
    db = tmp_path / "alerts.db"
    asyncio.run(_record(db))

    async def read() -> dict[str, str]:
        async with await AlertBook.open(db, readonly=True) as book:
            rows, silences = await book.visible(NOW), await book.silences(NOW)
        titles = [alert_title(row) for row in rows]
        notes = [alert_line(row, silences, NOW, {}).notes for row in rows]
        found = {"alerts screen": "\n".join(titles + notes)}
        for as_json in (False, True):
            out = io.StringIO()
            await _alerts(db, as_json, out, NOW, lambda: {})
            found["cli json" if as_json else "cli"] = out.getvalue()
        for fmt in FORMATS:
            found[f"export {fmt}"] = await build_export(
                db, now=NOW, since=3600.0, user="amy", host="h", fmt=fmt
            )
        return found

    return asyncio.run(read())


def _icons_before(text: str, word: str) -> set[str]:
    """The non-ASCII marks right before `word` (a count may sit between: `✖ 2 critical`)."""
    return set(re.findall(rf"([^\x00-\x7f\s→]) (?:\d+ )?{re.escape(word)}\b", text))


def test_every_word_has_its_one_icon_in_every_output(outputs: dict[str, str]) -> None:
    for what, text in outputs.items():
        if what in {"cli json", "export json"}:
            continue
        for word, icon in WORDS.items():
            assert _icons_before(text, word) <= {icon}, (what, word)


def test_every_severity_state_and_flag_is_drawn_in_the_cli_table_and_the_lines(
    outputs: dict[str, str],
) -> None:
    for what in ("cli", "alerts screen"):
        for word, icon in WORDS.items():
            assert f"{icon} {word}" in outputs[what], (what, word)
    for severity in SEVERITIES:
        assert f"{SEVERITY_ICONS[severity]} {severity}" in outputs["export markdown"]


def test_the_json_outputs_use_the_same_words_and_no_icons(outputs: dict[str, str]) -> None:
    rows = json.loads(outputs["cli json"])
    assert {row["severity"] for row in rows} == set(SEVERITY_ICONS)
    assert {row["state"] for row in rows} == set(ALERT_STATE_ICONS)
    export = outputs["export json"]
    assert not set(export) & set("".join(WORDS.values()))
