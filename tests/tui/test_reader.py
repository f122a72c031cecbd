"""The reader's log connection: one thread uses it and closes it, whatever the screens cancel."""

from __future__ import annotations

import asyncio
import threading
from pathlib import Path
from typing import Any

import pytest

import tui.data.reader as reader_module
from collectors.store.log_search import LogMatch, search
from tui.data.reader import StoreReader


async def test_closing_waits_for_a_log_read_its_screen_gave_up_on(
    recorded_demo: tuple[Path, float], monkeypatch: pytest.MonkeyPatch
) -> None:
    """A screen that leaves mid-search cancels its await, not the read in its thread.

    Closing the connection under that read crashed the whole process (a segfault
    in sqlite3); the close now waits its turn in the same thread.
    """
    db, _ = recorded_demo
    started, release = threading.Event(), threading.Event()
    finished: list[list[LogMatch]] = []

    def slow_search(conn: Any, **kwargs: Any) -> list[LogMatch]:
        started.set()
        release.wait(10)
        found = search(conn, **kwargs)
        finished.append(found)
        return found

    monkeypatch.setattr(reader_module, "search", slow_search)
    reader = await StoreReader.open(db)
    reading = asyncio.create_task(reader.search_logs("timeout"))
    assert await asyncio.to_thread(started.wait, 10)
    reading.cancel()  # the screen went away
    closing = asyncio.create_task(reader.aclose())
    await asyncio.sleep(0.2)
    assert not closing.done()  # the read in its thread still holds the connection
    release.set()
    await closing
    assert finished and finished[0]  # the read ran to its end on an open connection
