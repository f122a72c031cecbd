"""The store's SQL schema as forward migrations, versioned by `PRAGMA user_version`.

`MIGRATIONS[i]` takes a database from version `i` to `i + 1`. A migration is
never edited once released: a change to the schema is a new entry at the end.
The writer applies what is missing inside one transaction per step; readers
only check that the version is one they understand.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping

__all__ = ["MIGRATIONS", "SCHEMA_VERSION", "labels_key", "storable"]

_V1 = """
CREATE TABLE series (
    id          INTEGER PRIMARY KEY,
    source      TEXT NOT NULL,
    name        TEXT NOT NULL,
    labels      TEXT NOT NULL DEFAULT '{}',   -- canonical JSON, keys sorted
    unit        TEXT NOT NULL DEFAULT '',
    last_ts     REAL,
    last_value  REAL,
    UNIQUE (source, name, labels)
);

-- The raw ring buffer: rowids only grow, so the oldest rows are a rowid range.
CREATE TABLE samples (
    id          INTEGER PRIMARY KEY,
    series_id   INTEGER NOT NULL,
    ts          REAL NOT NULL,
    value       REAL NOT NULL
);
CREATE INDEX samples_series_ts ON samples (series_id, ts);

-- One row per series per minute; `sketch` is a serialized LatencySketch.
CREATE TABLE rollups (
    id          INTEGER PRIMARY KEY,
    series_id   INTEGER NOT NULL,
    minute      INTEGER NOT NULL,             -- unix time // 60
    count       INTEGER NOT NULL,
    sum         REAL NOT NULL,
    min         REAL NOT NULL,
    max         REAL NOT NULL,
    sketch      BLOB NOT NULL,
    UNIQUE (series_id, minute)
);

