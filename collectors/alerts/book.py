"""Alert rows every process on one database shares: alerts, their events, acks and silences.

Decision: the store has one writer per database (a lock file), held by
`wootwatch collect` or the TUI that runs the collectors. Acknowledgements
and silences come from other processes (`wootwatch ack`, another person's
TUI), so they cannot go through that writer. Instead every process opens
an `AlertBook`: its own SQLite connection to the same file, which writes
only the `alerts`, `alert_events` and `silences` tables, each change in a
short `BEGIN IMMEDIATE` transaction. SQLite serialises those transactions
with the ring-buffer writer's (WAL mode, `busy_timeout` 10 s, three
attempts), so an ack waits for the batch write in progress, never for the
writer lock file.

Contract:

* **Durable.** The connection runs `PRAGMA synchronous = FULL`: a commit
  returns only after the WAL is on disk, so an ack or silence that
  `acknowledge` / `add_silence` returned (and the command reported) survives
  a `kill -9` or a power cut. The engine's transitions use the same
  connection type, so they are as durable.
* **Shared.** Nothing is cached: every read is a query, so an ack made in
  one process is seen by every other at its next read (one refresh).
* **Consistent.** An ack is accepted only while the alert is firing, checked
  inside the transaction that writes it; the engine clears an ack only if
  it is still the ack it saw (`acknowledged_at` compared in the `UPDATE`).
* **Columns.** `alerts.updated_at` is when the state last changed (the
  "since" of `wootwatch alerts`); `value` is the latest check's value.
  Events (`alert_events.kind`): `transition`, `ack`, `ack_expired`,
  `severity`, `flapping`, `notify`; a `notify` event's `note` is JSON
  (`kind`, `severity`) and de-duplicates notifications across restarts.
* **Pinned incident.** `pin_incident` writes the start of the incident in
  progress to the `meta` table; the incident view and export read it. The pin
  keeps no history, so setting or clearing it also writes an annotation
  (`collectors.alerts.annotations`) in the same transaction, which says who
  set it and when (`pin`); so does ending a silence early (`unsilence`),
  whose row keeps the end it had (`planned_end`).
* **Bounded.** `AlertWriter.prune` deletes alerts that ended (and their
  events), silences that ended and annotations made before a time; the engine
  keeps 35 days.
* **As of a moment.** With `AlertBook.as_of` set, the reads (`visible`,
  `get`, `history`, `events`, `silences`, `pinned_incident`) answer as the
  book stood then: alerts started by then, each replayed from its events
  (`alerts.as_of`), events up to then, silences created by then (with the
  end they had then), the pin its `pin`/`unpin` annotations tell.
  Writes are unaffected. A row keeps only its latest value, so
  `AlertBook.rechecker` (set by whoever holds the rules and the rewound
  store: `alerts.recheck`) gives the rows the values their rules had then.
* **Opening.** The database must exist and carry the schema (the store's
  writer creates and migrates it); `readonly=True` opens it read-only.
  Problems raise `AlertBookError` with one line.

One unit over 500 lines: every read and write of the alert tables, so that the
rows' shapes and the durability rules above live in one place.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
import math
import os
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final

import aiosqlite

from collectors.alerts.annotations import Pin, pin_as_of, pin_note, pin_of, unsilence_note
from collectors.alerts.as_of import changes_at
from collectors.alerts.state import REOPEN_WINDOW, AlertState
from collectors.alerts.terms import Severity
from collectors.errors import ActionableError
from collectors.store import db_file
from collectors.store.read_memo import ReadMemo
from collectors.store.schema import labels_key

__all__ = [
    "AlertBook",
    "AlertBookError",
    "AlertEvent",
    "AlertRow",
    "AlertWriter",
    "NotifyRecord",
    "Silence",
]

_BUSY_TIMEOUT_MS: Final = 10_000
_BEGIN_ATTEMPTS: Final = 3
"""A write waits up to 3 x 10 s for SQLite's write lock before it gives up."""
_NOTE_LIMIT: Final = 1000
_INCIDENT_KEY: Final = "incident_start"
"""The `meta` row that holds the pinned incident start."""
_ALERT_COLUMNS: Final = (
    "id, rule, labels, severity, state, value, summary, started_at, updated_at, resolved_at, "
    "acknowledged_by, acknowledged_at, ack_note, flapping"
)
_EVENT_COLUMNS: Final = "id, alert_id, ts, kind, from_state, to_state, value, actor, note"


