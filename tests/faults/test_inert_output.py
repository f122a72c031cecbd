"""Hostile upstream text on every way out: the screens, `wootwatch logs`, both export formats.

Issue 14, "Leaks and unsafe output": the config's own token echoed by an
upstream log line, control characters kept as JSON escapes (`jq -r` replays
them), and invisible characters (zero-width, U+2028/U+2029, the BOM, tag
characters) passed through to the screen and the exports.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import io
import json
import tempfile
import unicodedata
from collections.abc import Iterator
from pathlib import Path

import pytest
from _pilot import refreshed
from _wootwatch import run_wootwatch
from hypothesis import given, settings
from hypothesis import strategies as st
from textual.strip import Strip
from textual.widgets import Input

from collectors.alerts.book import AlertBook
from collectors.base import LogEvent, SourceState, SourceStatus
from collectors.inert import UNSAFE_RANGES, inert
from collectors.store.database import SourceBatch, Store
from collectors.store.log_search import LogMatch, format_line, open_readonly
from tui.app import WootwatchApp
from tui.console import run_summary
from tui.export.gather import gather
from tui.export.json import render_json
from tui.export.markdown_safe import cell, fenced, inline
from tui.export.model import LogLine, Snapshot
from tui.export.redaction import Redactor
from tui.export.write import build_export
from tui.screens.incident import NewestErrors
from tui.screens.logs import LogsScreen
from widgets.log_pane import LogPane
from widgets.source_row import SourceRow

NOW = 1_800_000_000.0
TOKEN = "cwTok9F3xQ7rLm2Vb8Nz"
"""The config's Chatwoot token: no credential word next to it, so only the config can mask it."""
LEAK = f"retrying webhook with {TOKEN} after HTTP 401"
INVISIBLE = "a\u200bb\u200dc\u2028d\u2029e\ufefff\U000e0041\U000e0042g\u00adh\u202ei"
"""Zero-width space and joiner, line and paragraph separators, BOM, tags, soft hyphen, RLO."""
INVISIBLE_SHOWN = "a�b�c␤d␤e�f��g�h�i"
TERMINAL = "\x1b]52;c;ZXZpbA==\x07 \x1b[2J cleared"
"""An OSC 52 clipboard write and a screen clear."""
BAD_CATEGORIES = {"Cc", "Cf", "Zl", "Zp", "Co", "Cs"}


def _unsafe(char: str) -> bool:
    return unicodedata.category(char) in BAD_CATEGORIES or 0xE0000 <= ord(char) <= 0xE007F


@pytest.fixture
async def leaky_db(tmp_path: Path) -> Path:
    path = tmp_path / "w.db"
    lines = [
        LogEvent(NOW - 30, LEAK, "/ecs/web", "web/1", "error", "1"),
        LogEvent(NOW - 20, f"timeout {INVISIBLE}", "/ecs/web", "web/1", "error", "2"),
        LogEvent(NOW - 10, f"timeout {TERMINAL}", "/ecs/web", "web/1", "error", "3"),
    ]
    async with await Store.open(path, clock=lambda: NOW) as store:
        await store.write([SourceBatch("web-logs", lines)])
    return path


@pytest.fixture
def config_file(tmp_path: Path, leaky_db: Path) -> Path:
    path = tmp_path / "wootwatch.yaml"
    path.write_text(
        f"database: {leaky_db}\n"
        "sources:\n"
        "  - type: chatwoot\n"
        "    name: chatwoot-prod\n"
        "    enabled: false\n"
        "    base_url: https://chat.example.com\n"
        "    account_id: 1\n"
        "    api_token: ${CW_TOKEN}\n",
        encoding="utf-8",
    )
    return path


def _strings(value: object) -> Iterator[str]:
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for key, item in value.items():
            yield key
            yield from _strings(item)
    elif isinstance(value, list):
        for item in value:
            yield from _strings(item)


# ------------------------------------------------------------------ the config's token