-- The current state of each source, and a row for every change of it.
CREATE TABLE sources (
    name                  TEXT PRIMARY KEY,
    state                 TEXT NOT NULL,
    checked_at            REAL NOT NULL,
    last_success          REAL,
    last_error            TEXT,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0,
    note                  TEXT
);
CREATE TABLE source_status (
    id                    INTEGER PRIMARY KEY,
    source                TEXT NOT NULL,
    ts                    REAL NOT NULL,
    state                 TEXT NOT NULL,
    last_error            TEXT,
    consecutive_failures  INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX source_status_source ON source_status (source, ts);

-- Cached log lines, searchable through the external-content FTS5 index.
CREATE TABLE log_lines (
    id          INTEGER PRIMARY KEY,
    ts          REAL NOT NULL,
    source      TEXT NOT NULL,
    log_group   TEXT NOT NULL DEFAULT '',
    stream      TEXT NOT NULL DEFAULT '',
    level       TEXT NOT NULL DEFAULT '',
    event_id    TEXT,
    message     TEXT NOT NULL
);
CREATE INDEX log_lines_ts ON log_lines (ts);
CREATE UNIQUE INDEX log_lines_event ON log_lines (source, event_id) WHERE event_id IS NOT NULL;
CREATE VIRTUAL TABLE log_fts USING fts5 (
    message, content='log_lines', content_rowid='id', tokenize='unicode61'
);
CREATE TRIGGER log_lines_ai AFTER INSERT ON log_lines BEGIN
    INSERT INTO log_fts (rowid, message) VALUES (new.id, new.message);
END;
CREATE TRIGGER log_lines_ad AFTER DELETE ON log_lines BEGIN
    INSERT INTO log_fts (log_fts, rowid, message) VALUES ('delete', old.id, old.message);
END;

-- Alerts: one row per alert, every transition/ack as an event, silences.
CREATE TABLE alerts (
    id               INTEGER PRIMARY KEY,
    rule             TEXT NOT NULL,
    labels           TEXT NOT NULL DEFAULT '{}',
    severity         TEXT NOT NULL,
    state            TEXT NOT NULL,
    value            REAL,
    summary          TEXT NOT NULL DEFAULT '',
    started_at       REAL NOT NULL,
    updated_at       REAL NOT NULL,
    resolved_at      REAL,
    acknowledged_by  TEXT,
    acknowledged_at  REAL,
    ack_note         TEXT,
    flapping         INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX alerts_state ON alerts (state, rule);
CREATE TABLE alert_events (
    id          INTEGER PRIMARY KEY,
    alert_id    INTEGER NOT NULL REFERENCES alerts (id),
    ts          REAL NOT NULL,
    kind        TEXT NOT NULL,                -- transition, ack, notify, flapping
    from_state  TEXT,
    to_state    TEXT,
    value       REAL,
    actor       TEXT,
    note        TEXT
);
CREATE INDEX alert_events_alert ON alert_events (alert_id, ts);
CREATE TABLE silences (
    id          INTEGER PRIMARY KEY,
    matchers    TEXT NOT NULL,                -- JSON: {"rule": ..., label: value}
    starts_at   REAL NOT NULL,
    ends_at     REAL NOT NULL,
    created_by  TEXT NOT NULL,
    comment     TEXT NOT NULL,
    created_at  REAL NOT NULL
);

-- Small shared settings, e.g. the pinned incident start.
CREATE TABLE meta (
    key    TEXT PRIMARY KEY,
    value  TEXT NOT NULL
);
"""

_V2_LOG_TRIGRAMS = """
-- Log search finds substrings: `timeout` matches `Net::ReadTimeout`, which the
-- word tokenizer kept as one word `readtimeout`. The trigram index replaces the
-- word index and is rebuilt from the lines already cached.
DROP TRIGGER log_lines_ai;
DROP TRIGGER log_lines_ad;
DROP TABLE log_fts;
CREATE VIRTUAL TABLE log_fts USING fts5 (
    message, content='log_lines', content_rowid='id', tokenize='trigram'
);
CREATE TRIGGER log_lines_ai AFTER INSERT ON log_lines BEGIN
    INSERT INTO log_fts (rowid, message) VALUES (new.id, new.message);
END;
CREATE TRIGGER log_lines_ad AFTER DELETE ON log_lines BEGIN
    INSERT INTO log_fts (log_fts, rowid, message) VALUES ('delete', old.id, old.message);
END;
INSERT INTO log_fts (log_fts) VALUES ('rebuild');
"""

_V3_ANNOTATIONS = """
-- Notes on the timeline: `wootwatch annotate`, the TUI's `n`, notify hooks, and
-- the pin (which has no history of its own). Written through the alert book.
CREATE TABLE annotations (
    id      INTEGER PRIMARY KEY,
    ts      REAL NOT NULL,
    author  TEXT NOT NULL,
    text    TEXT NOT NULL,               -- as given, shown inert
    source  TEXT,                        -- the source it is about, if any
    kind    TEXT NOT NULL DEFAULT 'note' -- note, pin, unpin
);
CREATE INDEX annotations_ts ON annotations (ts);
"""


_V4_HOURLY_ROLLUPS = """
-- Hourly rollups: the merge of one series' minute rollups of an hour, written by
-- the writer once the hour is over (`hourly`), so a week is 168 sketches to merge,
-- not 10080. A row, when present, equals the merge of the minute rows of its hour
-- as they are now: a late write to one of them deletes it (it is sealed again
-- later) and the trim deletes it before any of its minutes. An hour without a row
-- is read from its minutes, so a database migrated with none is merely slower
-- until the writer has sealed its past hours, newest first.
CREATE TABLE rollups_hourly (
    series_id   INTEGER NOT NULL,
    hour        INTEGER NOT NULL,             -- unix time // 3600
    count       INTEGER NOT NULL,
    sum         REAL NOT NULL,
    min         REAL NOT NULL,
    max         REAL NOT NULL,
    sketch      BLOB NOT NULL,
    PRIMARY KEY (series_id, hour)
) WITHOUT ROWID;
CREATE INDEX rollups_hourly_hour ON rollups_hourly (hour);
"""

_V5_SILENCE_PLANNED_END = """
-- A silence ended early keeps the end it had (`planned_end`, NULL if it was never
-- ended early), so a view rewound to before it was ended shows that end. Before
-- this column the end was kept only in the words of the `unsilence` annotation
-- (`silence 3 ended early; it was to end at 2026-12-03T04:00:00Z`): read it from there.
ALTER TABLE silences ADD COLUMN planned_end REAL;
UPDATE silences SET planned_end = (
    SELECT CAST(strftime('%s', substr(a.text, length(said.prefix) + 1)) AS REAL)
    FROM annotations a, (
        SELECT 'silence ' || silences.id || ' ended early; it was to end at ' AS prefix
    ) said
    WHERE a.kind = 'unsilence' AND substr(a.text, 1, length(said.prefix)) = said.prefix
    ORDER BY a.ts, a.id LIMIT 1
);
"""

_V6_ANNOTATION_MADE_AT = """
-- When an annotation was written, where that is not its time: a pin's note is
-- at the start it pins and was made when the pin was set. NULL: not recorded
-- (a note written at its own time, or a pin set before this column).
ALTER TABLE annotations ADD COLUMN made_at REAL;
"""

_V7_DAILY_ROLLUPS = """
-- Daily rollups: the merge of one series' hourly rollups of a UTC day, written by
-- the writer once the day is over and every hour of it holding minutes is sealed
-- (`daily`), so a week is about 7 days and the hours and minutes at its edges. A
-- row, when present, equals the merge of the minute rows of its day as they are
-- now: these triggers delete it with any change to one of them (a late write, a
-- revision, the trim), and the writer seals it again later. A day without a row
-- is read from its hours and minutes, so a migrated database is merely slower
-- until the writer has sealed its past days, newest first.
CREATE TABLE rollups_daily (
    series_id   INTEGER NOT NULL,
    day         INTEGER NOT NULL,             -- unix time // 86400
    count       INTEGER NOT NULL,
    sum         REAL NOT NULL,
    min         REAL NOT NULL,
    max         REAL NOT NULL,
    sketch      BLOB NOT NULL,
    PRIMARY KEY (series_id, day)
) WITHOUT ROWID;
CREATE TRIGGER rollups_daily_ai AFTER INSERT ON rollups BEGIN
    DELETE FROM rollups_daily WHERE series_id = new.series_id AND day = new.minute / 1440;
END;
CREATE TRIGGER rollups_daily_au AFTER UPDATE ON rollups BEGIN
    DELETE FROM rollups_daily WHERE series_id = old.series_id AND day = old.minute / 1440;
    DELETE FROM rollups_daily WHERE series_id = new.series_id AND day = new.minute / 1440;
END;
CREATE TRIGGER rollups_daily_ad AFTER DELETE ON rollups BEGIN
    DELETE FROM rollups_daily WHERE series_id = old.series_id AND day = old.minute / 1440;
END;
"""

MIGRATIONS: tuple[str, ...] = (
    _V1,
    _V2_LOG_TRIGRAMS,
    _V3_ANNOTATIONS,
    _V4_HOURLY_ROLLUPS,
    _V5_SILENCE_PLANNED_END,
    _V6_ANNOTATION_MADE_AT,
    _V7_DAILY_ROLLUPS,
)
"""Migration scripts in order; the schema version is their count."""

SCHEMA_VERSION = len(MIGRATIONS)


def labels_key(labels: Mapping[str, str]) -> str:
    """Canonical JSON of a label set: the form stored and compared."""
    pairs = {storable(k): storable(v) for k, v in sorted(labels.items())}
    return json.dumps(pairs, separators=(",", ":"), ensure_ascii=False)


_SURROGATE = re.compile("[\ud800-\udfff]")


def storable(text: str) -> str:
    """Return `text` as SQLite can store it.

    A lone surrogate (from undecodable upstream bytes) has no UTF-8 form and
    becomes U+FFFD instead of failing the whole write.
    """
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", text)
    return text
