"""Annotations: notes on the incident's timeline, one row each, shared by every process.

A person (`wootwatch annotate`, the TUI's `n`), a notify hook (which runs
`wootwatch annotate`) or the alert book itself (setting or clearing the
incident pin, which keeps no history of its own) adds them. Contract:

* **Written like an ack.** Through `AlertBook.transaction` (a short, durable
  `BEGIN IMMEDIATE`), so an `--attach` TUI and the command line can write
  while a collector holds the store's writer lock.
* **Stored as given.** The text is kept exactly as typed, up to `TEXT_LIMIT`
  characters and `LINE_LIMIT` lines; every screen, CLI line and export shows
  it inert (`collectors.inert`, `tui.export.markdown_safe`), never as markup.
* **Kinds.** `note` (a person or hook), `pin` (at the pinned start, by
  whoever set it, `made_at` when they did: `pin_of` reads them back),
  `unpin` (when the pin was cleared) and `unsilence` (a silence ended early,
  at the time it was ended, saying the end it had: `silence 3 ended early; it
  was to end at 2026-12-03T04:00:00Z`, for people; a rewound view reads that
  end from the silence's row, `planned_end`). `pin_as_of` reads the pin of a
  past moment back from `pin`/`unpin`.
  Acks, silences and source state changes are not copied here: the timeline
  derives them from their own rows.
* **Bounded.** `AlertWriter.prune` drops them with the alerts (35 days).
"""

from __future__ import annotations

from collections.abc import Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Final, Literal, Protocol

from collectors.errors import ActionableError
from collectors.store.schema import storable

__all__ = [
    "LINE_LIMIT",
    "TEXT_LIMIT",
    "Annotation",
    "AnnotationError",
    "Pin",
    "add_annotation",
    "check_text",
    "pin_as_of",
    "pin_note",
    "pin_of",
    "read_annotations",
    "unsilence_note",
]

TEXT_LIMIT: Final = 500
"""Characters of one annotation, at most."""
LINE_LIMIT: Final = 5
"""Lines of one annotation, at most: a note, not a document."""
NAME_LIMIT: Final = 200
"""Characters of an author or a source name, at most."""

Kind = Literal["note", "pin", "unpin", "unsilence"]


class AnnotationError(ActionableError):
    """An annotation that cannot be taken, with a one-line reason fit for a person."""


class AlertWriter(Protocol):
    """What an annotation needs of `collectors.alerts.book.AlertWriter`."""

    async def insert(self, sql: str, params: Sequence[object]) -> int:
        """Run one INSERT; return the new row id."""
        ...


class AlertBook(Protocol):
    """What annotations need of `collectors.alerts.book.AlertBook` (which imports this module)."""

    def transaction(self) -> AbstractAsyncContextManager[AlertWriter]:
        """One durable transaction."""
        ...

    async def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """The rows of one read-only query."""
        ...


@dataclass(frozen=True, slots=True)
class Annotation:
    """One note on the timeline."""

    id: int
    ts: float
    """When it is about (unix time)."""
    author: str
    text: str
    """As given (untrusted: shown inert)."""
    source: str | None
    """The source it is about, if any."""
    kind: str
    """`note`, `pin`, `unpin` or `unsilence`."""
    made_at: float | None = None
    """When it was written, where that is not `ts` (a pin: when it was set); None: not recorded."""


@dataclass(frozen=True, slots=True)
class Pin:
    """The pinned incident start, who set it and when."""

    start: float
    """The moment pinned (unix time)."""
    set_at: float | None
    """When it was pinned; None when not recorded (a pin set before wootwatch kept it)."""
    set_by: str | None
    """Who pinned it; None when not recorded (a pin set before annotations)."""


def check_text(text: str) -> str:
    """The text to store: as given, checked for length; raises `AnnotationError` otherwise."""
    if not text.strip():
        raise AnnotationError("an annotation needs some text")
    if len(text) > TEXT_LIMIT:
        raise AnnotationError(f"an annotation is at most {TEXT_LIMIT} characters, not {len(text)}")
    if text.count("\n") >= LINE_LIMIT:
        raise AnnotationError(f"an annotation is at most {LINE_LIMIT} lines")
    return storable(text)


