"""End to end (issue 18): rewind the real `wootwatch --attach` in tmux and read the tab bar.

`t` asks for a time, `[` and `]` step by the screen's slot (a minute on the
queues screen), Esc and `t` again return to live; the tab bar says which
moment is on view in words (`⏪ as of 11:07:40`), and nothing once live.
"""

from __future__ import annotations

import asyncio
import math
import time
from pathlib import Path

from fakes.demo_history import POLL_EVERY, record_demo
from test_tmux import WOOTWATCH, Tmux, pytestmark, tmux, top_bar

from tui.data.rewind import as_of_label

__all__ = ["pytestmark", "tmux"]  # the skip mark and the fixture, shared with test_tmux

ROUNDS = 48
"""Polls recorded, ending about now: the first scripted incident and the calm after it."""


def _as_of(shown: str) -> str:
    """What the tab bar says of the moment on view ("" when live)."""
    bar = top_bar(shown)
    return bar[bar.index("⏪") :].strip() if "⏪" in bar else ""


def test_t_rewinds_brackets_step_and_escape_or_t_return_to_live(tmux: Tmux, tmp_path: Path) -> None:
    db = tmp_path / "demo.db"
    start = math.floor(time.time()) - ROUNDS * POLL_EVERY
    asyncio.run(record_demo(db, start=start, rounds=ROUNDS))
    moment = start + 60.0  # the middle of the first scripted incident
    tmux.command(f"{WOOTWATCH} --attach {db}")
    tmux.wait_for_title("Overview")
    tmux.keys("4")
    tmux.wait_for_title("Queues")

    def said(expected: float | None) -> str:
        label = "" if expected is None else as_of_label(expected, time.time())
        return _as_of(tmux.wait_for(lambda shown: _as_of(shown) == label))

    tmux.keys("t")
    tmux.wait_for(lambda shown: "Rewind to" in shown)
    tmux.keys(time.strftime("%H:%M:%S", time.localtime(moment)), "Enter")
    assert said(moment).startswith("⏪ as of ")
    minute = (math.ceil(moment / 60) - 1) * 60.0
    tmux.keys("[")
    said(minute)
    tmux.keys("[")
    said(minute - 60)
    tmux.keys("]")
    said(minute)
    tmux.keys("Escape")
    said(None)
    tmux.keys("[")  # from live: one slot back from now
    tmux.wait_for(lambda shown: _as_of(shown).startswith("⏪ as of "))
    tmux.keys("t")
    said(None)
    tmux.keys("q")
    assert tmux.wait_for_exit() == 0
