"""Any JSON endpoint: series read from the response by dotted paths.

Sample config (seed 003's widget endpoint):

```yaml
sources:
  - type: json_endpoint
    name: widget
    url: https://app.example.com/api/monitoring/widget
    interval: 30s
    headers:                              # values are secrets: write them as ${NAME}
      Authorization: Bearer ${WIDGET_TOKEN}
    series:                               # series name: dotted path, or {path, unit, labels}
      widget.health: health.overall
      widget.api.p95_ms: {path: performance.api.p95Duration, unit: ms}
      widget.persistence.success_pct: {path: persistence.operations.successRate, unit: "%"}
      widget.alerts.unresolved: alerts.stats.unresolved
```

Contract:

* One GET of `url` per poll through one long-lived `httpx.AsyncClient`
  (explicit timeouts and limits, `Accept: application/json`, the configured
  headers). Redirects are not followed, so the headers (tokens) never go to
  another host: a redirect is an error naming where it points.
* A path is keys joined by dots; a list is indexed by a number
  (`items.0.value`, `items.-1.value`). A number, a boolean (1 or 0) or text
  holding a number becomes a sample at the poll's time. A path that is
  missing, null or not a number, or a value out of its unit's range
  (`collectors.fields`: a `count` is a whole number from 0, a `%` is 0-100,
  `ms`, `s` and `bytes` are not negative, nothing beyond ±2**53) gives that
  series no sample and a one-line reason in the source's note naming the
  value; the other series are stored. When no path gives a value the poll
  fails.
* The whole poll fails with a one-line `SourceError` for: no connection, a
  timeout, an HTTP error status (401/403 and 429 wait longer before the next
  try), a redirect, an HTML page (a login page or a proxy's error page), a
  body that is not JSON, one larger than 8 MiB on the wire or decoded (read
  no further: `collectors.http.read_body`), or one nested deeper than 100
  levels (not parsed). Messages name the URL without credentials or query
  string and never echo a header.

`HttpJsonConfig` and `JsonFetcher` are shared with the other JSON-over-HTTP
sources (`collectors/pipeline.py`).

One unit over 500 lines: one file per source (the design card's rule), and the
fetcher, the path language and the config it reads are that one source.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Mapping
from typing import Any, ClassVar, Final, Generic, Literal, TypeVar, cast
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel, ConfigDict, Field, SecretStr, field_validator

from collectors import fields
from collectors.base import Duration, Record, Sample, SourceConfig, SourceError
from collectors.http import (
    BodyError,
    JsonTooDeep,
    async_client,
    loads_json,
    read_body,
    retry_after,
)

__all__ = [
    "COLLECTOR",
    "HttpJsonConfig",
    "JsonDocumentCollector",
    "JsonEndpointCollector",
    "JsonEndpointConfig",
    "JsonFetcher",
    "SeriesPath",
    "in_range",
    "parse_paths",
    "resolve_path",
    "safe_url",
    "summarize_problems",
]

C = TypeVar("C", bound="HttpJsonConfig")

_AUTH_RETRY: Final = 300.0
"""Seconds to wait after 401/403 before trying again (a person has to fix the token)."""
_HEADER_NAME = re.compile(r"^[A-Za-z0-9!#$%&'*+.^_`|~\-]+$")
_SERIES_NAME = re.compile(r"^[A-Za-z0-9_.\-]+$")

Unit = Literal["", "ms", "s", "%", "count", "bytes"]


def safe_url(url: str) -> str:
    """The URL as a message may show it: no user, password, query or fragment."""
    try:
        parts = urlsplit(url)
        host = parts.hostname or ""
        port = parts.port
    except ValueError:
        return "the configured url"
    if ":" in host:
        host = f"[{host}]"
    where = f"{host}:{port}" if port else host
    return f"{parts.scheme}://{where}{parts.path}" if parts.scheme else where + parts.path


def summarize_problems(
    problems: list[str], *, noun: str | None = "series", limit: int = 240
) -> str | None:
    """Join problems into one line for a note, cut to about `limit` characters.

    Args:
        problems: one reason each.
        noun: what lacks data, for a `3 series without data: ...` prefix; None for none.
        limit: the longest note.
    """
    if not problems:
        return None
    text = "; ".join(" ".join(p.split()) for p in problems)
    if noun and len(problems) > 1:
        text = f"{len(problems)} {noun} without data: {text}"
    return text if len(text) <= limit else text[: limit - 1] + "…"


class HttpJsonConfig(SourceConfig):
    """Options of a source that GETs JSON over HTTP."""

    url: str
    """Required: the endpoint, `http://` or `https://`; put tokens in `headers`, not here."""
    headers: dict[str, SecretStr] = Field(default_factory=dict)
    """Extra request headers, such as `Authorization: Bearer ${TOKEN}`; values are secrets."""
    verify_tls: bool = True
    """Check the server's TLS certificate (turn off only for a self-signed test host)."""

    @field_validator("url")
    @classmethod
    def _check_url(cls, value: str) -> str:
        try:
            parts = urlsplit(value)
            host = parts.hostname
            _ = parts.port
        except ValueError:
            raise ValueError("must be an http:// or https:// URL with a valid port") from None
        if parts.scheme not in ("http", "https") or not host:
            raise ValueError("must be an http:// or https:// URL with a host")
        return value

    @field_validator("headers")
    @classmethod
    def _check_headers(cls, value: dict[str, SecretStr]) -> dict[str, SecretStr]:
        for name, secret in value.items():
            if not _HEADER_NAME.match(name):
                raise ValueError(f"invalid header name {name!r}")
            if any(ch in secret.get_secret_value() for ch in "\r\n\0"):
                raise ValueError(f"header {name!r}: the value holds a line break")
        return value


