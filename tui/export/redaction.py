"""Keep secrets out of what is shown and exported: the config's own, and the usual shapes of one.

Secrets never go into the database by contract, but an upstream can still
echo one back (a log line that prints a request's headers, an error page that
repeats a URL with its password). Before anything leaves in an export, every
string of it passes a `Redactor`, which replaces:

* every secret value of the loaded config (each `SecretStr`: API tokens,
  webhook URLs, header values, Redis URLs and the password inside them);
* whatever follows a credential word (`token`, `password`, `secret`,
  `api_access_token`, `authorization`, ...) and `=` or `:`;
* bearer tokens, the password of `scheme://user:password@host`, and AWS
  access key ids.

`scrub` applies a redactor to every string of a tree of frozen dataclasses,
tuples and mappings, so no field of an export can be forgotten;
`Redactor.log_match` masks a cached log line and moves its highlight spans
with the text; `Redactor.status` masks a source's error and note.

One path for everything shown or written: upstream text is redacted where the
TUI and the commands read it (`tui.data.reader.StoreReader` and `RemoteLogs` for
the screens, `tui.console` for the plain summary, `wootwatch logs`, and
`tui.export.gather.gather` for every export format), with the config's secrets
when a config is loaded, then made inert (`collectors.inert`) where it is
drawn or rendered.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Final, TypeVar, cast
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr

from collectors.base import SourceStatus
from collectors.store.log_search import LogMatch

__all__ = ["MASK", "Redactor", "config_secrets", "scrub"]

MASK: Final = "[redacted]"

_PATTERNS: Final = (
    re.compile(
        r"(?i)((?:api[_-]?access[_-]?token|access[_-]?token|api[_-]?key|token|secret|password"
        r"|passwd|pwd|authorization|x-api-key)[\"']?\s*[:=]\s*[\"']?)(?:bearer\s+|basic\s+)?"
        r"[^\s\"',;&]+"
    ),
    re.compile(r"(?i)(\bbearer\s+)(?=[\w.~+/=-]{8})[\w.~+/=-]*\d[\w.~+/=-]*"),
    re.compile(r"(://[^/\s:@]*:)[^/\s@]+(?=@)"),
    re.compile(r"()\b(?:AKIA|ASIA)[0-9A-Z]{16}\b"),
)
"""Shapes of a secret; group 1 is the part kept before the mask."""
_SHORTEST: Final = 4
"""Config secrets shorter than this are not searched for (they would mask ordinary words)."""

T = TypeVar("T")
Span = tuple[int, int]


class Redactor:
    """Replaces secrets in text with `[redacted]`.

    Args:
        secrets: exact values to mask wherever they appear (the config's).
    """

    def __init__(self, secrets: Iterable[str] = ()) -> None:
        known = {s for s in secrets if len(s) >= _SHORTEST}
        self._known = sorted(known, key=len, reverse=True)

    def __call__(self, text: str) -> str:
        """`text` with every secret in it masked."""
        return self.mask(text)[0]

    def mask(self, text: str, spans: Sequence[Span] = ()) -> tuple[str, tuple[Span, ...]]:
        """`text` with every secret masked, and `spans` (offsets into `text`) moved with it.

        A span that starts or ends inside a secret covers the whole mask
        instead; one left empty is dropped.
        """
        masked = self._secret_ranges(text)
        if not masked:
            return text, tuple(spans)
        pieces, last = [], 0
        for start, end in masked:
            pieces += [text[last:start], MASK]
            last = end
        pieces.append(text[last:])
        moved = ((_moved(a, masked, end=False), _moved(b, masked, end=True)) for a, b in spans)
        return "".join(pieces), tuple((a, b) for a, b in moved if a < b)

    def log_match(self, match: LogMatch) -> LogMatch:
        """A cached log line with every secret in its texts masked, its highlights moved."""
        message, spans = self.mask(match.message, match.spans)
        return dataclasses.replace(
            match,
            source=self(match.source),
            group=self(match.group),
            stream=self(match.stream),
            message=message,
            spans=spans,
        )

    def status(self, status: SourceStatus) -> SourceStatus:
        """A source's status with every secret in its error and note masked."""
        return dataclasses.replace(
            status,
            last_error=None if status.last_error is None else self(status.last_error),
            note=None if status.note is None else self(status.note),
        )

    def _secret_ranges(self, text: str) -> list[Span]:
        """Where the secrets in `text` are: sorted, overlapping ones merged."""
        found: list[Span] = []
        for secret in self._known:
            start = text.find(secret)
            while start != -1:
                found.append((start, start + len(secret)))
                start = text.find(secret, start + len(secret))
        for pattern in _PATTERNS:
            found.extend((m.end(1), m.end()) for m in pattern.finditer(text))
        merged: list[Span] = []
        for start, end in sorted(found):
            if merged and start < merged[-1][1]:
                merged[-1] = (merged[-1][0], max(merged[-1][1], end))
            else:
                merged.append((start, end))
        return merged


def _moved(offset: int, masked: Sequence[Span], *, end: bool) -> int:
    """Where `offset` of the original text is once the `masked` ranges are masks."""
    shift = 0
    for start, stop in masked:
        if offset >= stop:
            shift += len(MASK) - (stop - start)
        elif offset > start:  # inside a secret: the edge of its mask
            return start + shift + (len(MASK) if end else 0)
        else:
            break
    return offset + shift


def config_secrets(model: BaseModel) -> list[str]:
    """Every `SecretStr` value in a config tree, and the password inside any URL among them."""
    found: list[str] = []
    for value in _walk(model):
        secret = value.get_secret_value()
        found.append(secret)
        try:
            password = urlsplit(secret).password
        except ValueError:
            password = None
        if password:
            found.append(password)
    return found


def _walk(value: object) -> Iterable[SecretStr]:
    if isinstance(value, SecretStr):
        yield value
    elif isinstance(value, BaseModel):
        for name in type(value).model_fields:
            yield from _walk(getattr(value, name))
    elif isinstance(value, Mapping):
        for item in value.values():
            yield from _walk(item)
    elif isinstance(value, list | tuple):
        for item in value:
            yield from _walk(item)


def scrub(value: T, redact: Redactor) -> T:
    """A copy of a tree of frozen dataclasses, tuples and mappings with every string redacted."""
    result: Any
    if type(value) is str:  # not a StrEnum member: those are our own words
        result = redact(cast(str, value))
    elif dataclasses.is_dataclass(value) and not isinstance(value, type):
        changes = {f.name: scrub(getattr(value, f.name), redact) for f in dataclasses.fields(value)}
        result = dataclasses.replace(value, **changes)
    elif isinstance(value, tuple):
        result = tuple(scrub(item, redact) for item in value)
    elif isinstance(value, Mapping):
        result = {scrub(k, redact): scrub(v, redact) for k, v in value.items()}
    else:
        result = value
    return result  # type: ignore[no-any-return]