def _name(value: str, what: str) -> str:
    if len(value) > NAME_LIMIT:
        raise AnnotationError(f"{what} is longer than {NAME_LIMIT} characters")
    return storable(value)


async def _insert(
    writer: AlertWriter,
    ts: float,
    author: str,
    text: str,
    source: str | None,
    kind: Kind,
    made_at: float | None = None,
) -> int:
    return await writer.insert(
        "INSERT INTO annotations (ts, author, text, source, kind, made_at) "
        "VALUES (?, ?, ?, ?, ?, ?)",
        (ts, author, text, source, kind, made_at),
    )


async def add_annotation(
    book: AlertBook, *, ts: float, author: str, text: str, source: str | None = None
) -> Annotation:
    """Record a note; committed durably before it returns.

    Raises:
        AnnotationError: empty, too long or too many lines.
        AlertBookError: the database refused the write (or is read-only).
    """
    text = check_text(text)
    author = _name(author, "the author")
    source = _name(source, "the source name") if source else None
    async with book.transaction() as writer:
        row_id = await _insert(writer, ts, author, text, source, "note")
    return Annotation(row_id, ts, author, text, source, "note")


async def pin_note(writer: AlertWriter, start: float | None, *, by: str, now: float | None) -> None:
    """The annotation of a pin set (at its start, made `now`) or cleared (at `now`)."""
    if start is not None:
        await _insert(writer, start, by, "incident start pinned", None, "pin", now)
    elif now is not None:
        await _insert(writer, now, by, "incident start unpinned", None, "unpin")


async def pin_as_of(book: AlertBook, moment: float) -> tuple[bool, Pin | None]:
    """The pin at `moment` as the `pin`/`unpin` annotations tell it: (told, pin).

    The latest written of those made at or before `moment` says: a `pin` the
    start it pinned (its time), by whom and when it was set, an `unpin`
    nothing pinned; none of them, nothing pinned yet. A pin note is made at
    the start it pins, not when it was set, so a pin set later to a start
    before `moment` counts. `told` is False when the database holds no `pin`
    or `unpin` note at all (its pin was set before annotations were
    recorded, or they were pruned): then only the live pin is known.
    """
    said: Sequence[tuple[Any, ...]] = await book.rows(
        "SELECT kind, ts, made_at, author FROM annotations "
        "WHERE kind IN ('pin', 'unpin') AND ts <= ? ORDER BY id DESC LIMIT 1",
        (moment,),
    )
    if said:
        kind, ts, made_at, author = said[0]
        return True, Pin(float(ts), made_at, author) if kind == "pin" else None
    return bool(await book.rows(_ANY_PIN_NOTE)), None


async def pin_of(book: AlertBook, start: float) -> Pin:
    """The live pin of `start`: who set it and when, from the newest `pin` note at it."""
    said: Sequence[tuple[Any, ...]] = await book.rows(
        "SELECT made_at, author FROM annotations WHERE kind = 'pin' AND ts = ? "
        "ORDER BY id DESC LIMIT 1",
        (start,),
    )
    return Pin(start, *said[0]) if said else Pin(start, None, None)


_ANY_PIN_NOTE: Final = "SELECT 1 FROM annotations WHERE kind IN ('pin', 'unpin') LIMIT 1"


async def unsilence_note(
    writer: AlertWriter, silence_id: int, planned_end: float, *, by: str, now: float
) -> None:
    """The annotation that records a silence ended early (at `now`) and the end it had."""
    until = datetime.fromtimestamp(round(planned_end), UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    text = f"silence {silence_id} ended early; it was to end at {until}"
    await _insert(writer, now, by, text, None, "unsilence")


async def read_annotations(book: AlertBook, start: float, end: float) -> list[Annotation]:
    """The annotations of `[start, end]`, in time order."""
    rows: Sequence[tuple[Any, ...]] = await book.rows(
        "SELECT id, ts, author, text, source, kind, made_at FROM annotations "
        "WHERE ts >= ? AND ts <= ? ORDER BY ts, id",
        (start, end),
    )
    return [Annotation(*row) for row in rows]
