"""Keep secrets out of exported text: the config's own, and the usual shapes of one.

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
tuples and mappings, so no field of an export can be forgotten.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable, Mapping
from typing import Any, Final, TypeVar, cast
from urllib.parse import urlsplit

from pydantic import BaseModel, SecretStr

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
        for secret in self._known:
            text = text.replace(secret, MASK)
        for pattern in _PATTERNS:
            text = pattern.sub(lambda m: m.group(1) + MASK, text)
        return text


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