class AlertBookError(ActionableError):
    """An alert operation that cannot be done, with a one-line reason fit for a person."""


@dataclass(frozen=True, slots=True)
class AlertRow:
    """One alert as stored."""

    id: int
    rule: str
    labels: Mapping[str, str]
    severity: Severity
    state: AlertState
    value: float | None
    summary: str
    started_at: float
    updated_at: float
    """When the state last changed."""
    resolved_at: float | None
    acknowledged_by: str | None
    acknowledged_at: float | None
    ack_note: str | None
    flapping: bool

    @property
    def acknowledged(self) -> bool:
        """Whether someone has acknowledged it (and the ack has not lapsed)."""
        return self.acknowledged_at is not None

    def visible_at(self, now: float) -> bool:
        """Pending, firing, or resolved less than 15 minutes ago."""
        if self.state in (AlertState.PENDING, AlertState.FIRING):
            return True
        return (
            self.state is AlertState.RESOLVED
            and self.resolved_at is not None
            and now - self.resolved_at <= REOPEN_WINDOW
        )


@dataclass(frozen=True, slots=True)
class AlertEvent:
    """One row of an alert's history."""

    id: int
    alert_id: int
    ts: float
    kind: str
    from_state: str | None
    to_state: str | None
    value: float | None
    actor: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Silence:
    """Mutes the notifications of matching alerts between two times."""

    id: int
    matchers: Mapping[str, str]
    """`rule` and/or label values; an alert matches when all of them are equal."""
    starts_at: float
    ends_at: float
    created_by: str
    comment: str
    created_at: float

    def active_at(self, t: float) -> bool:
        """Whether it mutes at time `t`."""
        return self.starts_at <= t < self.ends_at

    def matches(self, rule: str, labels: Mapping[str, str]) -> bool:
        """Whether it applies to an alert of `rule` with `labels`."""
        for key, value in self.matchers.items():
            actual = rule if key == "rule" else labels.get(key)
            if actual != value:
                return False
        return True


@dataclass(frozen=True, slots=True)
class NotifyRecord:
    """A notification the engine decided to send (a `notify` event)."""

    event_id: int
    alert_id: int
    ts: float
    kind: str
    severity: Severity


def _alert(row: Sequence[Any]) -> AlertRow:
    return AlertRow(
        id=row[0],
        rule=row[1],
        labels=json.loads(row[2]),
        severity=Severity(row[3]),
        state=AlertState(row[4]),
        value=row[5],
        summary=row[6],
        started_at=row[7],
        updated_at=row[8],
        resolved_at=row[9],
        acknowledged_by=row[10],
        acknowledged_at=row[11],
        ack_note=row[12],
        flapping=bool(row[13]),
    )


async def _one(conn: aiosqlite.Connection, alert_id: int) -> AlertRow | None:
    rows = await conn.execute_fetchall(
        f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE id = ?", (alert_id,)
    )
    row = next(iter(rows), None)
    return _alert(row) if row else None


_STATE_RANK: Final = {AlertState.FIRING: 0, AlertState.PENDING: 1, AlertState.RESOLVED: 2}


async def _visible(conn: aiosqlite.Connection, now: float) -> list[AlertRow]:
    """The one query and order of the visible alerts, for readers and the engine alike."""
    # The cutoff read is the minute's (a superset, cut exactly below): a TUI
    # refresh asks the same question all minute, which its memo answers once.
    cutoff = now - REOPEN_WINDOW
    rows = await conn.execute_fetchall(
        f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE state IN ('pending', 'firing') "
        "OR (state = 'resolved' AND resolved_at >= ?) ORDER BY id",
        (math.floor(cutoff / 60) * 60,),
    )
    alerts = [_alert(row) for row in rows]
    return _in_visible_order(
        [a for a in alerts if a.state is not AlertState.RESOLVED or (a.resolved_at or 0) >= cutoff]
    )


def _in_visible_order(rows: list[AlertRow]) -> list[AlertRow]:
    rows.sort(key=lambda a: (_STATE_RANK.get(a.state, 3), -a.severity.rank, -a.updated_at))
    return rows


