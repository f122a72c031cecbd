"""Whatever file is passed as the database, every command says in one line what is wrong with it.

Issue 14 ("every database path is escaped once", "a database that is not
wootwatch's is refused and never altered", "database errors are one line")
and issue 12, item 5 (a directory, an unreadable file, another format, a
newer schema: one line, exit 1, no traceback, nothing written).
"""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from _wootwatch import (
    fingerprint,
    firing_alert,
    run_in_process,
    run_process,
    write_config,
)

from collectors.alerts.book import AlertBook
from collectors.store.database import Store
from collectors.store.db_file import APPLICATION_ID

pytestmark = pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")

COMMANDS = {
    "attach": ["--attach", "{db}"],
    "collect": ["collect", "--once", "--config", "{config}", "--db", "{db}"],
    "alerts": ["alerts", "--db", "{db}"],
    "ack": ["ack", "1", "--db", "{db}"],
    "silence": ["silence", "*", "--for", "1h", "--comment", "deploy", "--db", "{db}"],
    "export": ["export", "--db", "{db}"],
    "logs": ["logs", "timeout", "--db", "{db}"],
    "rules-test": ["rules", "test", "--config", "{config}", "--db", "{db}"],
}
READERS = [name for name in COMMANDS if name != "collect"]


def argv(command: str, db: Path, config: Path) -> list[str]:
    return [part.format(db=db, config=config) for part in COMMANDS[command]]


@pytest.fixture
def home(tmp_path: Path) -> Path:
    home = tmp_path / "home"
    home.mkdir()
    return home


