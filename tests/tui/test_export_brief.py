"""The brief export (issue 16): under 40 lines, no tables, no backslash escapes, inert text.

It is what an on-call person pastes into Slack, where tables do not render and
a backslash shows as itself: the headline, what fires (value, ack state), the
key figures and the top error lines; every piece of upstream text sits in a
code block nothing inside can close.
"""

from __future__ import annotations

from pathlib import Path

from _export_db import HOSTILE, SECRET, record_hostile
from markdown_it import MarkdownIt
from markdown_it.token import Token

from collectors.alerts.book import AlertBook
from tui.export.write import build_export


def _walk(tokens: list[Token]) -> list[Token]:
    found = []
    for token in tokens:
        found.append(token)
        found.extend(_walk(token.children or []))
    return found


async def _brief(db: Path, now: float, secrets: tuple[str, ...] = ()) -> str:
    return await build_export(
        db, now=now, since=3600.0, user="ana", host="bastion", fmt="brief", secrets=secrets
    )


async def test_the_brief_of_an_incident_fits_a_chat_message(demo_db: Path, demo_now: float) -> None:
    brief = await _brief(demo_db, demo_now)
    lines = brief.splitlines()
    assert len(lines) < 40
    assert "\\" not in brief and not any(line.startswith("|") for line in lines)
    assert lines[0].startswith("*wootwatch ") and "unhealthy" in lines[0]
    assert lines[1].startswith("12 firing (✖ 6 critical, ◆ 2 error, ⚠ 4 warning) · ◐ 1 pending")
    firing = lines[lines.index("Firing (12):") + 2]
    assert firing == (
        "✖ critical 11.1% (ratio 1m)  since 11:08  not acked  "
        "webhook_delivery_failed {source=sidekiq}"
    )
    assert "… and 4 more" in lines
    timeline = next(line for line in lines if line.startswith("Timeline ("))
    assert lines.index(timeline) == 3  # right under the headline
    assert (
        lines[lines.index(timeline) + 4]
        == "11:08 ok → firing  #14 webhook_delivery_failed (source=sidekiq)"
    )
    assert "Key figures:" in lines and any(line.startswith("• ") for line in lines)
    errors = next(line for line in lines if line.startswith("Top errors ("))
    assert lines[lines.index(errors) + 2].strip()[0].isdigit()  # `93× Net::ReadTimeout …`
    tokens = _walk(MarkdownIt("gfm-like").parse(brief))
    assert not [t for t in tokens if t.type in ("table_open", "html_block", "html_inline")]


async def test_upstream_text_stays_inert_in_the_brief(
    tmp_path: Path, recorded_demo: tuple[Path, float]
) -> None:
    demo, now = recorded_demo
    db = tmp_path / "hostile.db"
    await record_hostile(db, demo, now)
    brief = await _brief(db, now, secrets=(SECRET,))
    assert "\x1b" not in brief and "\x07" not in brief and SECRET not in brief
    assert "\\" not in brief and len(brief.splitlines()) < 40
    assert "70 (latest)  since 11:07  acked by evil|pipe ˋˋˋ ˋˋˋ ˋˋ ˋ x␊secon…" in brief
    hostile = next(line for line in brief.splitlines() if "acked by evil" in line)
    assert len(hostile) == 100 and hostile.endswith("…")  # a long line is cut with a mark
    tokens = _walk(MarkdownIt("gfm-like").parse(brief))
    kinds = {t.type for t in tokens}
    assert not kinds & {"link_open", "image", "html_inline", "html_block", "table_open"}
    fences = [t for t in tokens if t.type == "fence"]
    assert len(fences) == 3 and all(t.markup == "```" for t in fences)
    outside = "".join(t.content for t in tokens if t.type == "text")
    assert "evil" not in outside and HOSTILE[:8] not in outside
    assert "ˋˋˋ ˋˋˋ ˋˋ ˋ x␊secon…" in fences[1].content  # no backtick can close the block
    assert "down  evil|pipe ˋˋˋ ˋˋˋ ˋˋ ˋ x␊second line <script>" in fences[0].content  # timeline


async def test_the_brief_says_when_and_by_whom_the_pin_was_set(
    demo_db: Path, demo_now: float
) -> None:
    async with await AlertBook.open(demo_db) as book:
        await book.pin_incident(demo_now - 6, by="amy", now=demo_now)  # 11:07:59, set 11:08:05
    lines = (await _brief(demo_db, demo_now)).splitlines()
    assert (
        "· window from the pinned incident start (set 11:08 by amy), 11:07 to 11:08 UTC"
        in (lines[1])
    )
    assert "11:07 incident start pinned  (set 11:08 by amy)" in lines
