"""The store's reads as they stood at a past moment: series values, source states, chart slots.

Contract (what `Store.as_of` switches to; other window reads need no switch,
their spans simply end at or before the moment):

* `series_as_of`: every series with its last value at or before the
  moment: the last raw sample, or, where the ring has already dropped it, the
  mean of the last finished minute rollup (its `ts` is the minute's end, never
  after the moment, and `SeriesInfo.from_rollup` says so). A series with no
  data by then did not exist yet and is left out. One query for every series
  (`Store` keeps it for the moment and picks from it).
* `statuses_as_of`: each source's state, error and failure count from the
  `source_status` history row in force at the moment (the last change at or
  before it); `checked_at` is the moment itself (the state held then). A
  source with no row by then had not reported yet and is left out.
* chart slots: `read.points` with `raw_until` the moment reads the minute it
  falls in raw, up to it (that minute's rollup also holds what came after).
  (Window statistics read such an edge raw already; where the ring has
  dropped it, they use the minute's rollup, a minute's blur at most.)
* `oldest_raw`: the time of the oldest raw sample still in the ring, so a
  screen can say "from minute rollups" for anything older.
"""

from __future__ import annotations

import json
import math

import aiosqlite

from collectors.base import SourceState, SourceStatus
from collectors.store.model import SeriesInfo
from collectors.store.query import first_row

__all__ = ["oldest_raw", "series_as_of", "statuses_as_of"]

# Each part is a seek of an index: samples (series_id, ts), rollups (series_id, minute).
_SERIES_AS_OF = """
WITH found AS (
    SELECT id, source, name, labels, unit,
        (SELECT max(ts) FROM samples WHERE series_id = series.id AND ts <= ?) AS raw_ts,
        (SELECT max(minute) FROM rollups WHERE series_id = series.id AND minute < ?)
            AS minute
    FROM series
)
SELECT id, source, name, labels, unit, raw_ts,
    (SELECT value FROM samples WHERE series_id = found.id AND ts = found.raw_ts
        ORDER BY id DESC LIMIT 1),
    minute,
    (SELECT sum / count FROM rollups WHERE series_id = found.id AND minute = found.minute)
FROM found WHERE raw_ts IS NOT NULL OR minute IS NOT NULL
ORDER BY source, name, labels
"""

_STATUSES_AS_OF = """
SELECT h.source, h.ts, h.state, h.last_error, h.consecutive_failures,
    s.last_success, s.note,
    h.id = (SELECT max(id) FROM source_status WHERE source = h.source) AS latest
FROM source_status AS h
JOIN (SELECT max(id) AS id FROM source_status WHERE ts <= ? GROUP BY source) AS last
    ON last.id = h.id
LEFT JOIN sources AS s ON s.name = h.source
ORDER BY h.source
"""


async def series_as_of(conn: aiosqlite.Connection, moment: float) -> list[SeriesInfo]:
    """`read.series` of every series as it stood at `moment` (see the module's contract).

    In one trip to aiosqlite's thread: a cursor fetches a row per trip, and a
    rewound view steps to a new moment on every `[` (200 series, 200 trips).
    """
    found = []
    for row in await conn.execute_fetchall(_SERIES_AS_OF, (moment, math.floor(moment / 60))):
        row_labels: dict[str, str] = json.loads(row[3])
        raw_ts, raw_value, minute, mean = row[5], row[6], row[7], row[8]
        minute_end = None if minute is None else (minute + 1) * 60.0
        last_ts: float | None
        if raw_ts is not None and (minute_end is None or raw_ts >= minute_end):
            last_ts, last_value, from_rollup = float(raw_ts), raw_value, False
        else:
            last_ts, last_value, from_rollup = minute_end, mean, True
        found.append(
            SeriesInfo(row[0], row[1], row[2], row_labels, row[4], last_ts, last_value, from_rollup)
        )
    return found


async def statuses_as_of(conn: aiosqlite.Connection, moment: float) -> dict[str, SourceStatus]:
    """`read.source_statuses` as they stood at `moment` (see the module's contract).

    The history keeps no note or last success, so those come from the
    source's current row while its state has not changed since the moment
    (a last success after the moment is not shown), else stay empty; an `ok`
    source's last success is the moment itself.
    """
    statuses = {}
    rows = await conn.execute_fetchall(_STATUSES_AS_OF, (moment,))
    for name, _ts, state, error, failures, success, note, latest in rows:
        same_episode = bool(latest)
        if SourceState(state) is SourceState.OK:
            last_success: float | None = moment
        elif same_episode and success is not None and success <= moment:
            last_success = success
        else:
            last_success = None
        statuses[name] = SourceStatus(
            source=name,
            state=SourceState(state),
            checked_at=moment,
            last_success=last_success,
            last_error=error,
            consecutive_failures=failures,
            note=note if same_episode else None,
        )
    return statuses


async def oldest_raw(conn: aiosqlite.Connection) -> float | None:
    """The time of the oldest raw sample in the ring, or None when it is empty.

    The minimum of each series' oldest sample (an index seek each), not a
    scan: a late revision may have written an older sample at a newer row.
    """
    row = await first_row(
        conn, "SELECT min((SELECT min(ts) FROM samples WHERE series_id = series.id)) FROM series"
    )
    return None if row is None or row[0] is None else float(row[0])