async def _alerts_at(
    conn: aiosqlite.Connection, moment: float, where: str, params: Sequence[object]
) -> list[AlertRow]:
    """The alerts started by `moment` that match `where`, each as it stood at `moment`.

    `where` filters the current rows, so it must keep every alert that could
    match as of the moment (a superset); callers filter the replayed rows.
    """
    chosen = f"started_at <= ? AND ({where})"
    async with conn.execute(
        f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE {chosen} ORDER BY id", (moment, *params)
    ) as cursor:
        rows = [_alert(row) for row in await cursor.fetchall()]
    events: dict[int, list[AlertEvent]] = {row.id: [] for row in rows}
    async with conn.execute(
        f"SELECT {_EVENT_COLUMNS} FROM alert_events "
        f"WHERE alert_id IN (SELECT id FROM alerts WHERE {chosen}) ORDER BY alert_id, id",
        (moment, *params),
    ) as cursor:
        async for row in cursor:
            event = AlertEvent(*row)
            events.setdefault(event.alert_id, []).append(event)
    return [dataclasses.replace(row, **changes_at(row, events[row.id], moment)) for row in rows]


def _notify_record(event_id: int, alert_id: int, ts: float, note: str | None) -> NotifyRecord:
    try:
        data = json.loads(note or "{}")
        kind, severity = str(data.get("kind", "")), Severity(data.get("severity", "warning"))
    except (ValueError, AttributeError):
        kind, severity = "", Severity.WARNING
    return NotifyRecord(event_id, alert_id, ts, kind, severity)


def _one_line(text: str, what: str, limit: int = _NOTE_LIMIT) -> str:
    if len(text) > limit:
        raise AlertBookError(f"{what} is longer than {limit} characters")
    return text


