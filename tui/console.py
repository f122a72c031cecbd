"""A plain-text live summary: one line per source, redrawn in place on a terminal.

This is what `wootwatch` shows until the Textual screens exist, and what it
prints when its output is not a terminal (a pipe, a log file): each refresh is
a block of lines. Everything shown comes from the store, never from a
collector, every upstream text goes through `inert`, and the sources' errors
through the config's `Redactor` first.
"""

from __future__ import annotations

import asyncio
import shutil
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Final, TextIO

from collectors.base import SourceState, SourceStatus
from collectors.inert import inert
from collectors.series import KeyNumber, key_numbers
from collectors.store.database import SeriesInfo, Store
from tui.export.redaction import Redactor
from widgets.vocab import SOURCE_STATE_ICONS, format_value, source_state_label, updated_ago

__all__ = ["HEADLINES", "render_summary", "run_summary"]

_P95_WINDOW = 300.0
_NO_WRITER = "⚠ no collector is writing this database: these states are as of its last write"


HEADLINES: Final[tuple[KeyNumber, ...]] = key_numbers("summary")
"""The numbers the summary shows for a source, when it writes that series."""


async def _headline_value(
    store: Store, stored: Sequence[SeriesInfo], headline: KeyNumber, now: float
) -> str | None:
    found = [s for s in stored if s.matches(headline.series, labels=dict(headline.labels))]
    latest = [s for s in found if s.last_value is not None]
    if not latest:
        return None
    unit = latest[0].unit
    if headline.reduce == "p95":
        stats = await store.window_stats(latest, now - _P95_WINDOW, now)
        value = stats.quantile(0.95)
        return None if value is None else f"{headline.label} {format_value(value, unit)}"
    values = [s.last_value for s in latest if s.last_value is not None]
    reduced = {"latest": values[0], "sum": sum(values), "max": max(values), "min": min(values)}[
        headline.reduce
    ]
    return f"{headline.label} {format_value(reduced, unit)}"


_BADGE: Final = max(len(source_state_label(state)) for state in SOURCE_STATE_ICONS)
"""Columns of a state badge: the longest (`○ no data`), so the ages line up."""


def render_summary(
    statuses: Mapping[str, SourceStatus],
    numbers: Mapping[str, Sequence[str]],
    now: float,
    width: int,
) -> list[str]:
    """Lines of the summary: a badge, freshness and key numbers (or the error) per source."""
    name_width = max((len(name) for name in statuses), default=6)
    lines = []
    for name, status in statuses.items():
        badge = f"{source_state_label('no data' if status.no_data else status.state):<{_BADGE}}"
        age = None if status.last_success is None else max(0.0, now - status.last_success)
        head = f"{inert(name):<{name_width}}  {badge}  {updated_ago(age):<18}"
        if status.no_data:
            tail = inert(status.detail)
        elif status.state is SourceState.OK:
            tail = " · ".join(numbers.get(name, ())) or "no data yet"
        else:
            tail = inert(status.last_error or "waiting for the first poll")
        lines.append(f"{head}  {tail}"[:width])
    return lines


async def collect_numbers(store: Store, now: float) -> dict[str, list[str]]:
    """The key numbers of every source that has reported, by source name.

    The stored series are read once and sorted out here: a query per source
    and headline was about 140 reads a redraw on the demo.
    """
    every = await store.series()
    numbers: dict[str, list[str]] = {}
    for source in await store.source_statuses():
        stored = [s for s in every if s.source == source]
        values = [await _headline_value(store, stored, h, now) for h in HEADLINES]
        found = [v for v in values if v is not None]
        numbers[source] = found or _fallback(stored)
    return numbers


def _fallback(series: Sequence[SeriesInfo]) -> list[str]:
    return [
        f"{inert(s.name)} {format_value(s.last_value, s.unit)}"
        for s in series[:3]
        if s.last_value is not None
    ]


async def run_summary(
    store: Store,
    out: TextIO,
    *,
    refresh: float,
    clock: Callable[[], float] = time.time,
    redact: Redactor | None = None,
) -> None:
    """Redraw the summary every `refresh` seconds until cancelled.

    Args:
        store: the database.
        out: where to draw.
        refresh: seconds between two redraws.
        clock: wall-clock time.
        redact: masks secrets in the sources' errors (default: the usual shapes only).
    """
    redact = redact or Redactor()
    drawn = 0
    while True:
        now = clock()
        statuses = {name: redact.status(s) for name, s in (await store.source_statuses()).items()}
        lines = render_summary(statuses, await collect_numbers(store, now), now, _width(out))
        stamp = time.strftime("%H:%M:%S", time.localtime(now))
        counted = f"{len(statuses)} sources" if statuses else "waiting for the first poll"
        block = [f"wootwatch {stamp}  {counted}  (Ctrl-C to quit)", *lines]
        if not store.has_writer():
            block.insert(1, _NO_WRITER)
        elif (trouble := store.writer_health().describe(now)) is not None:
            block.insert(1, trouble)
        if out.isatty() and drawn:
            out.write(f"\x1b[{drawn}F\x1b[J")
        out.write("\n".join(block) + "\n")
        if not out.isatty():
            out.write("\n")
        out.flush()
        drawn = len(block)
        await asyncio.sleep(refresh)


def _width(out: TextIO) -> int:
    return shutil.get_terminal_size((120, 40)).columns if out.isatty() else 200
