"""`wootwatch annotate` (issue 18): author, time, source, inert text, one-line usage errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from collectors.alerts.annotations import read_annotations
from collectors.alerts.book import AlertBook
from collectors.store.database import Store
from tui.cli import main

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


@pytest.mark.parametrize(
    ("argv", "words"),
    [
        (["annotate", ""], "needs some text"),
        (["annotate", "x" * 501], "at most 500 characters"),
        (["annotate", "a\nb\nc\nd\ne\nf"], "at most 5 lines"),
        (["annotate", "ok", "--source", " "], "--source must not be empty"),
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