class AlertBook:
    """A connection to the alert tables of one database; open it with `AlertBook.open`."""

    def __init__(self, conn: aiosqlite.Connection, path: Path, *, readonly: bool) -> None:
        self._conn = conn
        self.path = path
        """The database file."""
        self.readonly = readonly
        """True when opened read-only: writes raise `AlertBookError`."""
        self.as_of: float | None = None
        """Answer the reads as the book stood at this past moment (None: live).

        `visible`, `get`, `history`, `events`, `silences` and
        `pinned_incident` follow it; writes (acks, silences, the pin) and the
        notification reads do not.
        """
        self.rechecker: Callable[[list[AlertRow]], Awaitable[list[AlertRow]]] | None = None
        """While `as_of` is set: the values the rows' rules gave then (`alerts.recheck`).

        Without it, a rewound row shows the value of its last event by then.
        """
        self._lock = asyncio.Lock()

    @classmethod
    async def open(cls, path: str | os.PathLike[str], *, readonly: bool = False) -> AlertBook:
        """Open the alert tables of an existing wootwatch database.

        Raises:
            AlertBookError: no such file, not a wootwatch database, or a newer schema.
        """
        db_path = Path(path).expanduser()
        try:
            conn = await db_file.connect(
                db_path, mode="ro" if readonly else "rw", busy_timeout_ms=_BUSY_TIMEOUT_MS
            )
        except db_file.DatabaseFileError as exc:
            raise AlertBookError(str(exc)) from None
        book = cls(conn, db_path, readonly=readonly)
        try:
            await conn.execute("PRAGMA synchronous = FULL")
        except sqlite3.Error as exc:
            await conn.close()
            raise AlertBookError(db_file.describe_failure(db_path, exc)) from None
        return book

    async def close(self) -> None:
        """Close the connection."""
        await self._conn.close()

    def memoize(self, memo: ReadMemo) -> None:
        """Answer this book's repeated reads from `memo` inside its windows (a TUI's refresh)."""
        memo.attach(self._conn)

    async def __aenter__(self) -> AlertBook:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    # ------------------------------------------------------------------ reads

    async def visible(self, now: float) -> list[AlertRow]:
        """Pending and firing alerts, and those resolved in the last 15 minutes.

        Firing first, then pending, then resolved; most severe, then newest first.
        As of a moment (`as_of`, or `now` if earlier): as they stood then.
        """
        if self.as_of is None:
            return await _visible(self._conn, now)
        moment = min(now, self.as_of)
        # Resolved for good before the reopen window: not visible then either.
        rows = await _alerts_at(
            self._conn,
            moment,
            "state IN ('pending', 'firing') OR updated_at >= ?",
            (moment - REOPEN_WINDOW,),
        )
        return _in_visible_order(await self._rechecked([a for a in rows if a.visible_at(moment)]))

    async def _rechecked(self, rows: list[AlertRow]) -> list[AlertRow]:
        return rows if self.rechecker is None or not rows else await self.rechecker(rows)

    async def get(self, alert_id: int) -> AlertRow | None:
        """One alert by id, in whatever state (as of `as_of`: None if not started by then)."""
        if self.as_of is None:
            return await _one(self._conn, alert_id)
        found = await self._rechecked(
            await _alerts_at(self._conn, self.as_of, "id = ?", (alert_id,))
        )
        return found[0] if found else None

    async def history(self, since: float) -> list[AlertRow]:
        """Every alert updated since a time, newest first (for exports and reviews)."""
        if self.as_of is not None:
            rows = await _alerts_at(self._conn, self.as_of, "updated_at >= ?", (since,))
            rows = await self._rechecked([a for a in rows if a.updated_at >= since])
            return sorted(rows, key=lambda a: a.updated_at, reverse=True)
        found = await self._conn.execute_fetchall(
            f"SELECT {_ALERT_COLUMNS} FROM alerts WHERE updated_at >= ? ORDER BY updated_at DESC",
            (since,),
        )
        return [_alert(row) for row in found]

    async def events(self, alert_id: int) -> list[AlertEvent]:
        """An alert's history, oldest first (up to `as_of` when it is set)."""
        until = "" if self.as_of is None else " AND ts <= ?"
        params = (alert_id,) if self.as_of is None else (alert_id, self.as_of)
        rows = await self._conn.execute_fetchall(
            f"SELECT {_EVENT_COLUMNS} FROM alert_events WHERE alert_id = ?{until} ORDER BY id",
            params,
        )
        return [AlertEvent(*row) for row in rows]

    async def silences(self, now: float, *, include_ended: bool = False) -> list[Silence]:
        """Silences that have not ended (or all of them), soonest end first.

        As of a moment (`as_of`, or `now` if earlier): those created by then,
        a silence ended early after it with the end it had then (its
        `planned_end`, which `end_silence` keeps).
        """
        end, end_params = "ends_at", list[float]()
        clauses: list[str] = []
        params: list[float] = []
        if self.as_of is not None:
            now = min(now, self.as_of)
            # Ended early after the moment (its end is when it was ended): the end it had.
            end = (
                "CASE WHEN planned_end IS NOT NULL AND ends_at > ? "
                "THEN planned_end ELSE ends_at END"
            )
            end_params = [now]
            clauses.append("created_at <= ?")
            params.append(now)
        if not include_ended:
            clauses.append(f"{end} > ?")
            params += [*end_params, now]
        where = f"WHERE {' AND '.join(clauses)}" if clauses else ""
        rows = await self._conn.execute_fetchall(
            f"SELECT id, matchers, starts_at, {end} AS ends_at, created_by, comment, created_at "
            f"FROM silences {where} ORDER BY ends_at",
            [*end_params, *params],
        )
        return [
            Silence(row[0], json.loads(row[1]), row[2], row[3], row[4], row[5], row[6])
            for row in rows
        ]

    async def last_notifications(self, alert_ids: Iterable[int]) -> dict[int, NotifyRecord]:
        """The newest `notify` event of each alert that has one."""
        ids = list(alert_ids)
        found: dict[int, NotifyRecord] = {}
        for start in range(0, len(ids), 400):
            chunk = ids[start : start + 400]
            marks = ",".join("?" * len(chunk))
            for event_id, alert_id, ts, note in await self._conn.execute_fetchall(
                "SELECT e.id, e.alert_id, e.ts, e.note FROM alert_events e JOIN ("
                "SELECT alert_id, max(id) AS id FROM alert_events "
                f"WHERE kind = 'notify' AND alert_id IN ({marks}) GROUP BY alert_id"
                ") last ON last.id = e.id",
                chunk,
            ):
                found[alert_id] = _notify_record(event_id, alert_id, ts, note)
        return found

    async def notifications_after(self, event_id: int) -> list[NotifyRecord]:
        """`notify` events newer than an event id, oldest first (for a terminal bell)."""
        rows = await self._conn.execute_fetchall(
            "SELECT id, alert_id, ts, note FROM alert_events "
            "WHERE kind = 'notify' AND id > ? ORDER BY id",
            (event_id,),
        )
        return [_notify_record(*row) for row in rows]

    async def rows(self, sql: str, params: Sequence[object] = ()) -> list[tuple[Any, ...]]:
        """The rows of one read-only query on the alert tables (for their own modules)."""
        return [tuple(row) for row in await self._conn.execute_fetchall(sql, params)]

    async def last_event_id(self) -> int:
        """The newest event id (0 without events): where a bell starts watching."""
        async with self._conn.execute("SELECT max(id) FROM alert_events") as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row and row[0] is not None else 0

    # ------------------------------------------------------------------ writes

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AlertWriter]:
        """One durable transaction: committed (synchronous=FULL) when the block ends.

        Raises:
            AlertBookError: read-only, or the database refused the write.
        """
        if self.readonly:
            raise AlertBookError(f"{self.path}: opened read-only")
        async with self._lock:
            await self._begin()
            try:
                yield AlertWriter(self._conn)
                await self._conn.execute("COMMIT")
            except sqlite3.Error as exc:
                await self._rollback()
                raise AlertBookError(f"{self.path}: cannot write alerts: {exc}") from exc
            except BaseException:
                await self._rollback()
                raise

    async def _begin(self) -> None:
        """Take SQLite's write lock, waiting `busy_timeout` per attempt, a few attempts."""
        for attempt in range(1, _BEGIN_ATTEMPTS + 1):
            try:
                await self._conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                busy = "locked" in str(exc) or "busy" in str(exc)
                if not busy or attempt == _BEGIN_ATTEMPTS:
                    raise AlertBookError(f"{self.path}: cannot write alerts: {exc}") from exc
            except sqlite3.Error as exc:
                raise AlertBookError(f"{self.path}: cannot write alerts: {exc}") from exc

    async def _rollback(self) -> None:
        if self._conn.in_transaction:
            with contextlib.suppress(sqlite3.Error):
                await self._conn.execute("ROLLBACK")

    async def acknowledge(self, alert_id: int, user: str, note: str | None, now: float) -> AlertRow:
        """Acknowledge a firing alert; committed durably before it returns.

        Raises:
            AlertBookError: no such alert, or it is not firing.
        """
        user = _one_line(user, "the user name", 200)
        note = _one_line(note, "the note") if note else None
        async with self.transaction() as writer:
            alert = await writer.get(alert_id)
            if alert is None:
                raise AlertBookError(f"no alert {alert_id} (see `wootwatch alerts`)")
            if alert.state is not AlertState.FIRING:
                raise AlertBookError(
                    f"alert {alert_id} is {alert.state}, not firing: "
                    "only a firing alert can be acknowledged"
                )
            await writer.execute(
                "UPDATE alerts SET acknowledged_by = ?, acknowledged_at = ?, ack_note = ? "
                "WHERE id = ?",
                (user, now, note, alert_id),
            )
            await writer.event(
                alert_id, now, "ack", alert.state, alert.state, alert.value, user, note
            )
        acknowledged = await self.get(alert_id)
        assert acknowledged is not None
        return acknowledged

    async def add_silence(
        self,
        matchers: Mapping[str, str],
        *,
        starts_at: float,
        ends_at: float,
        created_by: str,
        comment: str,
        now: float,
    ) -> Silence:
        """Record a silence; committed durably before it returns.

        Raises:
            AlertBookError: no comment, or it would end before it starts.
        """
        if not comment.strip():
            raise AlertBookError("a silence needs a comment saying why")
        if ends_at <= starts_at or ends_at <= now:
            raise AlertBookError("a silence must end after it starts, and in the future")
        comment = _one_line(comment, "the comment")
        created_by = _one_line(created_by, "the user name", 200)
        text = json.dumps(dict(sorted(matchers.items())), ensure_ascii=False)
        async with self.transaction() as writer:
            silence_id = await writer.insert(
                "INSERT INTO silences (matchers, starts_at, ends_at, created_by, comment, "
                "created_at) VALUES (?, ?, ?, ?, ?, ?)",
                (text, starts_at, ends_at, created_by, comment, now),
            )
        return Silence(silence_id, dict(matchers), starts_at, ends_at, created_by, comment, now)

    async def end_silence(self, silence_id: int, now: float, *, by: str = "unknown") -> Silence:
        """End a silence now; committed durably before it returns.

        The end it had is kept (`planned_end`), so a view rewound to before now
        shows that end; an `unsilence` annotation by `by` puts it on the
        timeline. Both are written in the same transaction.

        Raises:
            AlertBookError: no such silence, or it has ended already.
        """
        by = _one_line(by, "the user name", 200)
        async with self.transaction() as writer:
            planned = await self.rows(
                "SELECT ends_at FROM silences WHERE id = ? AND ends_at > ?", (silence_id, now)
            )
            if not planned:
                raise AlertBookError(f"no silence {silence_id} that has not ended")
            await writer.execute(
                "UPDATE silences SET ends_at = ?, planned_end = ends_at WHERE id = ?",
                (now, silence_id),
            )
            await unsilence_note(writer, silence_id, float(planned[0][0]), by=by, now=now)
        ended = [s for s in await self.silences(now, include_ended=True) if s.id == silence_id]
        return ended[0]

    async def pin_incident(
        self, start: float | None, *, by: str = "unknown", now: float | None = None
    ) -> None:
        """Pin the start of the incident in progress (None unpins); durable like an ack.

        Every process on the database sees the pin: the TUI's incident view and
        `wootwatch export` use it as the start of their window. A `pin`
        annotation at the start, made `now` (an `unpin` one at `now`), records
        who did it and when (`pin`).
        """
        async with self.transaction() as writer:
            await pin_note(writer, start, by=_one_line(by, "the user name", 200), now=now)
            if start is None:
                await writer.execute("DELETE FROM meta WHERE key = ?", (_INCIDENT_KEY,))
            else:
                await writer.execute(
                    "INSERT INTO meta (key, value) VALUES (?, ?) "
                    "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                    (_INCIDENT_KEY, repr(float(start))),
                )

    async def pinned_incident(self) -> float | None:
        """The pinned incident start (unix time), or None when nothing is pinned.

        As of a moment (`as_of`): the pin then, as the `pin`/`unpin`
        annotations at or before it tell (`annotations.pin_as_of`); a database
        with no such annotation at all (a pin set before they were recorded)
        answers the live pin.
        """
        if self.as_of is not None:
            told, pin = await pin_as_of(self, self.as_of)
            if told:
                return None if pin is None else pin.start
        return await self._live_pin()

    async def pin(self) -> Pin | None:
        """`pinned_incident` with who set it and when (None when nothing is pinned)."""
        if self.as_of is not None:
            told, pin = await pin_as_of(self, self.as_of)
            if told:
                return pin
        start = await self._live_pin()
        return None if start is None else await pin_of(self, start)

    async def _live_pin(self) -> float | None:
        async with self._conn.execute(
            "SELECT value FROM meta WHERE key = ?", (_INCIDENT_KEY,)
        ) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        try:
            return float(row[0])
        except ValueError:
            return None