class SeriesPath(BaseModel):
    """Where one series is in the response, with its unit and labels."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    path: str = Field(min_length=1)
    """Keys joined by dots; a number indexes a list (`items.0.value`)."""
    unit: Unit = ""
    """Unit of the value: ms, s, %, count, bytes or empty."""
    labels: dict[str, str] = Field(default_factory=dict)
    """Fixed labels of the series, e.g. `{category: api}`."""

    @field_validator("path")
    @classmethod
    def _check_path(cls, value: str) -> str:
        if any(not part.strip() for part in value.split(".")):
            raise ValueError("empty step in the path: write keys joined by single dots")
        return value


class JsonEndpointConfig(HttpJsonConfig):
    """Any JSON endpoint, read through a map of series names to dotted paths."""

    type: Literal["json_endpoint"] = "json_endpoint"
    interval: Duration = 30.0
    series: dict[str, SeriesPath] = Field(default_factory=dict, min_length=1, validate_default=True)
    """Required: series name to its path, `name: a.b.c` or `name: {path, unit, labels}`."""

    def writes(self, series: str) -> bool:
        """Whether this source writes `series`: one of the configured names."""
        return super().writes(series) or series in self.series

    @field_validator("series", mode="before")
    @classmethod
    def _shorthand(cls, value: Any) -> Any:
        if isinstance(value, dict):
            return {k: {"path": v} if isinstance(v, str) else v for k, v in value.items()}
        return value

    @field_validator("series")
    @classmethod
    def _check_names(cls, value: dict[str, SeriesPath]) -> dict[str, SeriesPath]:
        for name in value:
            if not _SERIES_NAME.match(name):
                raise ValueError(f"invalid series name {name!r}: use letters, digits, . _ -")
        return value


class PathMissing(Exception):
    """A dotted path does not lead to a value; the message says where it stops."""


def resolve_path(payload: Any, path: str) -> Any:
    """Follow a dotted path into parsed JSON.

    Raises:
        PathMissing: with a short reason, e.g. `no key 'p95' under 'performance.api'`.
    """
    current = payload
    walked: list[str] = []
    for step in path.split("."):
        where = ".".join(walked) or "the top level"
        if isinstance(current, dict):
            if step not in current:
                raise PathMissing(f"no key {step!r} under {where}")
            current = current[step]
        elif isinstance(current, list):
            try:
                current = current[int(step)]
            except ValueError:
                raise PathMissing(f"{where} is a list; {step!r} is not an index") from None
            except IndexError:
                raise PathMissing(f"{where} has {len(current)} items, no index {step}") from None
        else:
            raise PathMissing(f"{where} is {_kind(current)}, not a mapping")
        walked.append(step)
    return current


def _kind(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, str):
        return "text"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return "a number"


def as_number(value: Any) -> float | None:
    """A JSON value as a finite float within ±2**53: numbers, booleans (1/0), numeric text."""
    if isinstance(value, bool):
        return 1.0 if value else 0.0
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    return fields.number(value, "", []) if isinstance(value, int | float) else None


def in_range(value: float | int, unit: str, field: str, problems: list[str]) -> float | None:
    """`value` if it fits its unit (`collectors.fields`), else None with a reason in `problems`."""
    if unit == "count":
        whole = fields.count(value, field, problems)
        return None if whole is None else float(whole)
    if unit == "%":
        return fields.percent(value, field, problems)
    if unit in ("ms", "s", "bytes"):
        return fields.non_negative(value, field, problems)
    return value


def parse_paths(
    payload: Any, series: Mapping[str, SeriesPath], ts: float
) -> tuple[list[Sample], list[str]]:
    """Read each configured series from a parsed response.

    Returns:
        The samples found, and one reason per series that gave none.
    """
    samples: list[Sample] = []
    problems: list[str] = []
    for name, spec in series.items():
        try:
            raw = resolve_path(payload, spec.path)
        except PathMissing as missing:
            problems.append(f"{name}: {missing}")
            continue
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            if fields.number(raw, name, problems) is None:
                continue
            figure: float | int = raw  # as sent, so a note quotes it
        else:
            converted = as_number(raw)
            if converted is None:
                problems.append(f"{name}: {spec.path} is {_kind(raw)}, not a number")
                continue
            figure = converted
        value = in_range(figure, spec.unit, name, problems)
        if value is not None:
            samples.append(Sample(name, value, ts, dict(spec.labels), spec.unit))
    return samples, problems


def _looks_like_html(body: bytes) -> bool:
    head = body[:512].lstrip().lower()
    return head.startswith((b"<!doctype", b"<html", b"<head", b"<body", b"<?xml"))


class JsonFetcher:
    """GETs one URL as JSON through one long-lived client, turning failures into `SourceError`.

    Args:
        config: the source's URL, headers, TLS and timeout.
        transport: an httpx transport to use instead of the network (tests).
        clock: wall-clock time, for `Retry-After` dates.
    """

    def __init__(
        self,
        config: HttpJsonConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._url = config.url
        self._where = safe_url(config.url)
        self._interval = config.interval
        self._clock = clock
        self._client = async_client(
            timeout=config.poll_timeout,
            headers={name: value.get_secret_value() for name, value in config.headers.items()},
            transport=transport,
            verify=config.verify_tls,
        )

    @property
    def where(self) -> str:
        """The URL as messages show it."""
        return self._where

    async def get_json(self) -> Any:
        """GET the URL and return the parsed JSON body.

        Raises:
            SourceError: one line on why there is no JSON to read.
        """
        where = self._where
        try:
            async with self._client.stream("GET", self._url) as response:
                status, content_type = (
                    response.status_code,
                    response.headers.get("content-type", ""),
                )
                location = response.headers.get("location")
                retry_after_header = response.headers.get("retry-after")
                reason = response.reason_phrase
                body = await read_body(response)
        except BodyError as exc:
            raise SourceError(f"response from {where} is {exc}") from None
        except httpx.TimeoutException as exc:
            phase = type(exc).__name__.removesuffix("Timeout").lower() or "read"
            raise SourceError(f"no answer from {where} ({phase} timeout)") from None
        except httpx.ConnectError as exc:
            raise SourceError(f"cannot connect to {where}: {_first_line(exc)}") from None
        except httpx.RemoteProtocolError:
            raise SourceError(f"{where} closed the connection without a full answer") from None
        except httpx.HTTPError as exc:
            raise SourceError(f"request to {where} failed: {type(exc).__name__}") from None
        html = _looks_like_html(body) or (
            not body.strip().startswith((b"{", b"[")) and ("html" in content_type.lower())
        )
        if 300 <= status < 400:
            target = safe_url(location) if location else "nowhere"
            raise SourceError(
                f"HTTP {status} redirect from {where} to {target}: set url to the final address"
            )
        if status in (401, 403):
            raise SourceError(
                f"HTTP {status} {reason} from {where}: check the token in headers",
                retry_after=max(self._interval, _AUTH_RETRY),
            )
        if status == 429:
            raise SourceError(
                f"HTTP 429 Too Many Requests from {where}: slowing down",
                retry_after=retry_after(retry_after_header, self._clock())
                or max(self._interval, 60.0),
            )
        if status >= 400:
            page = " (an HTML error page)" if html else ""
            raise SourceError(f"HTTP {status} {reason} from {where}{page}")
        if html:
            raise SourceError(
                f"got an HTML page from {where} instead of JSON (a login page or a proxy?)"
            )
        if not body.strip():
            raise SourceError(f"empty response from {where} (HTTP {status})")
        try:
            return loads_json(body.removeprefix(b"\xef\xbb\xbf"))
        except JsonTooDeep as exc:
            raise SourceError(f"response from {where} is JSON {exc}; not read") from None
        except UnicodeDecodeError:
            raise SourceError(f"response from {where} is not UTF-8 JSON") from None
        except ValueError as exc:
            kind = content_type.split(";")[0].strip() or "no content type"
            detail = (
                f"{exc.msg} at line {exc.lineno} column {exc.colno}"
                if isinstance(exc, json.JSONDecodeError)
                else "unreadable"
            )
            raise SourceError(f"response from {where} is not JSON ({kind}): {detail}") from None

    async def aclose(self) -> None:
        """Close the client and its connections."""
        await self._client.aclose()


def _first_line(exc: BaseException) -> str:
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__


class JsonDocumentCollector(Generic[C]):
    """A collector that GETs one JSON document per poll and parses it into samples.

    Subclasses set `config_model` and implement `parse` (the pure part) and
    `nothing_usable` (the error when a response yields no sample at all). A
    response with some samples and some problems succeeds, with the problems
    in `notes`.

    Args:
        config: the source entry.
        transport: an httpx transport to use instead of the network (tests).
        clock: wall-clock time for sample timestamps.
    """

    config_model: ClassVar[type[SourceConfig]]
    problem_noun: ClassVar[str | None] = "series"
    """What a problem is about, for the note's `3 series without data: ...` prefix."""

    def __init__(
        self,
        config: SourceConfig,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        assert isinstance(config, self.config_model)
        self._config = cast(C, config)
        self._clock = clock
        self._fetcher = JsonFetcher(self._config, transport=transport, clock=clock)
        self._notes: str | None = None

    @property
    def notes(self) -> str | None:
        """What the last response lacked, and why."""
        return self._notes

    def parse(self, payload: Any, now: float) -> tuple[list[Sample], list[str]]:
        """Samples read from the document, and one line per thing that was missing."""
        raise NotImplementedError

    def nothing_usable(self, problems: list[str]) -> str:
        """The poll's error when the document yields no sample."""
        raise NotImplementedError

    async def collect(self) -> list[Record]:
        """GET the document once and parse it."""
        self._notes = None
        payload = await self._fetcher.get_json()
        samples, problems = self.parse(payload, self._clock())
        if not samples:
            raise SourceError(self.nothing_usable(problems))
        self._notes = summarize_problems(problems, noun=self.problem_noun)
        records: list[Record] = [*samples]
        return records

    async def aclose(self) -> None:
        """Close the HTTP client."""
        await self._fetcher.aclose()


class JsonEndpointCollector(JsonDocumentCollector[JsonEndpointConfig]):
    """Reads the configured series from one JSON endpoint."""

    config_model: ClassVar[type[SourceConfig]] = JsonEndpointConfig

    def parse(self, payload: Any, now: float) -> tuple[list[Sample], list[str]]:
        """Every configured path's value."""
        return parse_paths(payload, self._config.series, now)

    def nothing_usable(self, problems: list[str]) -> str:
        """None of the paths was found."""
        first = problems[0] if problems else "nothing configured"
        return (
            f"none of the {len(problems)} paths found in the response from "
            f"{self._fetcher.where} ({first})"
        )


COLLECTOR = JsonEndpointCollector
"""The registry entry of this source."""
