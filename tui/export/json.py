"""Draw a `Snapshot` as JSON for scripts: the same content as the markdown export.

The document is `{"format": "wootwatch-export", "version": 1, ...}` followed
by the snapshot's fields (`tui.export.model`), nested as they are there.
Times (keys `at` and `*_at`) are ISO 8601 UTC strings, as in `wootwatch
alerts --json`; every other number is as stored (milliseconds, seconds,
percent or a count, see each series' `unit`), `null` where there is no data.
Strings are as stored, redacted and made inert (`collectors.inert`, as the
markdown export and the screen show them; newlines are kept): no string holds
a control or invisible character, so neither printing the document nor a
script printing a string from it (`jq -r`) can steer a terminal. The document
is ASCII (JSON escapes the rest). Pure: no store, no Textual.
"""

from __future__ import annotations

import dataclasses
import json
import math
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Final

from collectors.inert import inert
from tui.export.model import Snapshot

__all__ = ["FORMAT_VERSION", "render_json"]

FORMAT_VERSION: Final = 1
"""Bumped when a field changes meaning or goes away (new fields do not bump it)."""


def render_json(snapshot: Snapshot) -> str:
    """The snapshot as an indented JSON document, ending with a newline."""
    body = _plain(dataclasses.asdict(snapshot))
    assert isinstance(body, dict)
    document = {"format": "wootwatch-export", "version": FORMAT_VERSION, **body}
    return json.dumps(document, indent=2) + "\n"


def _plain(value: object, key: str = "") -> object:
    if isinstance(value, Mapping):
        return {_text(str(k)): _plain(v, str(k)) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(item) for item in value]
    if isinstance(value, str):
        return _text(value)
    if isinstance(value, float):
        if not math.isfinite(value):
            return None
        if key == "at" or key.endswith("_at"):
            return datetime.fromtimestamp(value, UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return value


def _text(value: str) -> str:
    return inert(value, keep_newlines=True)