def test_logs_command_masks_the_configs_token(tmp_path: Path, config_file: Path) -> None:
    """`wootwatch logs --config F` printed a token the config holds in clear."""
    since = ("--since", "1000000d")
    result = run_wootwatch(
        tmp_path, "logs", "retrying", "--config", str(config_file), *since, CW_TOKEN=TOKEN
    )
    assert result.returncode == 0, result.stderr
    assert TOKEN not in result.stdout
    assert "retrying webhook with [redacted] after HTTP 401" in result.stdout


def _row(strip: Strip) -> str:
    return "".join(segment.text for segment in strip).rstrip()


async def test_logs_and_incident_screens_mask_the_configs_token(leaky_db: Path) -> None:
    """The logs screen (a search with highlights, and the newest lines) and the incident view."""
    app = WootwatchApp(leaky_db, clock=lambda: NOW, secrets=[TOKEN])
    async with app.run_test(size=(140, 30)) as pilot:
        await refreshed(pilot)
        await pilot.press("6")
        await refreshed(pilot)
        assert isinstance(app.screen, LogsScreen)
        pane = app.screen.query_one(LogPane)
        newest = "\n".join(_row(pane.render_line(y)) for y in range(pane.line_count))
        await pilot.press("slash")
        search = app.focused
        assert isinstance(search, Input)
        search.value = f"retrying OR {TOKEN}"
        await pilot.press("enter")
        await refreshed(pilot)
        found = [_row(pane.render_line(y)) for y in range(pane.line_count)]
        highlighted = pane.lines[0].spans
        await pilot.press("7")
        await refreshed(pilot)
        errors = str(app.screen.query_one(NewestErrors).query_one(".lines").render())
    for shown in (newest, "\n".join(found), errors):
        assert TOKEN not in shown
        assert "retrying webhook with [redacted] after HTTP 401" in shown
    message = pane.lines[0].message
    assert [message[a:b] for a, b in highlighted] == ["retrying", "[redacted]"]


async def test_a_source_error_that_echoes_the_token_is_masked_on_screen_and_in_the_summary(
    leaky_db: Path,
) -> None:
    """An error page repeating the token reached the overview and the plain summary."""
    error = f"auth failed: no account for {TOKEN} (HTTP 401)"
    async with await Store.open(leaky_db, clock=lambda: NOW) as store:
        status = SourceStatus("chatwoot", SourceState.DOWN, NOW, None, error, 1)
        await store.write([SourceBatch("chatwoot", [], status)])
    app = WootwatchApp(leaky_db, clock=lambda: NOW, secrets=[TOKEN])
    async with app.run_test(size=(140, 30)) as pilot:
        await refreshed(pilot)
        [row] = [r for r in app.screen.query(SourceRow) if r.view.source == "chatwoot"]
        shown = str(row.query_one(".source-detail").render())
    summary = _Drawn()
    async with await Store.open(leaky_db, readonly=True) as store:
        drawing = asyncio.create_task(
            run_summary(store, summary, refresh=3600, clock=lambda: NOW, redact=Redactor([TOKEN]))
        )
        await summary.drawn.wait()
        drawing.cancel()
    for text in (shown, summary.getvalue()):
        assert TOKEN not in text and "no account for [redacted]" in text


class _Drawn(io.StringIO):
    """Where the plain summary draws; says when it has drawn once."""

    def __init__(self) -> None:
        super().__init__()
        self.drawn = asyncio.Event()

    def flush(self) -> None:
        self.drawn.set()


# ------------------------------------------------------------------ JSON export


async def test_json_export_carries_inert_text_so_jq_r_cannot_steer_a_terminal(
    leaky_db: Path,
) -> None:
    """`export --format json` kept ESC as `\\u001b`: `jq -r` printed a clipboard write."""
    text = await build_export(
        leaky_db, now=NOW, since=3600, user="amy", host="h", fmt="json", secrets=[TOKEN]
    )
    document = json.loads(text)
    printed = "\n".join(_strings(document))  # what `jq -r '.. | strings'` prints
    assert not [char for char in printed if char != "\n" and _unsafe(char)]
    assert "␛]52;c;ZXZpbA==␇ ␛[2J cleared" in printed
    assert INVISIBLE_SHOWN in printed and TOKEN not in printed
    assert text.isascii()


