"""`wootwatch annotate` (issue 18): author, time, source, inert text, one-line usage errors."""

from __future__ import annotations

import asyncio
import io
import time
from pathlib import Path

import pytest

from collectors.alerts.annotations import read_annotations
from collectors.alerts.book import AlertBook
from collectors.store.database import Store
from tui.cli import build_parser, main
from tui.commands.annotate import run

HOSTILE = "[red]x[/] \x1b[2J\x07 **bold** `code`"


async def _create(path: Path) -> None:
    async with await Store.open(path):
        pass


@pytest.fixture
def db(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    path = tmp_path / "w.db"
    asyncio.run(_create(path))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "state"))
    monkeypatch.setenv("USER", "oncall-amy")
    monkeypatch.setenv("LOGNAME", "oncall-amy")
    monkeypatch.delenv("WOOTWATCH_DB", raising=False)
    monkeypatch.chdir(tmp_path)
    return path


def stored_times(path: Path) -> list[float]:
    async def read() -> list[float]:
        async with await AlertBook.open(path, readonly=True) as book:
            return [a.ts for a in await read_annotations(book, 0, 1e12)]

    return asyncio.run(read())


def stored(path: Path) -> list[tuple[str, str, str | None]]:
    async def read() -> list[tuple[str, str, str | None]]:
        async with await AlertBook.open(path, readonly=True) as book:
            return [(a.author, a.text, a.source) for a in await read_annotations(book, 0, 1e12)]

    return asyncio.run(read())


def test_annotate_records_the_author_source_and_text(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["annotate", "deploy v4.2.1", "--source", "chatwoot", "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert out.startswith("annotation 1 at ") and "on chatwoot by oncall-amy: deploy v4.2.1" in out
    assert stored(db) == [("oncall-amy", "deploy v4.2.1", "chatwoot")]


def test_hostile_text_is_stored_as_given_and_printed_inert(
    db: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["annotate", HOSTILE, "--db", str(db)]) == 0
    out = capsys.readouterr().out
    assert "\x1b" not in out and "\x07" not in out and "␛[2J␇" in out and "[red]x[/]" in out
    assert stored(db) == [("oncall-amy", HOSTILE, None)]


def test_the_database_comes_from_wootwatch_db_without_db(
    db: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("WOOTWATCH_DB", str(db))
    assert main(["annotate", "from a hook"]) == 0
    assert stored(db) == [("oncall-amy", "from a hook", None)]


def test_at_names_the_time_as_the_rewind_does(db: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    now = 1_795_000_085.0  # 2026-11-18 11:08:05 UTC
    for at in ("-25m", "11:06:40", "2026-11-18 11:00"):
        args = build_parser().parse_args(["annotate", f"at {at}", f"--at={at}", "--db", str(db)])
        assert run(args, io.StringIO(), clock=lambda: now) == 0
    asyncio.run(_pin(db, now - 60))
    args = build_parser().parse_args(["annotate", "at pin", "--at", "pin", "--db", str(db)])
    assert run(args, io.StringIO(), clock=lambda: now) == 0
    assert stored_times(db) == [now - 1500, now - 485, now - 85, now - 60, now - 60]  # + the pin's


async def _pin(db: Path, start: float) -> None:
    async with await AlertBook.open(db) as book:
        await book.pin_incident(start, by="amy")


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["annotate", ""], "needs some text"),
        (["annotate", "x" * 501], "at most 500 characters"),
        (["annotate", "a\nb\nc\nd\ne\nf"], "at most 5 lines"),
        (["annotate", "ok", "--source", " "], "--source must not be empty"),
        (["annotate", "ok", "--at", "25:99"], "--at '25:99' is not a time of day"),
        (["annotate", "ok", "--at", "pin"], "no incident is pinned"),
        (["annotate"], "the following arguments are required: TEXT"),
    ],
)
def test_bad_input_is_one_line_and_exit_2(
    db: Path, argv: list[str], words: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert exit_code([*argv, "--db", str(db)]) == 2
    err = capsys.readouterr().err
    assert words in err and err.count("\n") == 1
    assert stored(db) == []


def exit_code(argv: list[str]) -> int:
    try:
        return main(argv)
    except SystemExit as ended:  # argparse's own usage errors
        return int(ended.code or 0)