def refused(
    command: str,
    db: Path,
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> str:
    """Run a command on `db`; assert it failed with exit 1 and one line; return that line."""
    config = write_config(home, home / "unused.db")
    code, out, err = run_in_process(argv(command, db, config), capsys, monkeypatch, home)
    assert code == 1, (out, err)
    assert len(err.splitlines()) == 1 and err.startswith(f"wootwatch: {db}: "), err
    assert not (home / "state" / "crash.log").exists()
    return err


# ------------------------------------------------------------------ path escaping


@pytest.mark.parametrize("directory", ["inc#2", "what?mode=ro", "100%25", "a b"])
def test_an_ack_goes_to_the_database_named_even_with_uri_characters_in_its_path(
    directory: str,
    tmp_path: Path,
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`ack 1 --db '/…/inc#2/ww.db'` acknowledged alert 1 of `/…/inc`, another database."""
    decoy = tmp_path / directory.split("#")[0].split("?")[0].replace("%25", "%")
    if decoy.name != directory:
        firing_alert(decoy)  # what an unescaped URI would open instead
    target = tmp_path / directory / "ww.db"
    firing_alert(target)
    before = fingerprint(decoy) if decoy.is_dir() else {}
    code, out, err = run_in_process(
        ["ack", "1", "--db", str(target), "--note", "mine"], capsys, monkeypatch, home
    )
    assert code == 0, err
    assert out == "acknowledged alert 1 (workers_running) as amy\n"

    async def acked(path: Path) -> str | None:
        async with await AlertBook.open(path, readonly=True) as book:
            alert = await book.get(1)
            assert alert is not None
            return alert.acknowledged_by

    assert asyncio.run(acked(target)) == "amy"
    if decoy.name != directory:
        assert asyncio.run(acked(decoy)) is None
        assert fingerprint(decoy) == before


def test_the_writer_and_every_reader_open_the_same_escaped_path(
    tmp_path: Path,
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = tmp_path / "inc#2?x=%41" / "ww.db"
    config = write_config(home, db)
    collect = ["collect", "--once", "--config", str(config)]
    code, _, err = run_in_process(collect, capsys, monkeypatch, home)
    assert code == 0, err
    assert sorted(p.name for p in tmp_path.iterdir()) == ["home", "inc#2?x=%41"]
    for command in ("alerts", "export", "logs"):
        code, _, err = run_in_process(
            [command, *(["sidekiq"] if command == "logs" else []), "--db", str(db)],
            capsys,
            monkeypatch,
            home,
        )
        assert code == 0 or "no cached line matches" in err, (command, err)


# ------------------------------------------------------------------ files that are not ours


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_directory_as_the_database_is_one_line(
    command: str,
    tmp_path: Path,
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    directory = tmp_path / "adir"
    directory.mkdir()
    err = refused(command, directory, home, capsys, monkeypatch)
    assert "is a directory" in err
    assert list(directory.iterdir()) == []


@pytest.mark.parametrize("command", ["attach", "alerts", "export"])
def test_a_directory_as_the_database_prints_no_traceback_at_exit(command: str, home: Path) -> None:
    """`--attach /tmp`, `alerts --db /tmp`, `export --db /tmp` printed "Event loop is closed"."""
    directory = home / "adir"
    directory.mkdir()
    for _ in range(2):  # it showed in a third to a half of the runs
        result = run_process(home, *argv(command, directory, home / "none.yaml"))
        assert result.returncode == 1
        assert result.stderr == f"wootwatch: {directory}: is a directory, not a database file\n"


def foreign(path: Path, *, user_version: int, application_id: int = 0) -> Path:
    """Another application's SQLite file (a table of its own), in rollback-journal mode."""
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY, total REAL)")
        conn.execute("INSERT INTO invoices (total) VALUES (12.5)")
        conn.execute(f"PRAGMA user_version = {user_version}")
        conn.execute(f"PRAGMA application_id = {application_id}")
        conn.commit()
    return path


@pytest.mark.parametrize(
    ("user_version", "application_id"), [(0, 0), (1, 0), (0, 0x4C495445)], ids=["v0", "v1", "appid"]
)
@pytest.mark.parametrize("command", list(COMMANDS))
def test_another_applications_database_is_refused_and_left_as_it_was(
    command: str,
    user_version: int,
    application_id: int,
    tmp_path: Path,
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`collect` added 15 tables and switched it to WAL; at user_version 1 it retried forever."""
    place = tmp_path / "other"
    place.mkdir()
    db = foreign(place / "app.db", user_version=user_version, application_id=application_id)
    before = fingerprint(place)
    err = refused(command, db, home, capsys, monkeypatch)
    assert "not a wootwatch database" in err and "nothing was changed" in err
    assert fingerprint(place) == before  # no table, no WAL, no lock file


def test_our_schema_version_without_our_tables_is_refused(
    tmp_path: Path,
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = tmp_path / "empty-v1.db"
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA user_version = 1")
    for command in ("collect", "alerts", "rules-test"):
        err = refused(command, db, home, capsys, monkeypatch)
        assert "not a wootwatch database" in err


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_file_of_another_format_is_not_a_database(
    command: str,
    tmp_path: Path,
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    db = tmp_path / "notes.db"
    db.write_text("these are my notes, not a database\n" * 200)
    before = db.read_bytes()
    err = refused(command, db, home, capsys, monkeypatch)
    assert "not a database" in err
    assert db.read_bytes() == before


@pytest.fixture
def newer(tmp_path: Path) -> Path:
    db = tmp_path / "newer.db"
    firing_alert(db)
    with contextlib.closing(sqlite3.connect(db)) as conn:
        conn.execute("PRAGMA user_version = 99")
    return db


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_newer_schema_is_refused_by_every_command(
    command: str,
    newer: Path,
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """`logs` exited 0 on a database of a newer schema that every other command refuses."""
    err = refused(command, newer, home, capsys, monkeypatch)
    assert "newer wootwatch" in err


@pytest.fixture
def read_only_place(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A directory with a wootwatch database that cannot be written (a read-only mount as root)."""
    place = tmp_path / "ro"
    place.mkdir()
    firing_alert(place / "ww.db")
    with contextlib.closing(sqlite3.connect(place / "ww.db")) as conn:
        conn.execute("PRAGMA journal_mode = DELETE")  # readers need no -shm then
    mounted = subprocess.run(
        ["mount", "--bind", "-o", "ro", str(place), str(place)], capture_output=True, check=False
    )
    if mounted.returncode == 0:
        subprocess.run(["mount", "-o", "remount,bind,ro", str(place)], check=False)
        try:
            if (place / "probe").exists() or _writable(place):
                pytest.skip("cannot make a read-only mount here")
            yield place, "read-only filesystem"
        finally:
            subprocess.run(["umount", str(place)], check=False)
        return
    place.chmod(0o555)
    try:
        if _writable(place):
            pytest.skip("root without mounts: every directory is writable")
        yield place, "read-only"
    finally:
        place.chmod(0o755)


def _writable(place: Path) -> bool:
    try:
        (place / "probe").touch()
    except OSError:
        return False
    (place / "probe").unlink()
    return True


@pytest.mark.parametrize("command", ["collect", "ack", "silence"])
def test_a_database_that_cannot_be_written_says_why(
    command: str,
    read_only_place: tuple[Path, str],
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A read-only directory gave `unable to open database file` with no hint why."""
    place, why = read_only_place
    err = refused(command, place / "ww.db", home, capsys, monkeypatch)
    assert why in err and "unable to open" not in err


def test_a_read_only_database_can_still_be_read(
    read_only_place: tuple[Path, str],
    home: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    place, _ = read_only_place
    code, out, err = run_in_process(
        ["alerts", "--db", str(place / "ww.db")], capsys, monkeypatch, home
    )
    assert code == 0, err
    assert "workers_running" in out


# ------------------------------------------------------------------ our own mark


def test_new_databases_carry_our_application_id_and_old_ones_are_stamped(tmp_path: Path) -> None:
    db = tmp_path / "ww.db"

    async def open_writer() -> None:
        async with await Store.open(db):
            pass

    asyncio.run(open_writer())
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)
        conn.execute("PRAGMA application_id = 0")  # as wootwatch made it before this change
    asyncio.run(open_writer())
    with contextlib.closing(sqlite3.connect(db)) as conn:
        assert conn.execute("PRAGMA application_id").fetchone() == (APPLICATION_ID,)


LEAKS = """
import asyncio, sys
from collectors.alerts.book import AlertBook
from collectors.store.database import Store

async def main() -> None:
    store = await Store.open(sys.argv[1], readonly=True)  # neither is closed
    book = await AlertBook.open(sys.argv[1])
    await book.pin_incident(1.0, by="amy", now=2.0)
    print(await book.pinned_incident(), len(await store.source_statuses()), flush=True)

asyncio.run(main())
"""


def test_a_process_that_leaves_a_connection_open_still_exits(tmp_path: Path) -> None:
    """aiosqlite 0.22's worker thread is not a daemon and only stops when its connection is
    closed or collected; after `execute_fetchall`, the thread itself keeps the connection
    alive, so a process that forgot one hung at exit forever instead of ending."""
    db = tmp_path / "w.db"
    asyncio.run(_created(db))
    done = subprocess.run(
        [sys.executable, "-c", LEAKS, str(db)], capture_output=True, text=True, timeout=30
    )
    assert (done.returncode, done.stdout) == (0, "1.0 0\n"), done.stderr


async def _created(db: Path) -> None:
    async with await Store.open(db):
        pass