# ------------------------------------------------------------------ invisible characters


async def test_invisible_characters_show_as_symbols_on_screen_and_in_every_output(
    tmp_path: Path, leaky_db: Path, config_file: Path
) -> None:
    """Zero-width characters, U+2028/U+2029, the BOM and tag characters were passed through."""
    app = WootwatchApp(leaky_db, clock=lambda: NOW)
    async with app.run_test(size=(140, 30)) as pilot:
        await refreshed(pilot)
        await pilot.press("6")
        await refreshed(pilot)
        pane = app.screen.query_one(LogPane)
        screen = "\n".join(_row(pane.render_line(y)) for y in range(pane.line_count))
    markdown = await build_export(leaky_db, now=NOW, since=3600, user="amy", host="h")
    command = run_wootwatch(
        tmp_path, "logs", "timeout", "--db", str(leaky_db), "--since", "1000000d"
    )
    for shown in (screen, markdown, command.stdout):
        assert not [char for char in shown if char != "\n" and _unsafe(char)]
    assert f"timeout {INVISIBLE_SHOWN}" in screen
    assert f"timeout {INVISIBLE_SHOWN}" in command.stdout
    assert f"timeout {INVISIBLE_SHOWN}" in markdown


def test_the_table_of_unsafe_characters_matches_this_pythons_unicode() -> None:
    """`UNSAFE_RANGES` is hard-coded: it must hold every Cc, Cf, Zl and Zp code point."""
    listed = {code for low, high in UNSAFE_RANGES for code in range(low, high + 1)}
    planes = (*range(0x30000), *range(0xE0000, 0xE1000))
    missing = [
        hex(code)
        for code in planes
        if unicodedata.category(chr(code)) in BAD_CATEGORIES and code not in listed
    ]
    assert missing == []


# ------------------------------------------------------------------ properties

HOSTILE_CHARS = st.sampled_from(
    "\x00\x07\x1b\x7f\x85\x9b\u200b\u200d\u2028\u2029\u202e\u2066\ufeff\U000e0001\U000e0041"
    "\U000e007f\ue000\udb80\U000f0000\u00ad\u0600\u061c\n\t\r"
)
TEXT = st.text(st.one_of(st.characters(exclude_categories=()), HOSTILE_CHARS), max_size=60)
"""Any code point, surrogates and private use included, with the dangerous ones often."""


def _clean(text: str, *, newlines: bool = False) -> bool:
    return not [c for c in text if _unsafe(c) and not (newlines and c == "\n")]


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_inert_output_holds_no_control_or_invisible_character(text: str) -> None:
    shown = inert(text)
    assert _clean(shown) and len(shown) == len(text)
    assert [a == b for a, b in zip(shown, text, strict=True)] == [not _unsafe(c) for c in text]
    assert _clean(inert(text, keep_newlines=True), newlines=True)


@settings(max_examples=200, deadline=None)
@given(TEXT)
def test_every_output_format_holds_no_control_or_invisible_character(text: str) -> None:
    assert _clean(inline(text)) and _clean(cell(text))
    assert _clean(fenced([text, text]), newlines=True)
    match = LogMatch(1, NOW, text, text, text, "error", text, ())
    assert _clean(format_line(match))
    line = LogLine(NOW, "error", text, text, text, text)
    snapshot = dataclasses.replace(_empty_snapshot(), log_lines=(line,))
    document = json.loads(render_json(snapshot))
    assert all(_clean(s, newlines=True) for s in _strings(document))


@functools.cache
def _empty_snapshot() -> Snapshot:
    """A snapshot of an empty database, to put one line of text into."""

    async def read(path: Path) -> Snapshot:
        await (await Store.open(path)).close()
        async with (
            await Store.open(path, readonly=True) as store,
            await AlertBook.open(path, readonly=True) as book,
        ):
            logs = open_readonly(path)
            try:
                return await gather(store, book, logs, now=NOW, since=60, user="u", host="h")
            finally:
                logs.close()

    with tempfile.TemporaryDirectory() as tmp:
        return asyncio.run(read(Path(tmp) / "empty.db"))
