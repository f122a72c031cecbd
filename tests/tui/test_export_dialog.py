"""The `e` key of the live view: ask where, save the same document as `wootwatch export`."""

from __future__ import annotations

import base64
import shutil
from pathlib import Path

import pytest
from textual.message import Message
from textual.notifications import Notification, Notify
from textual.widgets import Input

from collectors.base import LogEvent
from collectors.store.database import SourceBatch, Store
from tui.app import WootwatchApp
from tui.data.reader import current_user
from tui.dialogs.export import ExportDialog
from tui.export.write import build_export, current_host, default_filename


@pytest.fixture
def demo(
    tmp_path: Path, recorded_demo: tuple[Path, float], monkeypatch: pytest.MonkeyPatch
) -> tuple[Path, float]:
    (tmp_path / "db").mkdir()
    shutil.copy(recorded_demo[0], tmp_path / "db" / "demo.db")
    monkeypatch.chdir(tmp_path)
    return tmp_path / "db" / "demo.db", recorded_demo[1]


class Notes(list[Notification]):
    def hook(self, message: Message) -> None:
        if isinstance(message, Notify):
            self.append(message.notification)


async def test_e_saves_the_snapshot_where_asked_and_names_the_path(
    tmp_path: Path, demo: tuple[Path, float]
) -> None:
    db, now = demo
    notes = Notes()
    app = WootwatchApp(db, clock=lambda: now)
    async with app.run_test(size=(120, 40), message_hook=notes.hook) as pilot:
        await pilot.press("e")
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
        box = app.screen.query_one(Input)
        assert box.value == default_filename(now)
        box.value = ""
        await pilot.press(*"incident.md", "enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, ExportDialog)
    written = tmp_path / "incident.md"
    expected = await build_export(db, now=now, since=3600, user=current_user(), host=current_host())
    assert written.read_text() == expected
    assert [n.message for n in notes] == [f"Snapshot saved to {written}"]


async def test_escape_saves_nothing(tmp_path: Path, demo: tuple[Path, float]) -> None:
    app = WootwatchApp(demo[0], clock=lambda: demo[1])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("escape")
        await pilot.pause()
        assert not isinstance(app.screen, ExportDialog)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["db"]


async def test_a_path_that_cannot_be_written_says_why_and_stays_open(
    tmp_path: Path, demo: tuple[Path, float]
) -> None:
    notes = Notes()
    app = WootwatchApp(demo[0], clock=lambda: demo[1])
    async with app.run_test(size=(120, 40), message_hook=notes.hook) as pilot:
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one(Input).value = "no/such/dir/x.md"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert isinstance(app.screen, ExportDialog)
    assert len(notes) == 1 and notes[0].severity == "error"
    assert notes[0].message.startswith(f"cannot write {tmp_path}/no/such/dir/x.md: ")


async def test_the_tuis_export_masks_the_configs_secrets(
    tmp_path: Path, demo: tuple[Path, float]
) -> None:
    """The live view passes the config's secret values on: an upstream line quoting one
    (with nothing secret-shaped around it) is masked in the file."""
    db, now = demo
    secret = "QzTkValueOfTheApiToken"
    async with await Store.open(db, clock=lambda: now) as store:
        line = LogEvent(now - 30, f"retrying with {secret} after a refusal", level="error")
        await store.write([SourceBatch("logs", [line])])
    app = WootwatchApp(db, clock=lambda: now, secrets=[secret])
    async with app.run_test(size=(120, 40)) as pilot:
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one(Input).value = "masked.md"
        await pilot.press("enter")
        await app.workers.wait_for_complete()
        await pilot.pause()
    written = (tmp_path / "masked.md").read_text(encoding="utf-8")
    assert "retrying with" in written
    assert secret not in written


async def test_ctrl_b_saves_the_brief_and_ctrl_y_copies_it_with_osc_52(
    tmp_path: Path, demo: tuple[Path, float]
) -> None:
    """Issue 16: the brief from the `e` dialog, to a file or to the laptop's clipboard."""
    db, now = demo
    brief = await build_export(
        db, now=now, since=3600, user=current_user(), host=current_host(), fmt="brief"
    )
    notes = Notes()
    app = WootwatchApp(db, clock=lambda: now)
    async with app.run_test(size=(80, 24), message_hook=notes.hook) as pilot:
        await pilot.press("e")
        await pilot.pause()
        app.screen.query_one(Input).value = "brief.md"
        await pilot.press("ctrl+b")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, ExportDialog)
        assert (tmp_path / "brief.md").read_text() == brief
        sent: list[str] = []
        assert app._driver is not None
        app._driver.write = sent.append  # type: ignore[method-assign,assignment]
        await pilot.press("e")
        await pilot.pause()
        await pilot.press("ctrl+y")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert not isinstance(app.screen, ExportDialog)
    assert app.clipboard == brief
    osc = base64.b64encode(brief.encode()).decode()
    assert f"\x1b]52;c;{osc}\a" in sent
    assert notes[0].message == f"Brief saved to {tmp_path / 'brief.md'}"
    assert notes[1].title == "Copied" and "OSC 52" in notes[1].message
    assert "set-clipboard on" in notes[1].message