class AlertWriter:
    """What the engine may change inside one `AlertBook.transaction`."""

    def __init__(self, conn: aiosqlite.Connection) -> None:
        self._conn = conn

    async def execute(self, sql: str, params: Sequence[object]) -> int:
        """Run one statement; return how many rows it changed (one trip: no cursor to close)."""
        return (await self._conn.execute(sql, params)).rowcount

    async def insert(self, sql: str, params: Sequence[object]) -> int:
        """Run one INSERT; return the new row id (in one trip to aiosqlite's thread)."""
        row = await self._conn.execute_insert(sql, params)
        assert row is not None
        return int(row[0])

    async def get(self, alert_id: int) -> AlertRow | None:
        """One alert, read inside the transaction."""
        return await _one(self._conn, alert_id)

    async def visible(self, now: float) -> list[AlertRow]:
        """`AlertBook.visible`, read inside the transaction (so no ack slips in between)."""
        return await _visible(self._conn, now)

    async def event(
        self,
        alert_id: int,
        ts: float,
        kind: str,
        from_state: str | None,
        to_state: str | None,
        value: float | None,
        actor: str | None = None,
        note: str | None = None,
    ) -> int:
        """Append one event to an alert's history."""
        return await self.insert(
            "INSERT INTO alert_events (alert_id, ts, kind, from_state, to_state, value, actor, "
            "note) VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (alert_id, ts, kind, from_state, to_state, value, actor, note),
        )

    async def create(
        self,
        *,
        rule: str,
        labels: Mapping[str, str],
        severity: Severity,
        state: AlertState,
        value: float | None,
        summary: str,
        t: float,
        flapping: bool,
        reason: str = "",
    ) -> int:
        """A new alert, with its first transition (`ok -> state`) recorded."""
        alert_id = await self.insert(
            "INSERT INTO alerts (rule, labels, severity, state, value, summary, started_at, "
            "updated_at, flapping) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (rule, labels_key(labels), severity.value, state.value, value, summary, t, t, flapping),
        )
        await self.event(
            alert_id, t, "transition", AlertState.OK, state, value, note=reason or None
        )
        return alert_id

    async def transition(
        self,
        alert_id: int,
        *,
        from_state: AlertState,
        to_state: AlertState,
        t: float,
        value: float | None,
        resolved_at: float | None,
        reason: str = "",
    ) -> None:
        """Change an alert's state and record it."""
        await self.execute(
            "UPDATE alerts SET state = ?, updated_at = ?, value = ?, resolved_at = ? WHERE id = ?",
            (to_state.value, t, value, resolved_at, alert_id),
        )
        await self.event(
            alert_id, t, "transition", from_state, to_state, value, note=reason or None
        )

    async def set_value(self, alert_id: int, value: float | None) -> None:
        """Keep the latest checked value (not an event)."""
        await self.execute("UPDATE alerts SET value = ? WHERE id = ?", (value, alert_id))

    async def set_severity(
        self, alert_id: int, *, old: Severity, new: Severity, t: float, value: float | None
    ) -> None:
        """An escalation or de-escalation."""
        await self.execute("UPDATE alerts SET severity = ? WHERE id = ?", (new.value, alert_id))
        await self.event(alert_id, t, "severity", None, None, value, note=f"{old} -> {new}")

    async def set_flapping(
        self, alert_id: int, *, flapping: bool, t: float, state: AlertState, percent: float
    ) -> None:
        """Flapping started or stopped."""
        await self.execute("UPDATE alerts SET flapping = ? WHERE id = ?", (flapping, alert_id))
        what = "started" if flapping else "stopped"
        await self.event(
            alert_id, t, "flapping", state, state, None, note=f"{what} at {percent:.0f}% change"
        )

    async def lapse_ack(self, alert: AlertRow, t: float, why: str) -> bool:
        """Clear an ack if it is still the one `alert` shows; False if it changed meanwhile."""
        changed = await self.execute(
            "UPDATE alerts SET acknowledged_by = NULL, acknowledged_at = NULL, ack_note = NULL "
            "WHERE id = ? AND acknowledged_at IS ?",
            (alert.id, alert.acknowledged_at),
        )
        if changed:
            await self.event(
                alert.id, t, "ack_expired", alert.state, alert.state, alert.value,
                actor=alert.acknowledged_by, note=why,
            )  # fmt: skip
        return bool(changed)

    async def prune(self, before: float) -> int:
        """Delete alerts that ended before a time, with their events, and old silences.

        Returns how many alerts went.
        """
        ended = "SELECT id FROM alerts WHERE state IN ('ok', 'resolved') AND updated_at < ?"
        await self.execute(f"DELETE FROM alert_events WHERE alert_id IN ({ended})", (before,))
        gone = await self.execute(f"DELETE FROM alerts WHERE id IN ({ended})", (before,))
        await self.execute("DELETE FROM silences WHERE ends_at < ?", (before,))
        await self.execute("DELETE FROM annotations WHERE ts < ?", (before,))
        return gone

    async def notified(
        self, alert: AlertRow, *, t: float, kind: str, severity: Severity
    ) -> NotifyRecord:
        """Record a notification decided for an alert."""
        note = json.dumps({"kind": kind, "severity": severity.value})
        event_id = await self.event(
            alert.id, t, "notify", alert.state, alert.state, alert.value, note=note
        )
        return NotifyRecord(event_id, alert.id, t, kind, severity)
