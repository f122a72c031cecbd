"""Sidekiq, read straight from its Redis: queues, latency, sets, workers and throughput.

Sample config:

```yaml
sources:
  - type: sidekiq
    name: sidekiq-prod
    # rediss:// for TLS; the password through the environment, never in the file
    redis_url: redis://:${REDIS_PASSWORD}@redis.internal:6379/0
    namespace: ""            # redis-namespace prefix, if Sidekiq was set up with one
    interval: 10s
    heartbeat_timeout: 60s   # a process whose last heartbeat is older is not counted
```

Contract:

* One long-lived redis-py asyncio client (RESP2, so Redis 4 and later),
  two pipelined round trips per poll, read-only commands only: SMEMBERS,
  ZCARD, GET, LLEN, LINDEX, HMGET.
* Per queue in the `queues` set: its size (`LLEN queue:<name>`) and its
  latency, now minus `enqueued_at` of the oldest job (index -1). Sidekiq 6
  and 7 write float seconds, Sidekiq 8 integer milliseconds; a timestamp
  above 1e11 is taken as milliseconds (1e11 seconds is the year 5138), which
  agrees with Sidekiq's own float-or-integer rule for every real timestamp.
  An empty queue, or a job without `enqueued_at`, has latency 0, as in
  Sidekiq's API.
* The sizes of the `schedule`, `retry` and `dead` sorted sets; processes
  alive (their heartbeat hash exists and its `beat` is within
  `heartbeat_timeout`) and the sum of their `busy`; jobs processed and failed
  per minute from the change of `stat:processed` and `stat:failed` since
  the previous poll (none on the first poll, nor when a counter went down
  because Redis restarted or the stats were reset).
* A key of the wrong type, a job that is not JSON, or a counter or size that
  is not a whole number from 0 to 2**53 (`collectors.fields`) costs only the
  series it feeds: the others are stored and the source's note names the key
  and the value. A Redis holding no Sidekiq key at all (the wrong database
  number or namespace) writes no sample: the source shows "no data" with
  the database and namespace it looked in, not counters of 0. Redis
  unreachable, a timeout, a refused password or a Redis still loading its
  data fail the whole poll with a one-line
  `SourceError` (a refused password waits at least a minute before the next
  try); the scheduler keeps the last values and the client reconnects on the
  next poll. Messages name the host and port, never the password.

One unit over 500 lines: one file per source (the design card's rule); the
Redis reads, their parsing and the config are that one source.
"""

from __future__ import annotations

import json
import math
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Final, Literal
from urllib.parse import unquote, urlsplit

from pydantic import Field, SecretStr, field_validator

# redis-py is imported by the collector, not when the config is loaded: it adds
# about 40 ms to the start of every command, most of which never poll.
if TYPE_CHECKING:
    import redis.asyncio as aioredis
    import redis.exceptions as rexc

from collectors import fields
from collectors.base import Duration, Record, Sample, SourceConfig, SourceError, no_data_note

__all__ = [
    "COLLECTOR",
    "SidekiqCollector",
    "SidekiqConfig",
    "SidekiqReading",
    "parse_snapshot",
    "per_minute",
    "redis_target",
]

MAX_QUEUES: Final = 500
"""Queues read per poll; a `queues` set larger than this is cut, with a note."""
MAX_PROCESSES: Final = 1000
"""Processes read per poll, likewise."""
_MS_THRESHOLD: Final = 1e11
"""A job timestamp above this is in milliseconds (Sidekiq 8), else in seconds."""
_AUTH_RETRY: Final = 60.0


class SidekiqConfig(SourceConfig):
    """Sidekiq's Redis: queues, latency, retries, dead jobs, workers, throughput."""

    series_prefixes: ClassVar[tuple[str, ...]] = ("sidekiq.",)
    type: Literal["sidekiq"] = "sidekiq"
    redis_url: SecretStr = SecretStr("redis://127.0.0.1:6379/0")
    """`redis://[:password@]host:port/db`, `rediss://` for TLS, or `unix:///path?db=0`.
    Put the password in as ${NAME}."""
    password: SecretStr | None = None
    """Password for Redis AUTH, instead of one in the URL (handy when it holds `@` or `/`)."""
    namespace: str = Field(default="", max_length=200)
    """The redis-namespace prefix Sidekiq was set up with, without the colon; empty for none."""
    interval: Duration = 10.0
    heartbeat_timeout: Duration = 60.0
    """A process whose last heartbeat is older than this is not counted as alive."""

    @field_validator("namespace")
    @classmethod
    def _check_namespace(cls, value: str) -> str:
        if any(ch.isspace() or ch == ":" for ch in value):
            raise ValueError("write the prefix without spaces or the trailing colon")
        return value

    @field_validator("redis_url")
    @classmethod
    def _check_url(cls, value: SecretStr) -> SecretStr:
        text = value.get_secret_value()
        scheme = text.split("://", 1)[0].lower() if "://" in text else ""
        if scheme not in ("redis", "rediss", "unix"):
            raise ValueError("must start with redis://, rediss:// (TLS) or unix://")
        userinfo = _userinfo(text)
        if userinfo is not None and any(ch in userinfo for ch in "/?#"):
            raise ValueError(
                "the password holds '/', '?' or '#': percent-encode it (/ is %2F)"
                " or give it in the password key instead"
            )
        try:
            parts = urlsplit(text)
            _ = parts.port
        except ValueError:
            raise ValueError("has an invalid host or port") from None
        if scheme != "unix" and not parts.hostname:
            raise ValueError("has no host: write redis://host:6379/0")
        db = parts.path.strip("/")
        if scheme != "unix" and db and not db.isdigit():
            raise ValueError("the path must be a database number, like /0")
        return value


def _userinfo(url: str) -> str | None:
    """The `user:password` part of a URL, split at the last `@` before any query."""
    rest = url.split("://", 1)[-1].split("?", 1)[0]
    return rest.rsplit("@", 1)[0] if "@" in rest else None


def _without_userinfo(url: str) -> str:
    scheme, _, rest = url.rpartition("://")
    head, mark, query = rest.partition("?")
    return f"{scheme}://{head.rsplit('@', 1)[-1]}{mark}{query}"


def redis_target(url: str) -> str:
    """Where a Redis URL points, fit for a message: `host:port/db`, never the password."""
    try:
        parts = urlsplit(_without_userinfo(url))
        host, port = parts.hostname or "localhost", parts.port or 6379
    except ValueError:
        return "the configured Redis"
    if parts.scheme == "unix":
        return f"unix:{parts.path}"
    if ":" in host:
        host = f"[{host}]"
    db = parts.path.strip("/") or "0"
    tls = " (TLS)" if parts.scheme == "rediss" else ""
    return f"{host}:{port}/{db}{tls}"


# --------------------------------------------------------------------------- parsing


@dataclass
class SidekiqReading:
    """What one poll read: samples, per-key problems and the raw counters."""

    samples: list[Sample] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    processed: int | None = None
    failed: int | None = None
    empty: bool = False
    """No Sidekiq key was found at all: nothing is a sample, not even a 0."""


def _text(value: Any) -> str:
    if isinstance(value, bytes):
        return value.decode("utf-8", errors="replace")
    return str(value)


def _error_text(value: Any) -> str | None:
    """The error of a failed command, or None when it succeeded."""
    if isinstance(value, dict) and set(value) == {"error"}:
        return str(value["error"])
    return None


def _problem(key: str, error: str) -> str:
    if error.startswith("WRONGTYPE"):
        return f"{key}: wrong key type (WRONGTYPE)"
    line = " ".join(error.split())
    return f"{key}: {line[:80]}"


def _count(value: Any, key: str, problems: list[str]) -> int | None:
    """A Redis reply as a count: absent is 0; text must hold a whole number in range."""
    if value is None:
        return 0
    if isinstance(value, bytes | str):
        text = _text(value).strip()
        try:
            value = int(text) if len(text) <= 40 else text
        except ValueError:
            try:
                value = float(text)
            except ValueError:
                value = text
    return fields.count(value, key, problems)


def job_age(raw_job: Any, now: float) -> float | None:
    """Seconds since a job's `enqueued_at`; 0 without one; None when the job is unreadable.

    A timestamp that is not a number in range, or later than `now` by more
    than the clock skew `collectors.fields` allows, makes the job unreadable.
    """
    try:
        job = json.loads(raw_job)
    except (ValueError, TypeError, RecursionError):
        return None
    if not isinstance(job, dict):
        return None
    stamp = job.get("enqueued_at")
    if stamp is None:
        return 0.0
    figure = fields.number(stamp, "enqueued_at", [])
    if figure is None:
        return None
    seconds = fields.timestamp(
        figure / 1000.0 if figure > _MS_THRESHOLD else figure, "enqueued_at", [], now=now
    )
    return None if seconds is None else max(0.0, now - seconds)


def parse_snapshot(
    snapshot: Mapping[str, Any], now: float, heartbeat_timeout: float
) -> SidekiqReading:
    """Turn what one poll read from Redis into samples.

    Args:
        snapshot: `queues` (name to `{"size", "oldest"}`, or an error), `scheduled`,
            `retries`, `dead`, `processed`, `failed` (raw values), `processes`
            (identity to `{"info", "busy", "beat"}` or None when the hash is gone).
            Any value may instead be `{"error": message}` for a command that failed.
            `cut` says how much of a very large keyspace was left unread.
        now: wall-clock time of the poll.
        heartbeat_timeout: seconds after which a process is no longer alive.
    """
    reading = SidekiqReading()
    samples, problems = reading.samples, reading.problems

    def add(series: str, value: float, unit: str = "count", **labels: str) -> None:
        samples.append(Sample(series, float(value), now, labels, unit))

    queues = snapshot.get("queues")
    error = _error_text(queues)
    if error is not None:
        problems.append(_problem("queues", error) + ": no per-queue sizes")
    elif isinstance(queues, Mapping):
        total = 0
        complete = True
        for name, entry in queues.items():
            entry_error = _error_text(entry)
            if entry_error is not None:
                problems.append(_problem(f"queue:{name}", entry_error))
                complete = False
                continue
            size = _count(entry.get("size"), f"queue:{name} size", problems)
            if size is None:
                complete = False
                continue
            total += size
            add("sidekiq.queue.size", size, queue=name)
            oldest = entry.get("oldest")
            oldest_error = _error_text(oldest)
            if oldest_error is not None:
                problems.append(_problem(f"queue:{name}", oldest_error))
                continue
            age = 0.0 if oldest is None else job_age(oldest, now)
            if age is None:
                problems.append(f"queue:{name}: oldest job has no readable enqueued_at, no latency")
                continue
            add("sidekiq.queue.latency_s", round(age, 3), "s", queue=name)
        if complete and fields.count(total, "all queues' size", problems) is not None:
            add("sidekiq.enqueued", total)

    for key, series in (("scheduled", "scheduled"), ("retries", "retries"), ("dead", "dead")):
        value = snapshot.get(key)
        redis_key = {"scheduled": "schedule", "retries": "retry", "dead": "dead"}[key]
        error = _error_text(value)
        if error is not None:
            problems.append(_problem(redis_key, error))
            continue
        count = _count(value, redis_key, problems)
        if count is not None:
            add(f"sidekiq.{series}", count)

    for key in ("processed", "failed"):
        value = snapshot.get(key)
        error = _error_text(value)
        if error is not None:
            problems.append(_problem(f"stat:{key}", error))
            continue
        if value is None:
            continue  # no counter yet: nothing has run since Redis started empty
        count = _count(value, f"stat:{key}", problems)
        if count is not None:
            setattr(reading, key, count)

    processes = snapshot.get("processes")
    error = _error_text(processes)
    if error is not None:
        problems.append(_problem("processes", error) + ": no worker counts")
    elif isinstance(processes, Mapping):
        alive = busy = 0
        for identity, beat in processes.items():
            beat_error = _error_text(beat)
            if beat_error is not None:
                problems.append(_problem(str(identity), beat_error))
                continue
            if not isinstance(beat, Mapping) or beat.get("info") is None:
                continue  # its hash expired: the process is gone
            try:
                last = float(_text(beat.get("beat")))
            except ValueError:
                continue
            if not math.isfinite(last) or now - last > heartbeat_timeout:
                continue
            alive += 1
            busy += _count(beat.get("busy"), f"{identity} busy", problems) or 0
        add("sidekiq.processes", alive)
        add("sidekiq.busy", busy)

    if snapshot.get("cut"):
        problems.append(f"too many to read every poll: {snapshot['cut']}")
    if (
        not queues
        and not processes
        and reading.processed is None
        and reading.failed is None
        and all(snapshot.get(key) in (0, None) for key in ("scheduled", "retries", "dead"))
    ):
        reading.samples.clear()
        reading.empty = True
    return reading


def per_minute(previous: tuple[int, float] | None, current: int, at: float) -> float | None:
    """Events per minute between two readings of a counter, or None when there is no rate.

    Args:
        previous: the counter and the monotonic time of the last reading, if any.
        current: the counter now.
        at: the monotonic time now.
    """
    if previous is None:
        return None
    count, then = previous
    if current < count or at <= then:
        return None
    return (current - count) * 60.0 / (at - then)


# --------------------------------------------------------------------------- collector


class SidekiqCollector:
    """Reads Sidekiq's keys from its Redis.

    Args:
        config: the source entry.
        clock: wall-clock time, for latencies, heartbeats and timestamps.
        monotonic: a monotonic clock, for per-minute rates.
    """

    config_model: ClassVar[type[SourceConfig]] = SidekiqConfig

    def __init__(
        self,
        config: SourceConfig,
        *,
        clock: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        assert isinstance(config, SidekiqConfig)
        import redis.asyncio as aioredis
        from redis.asyncio.retry import Retry
        from redis.backoff import NoBackoff
        from redis.exceptions import ConnectionError as ConnectionError_

        self._config = config
        self._clock = clock
        self._monotonic = monotonic
        url = config.redis_url.get_secret_value()
        self._target = redis_target(url)
        self._secrets = _secrets_of(url, config.password)
        timeout = config.poll_timeout
        options: dict[str, Any] = {
            "socket_timeout": timeout,
            "socket_connect_timeout": min(timeout, 5.0),
            # One immediate reconnect covers a connection that died between polls
            # (a Redis restart); anything longer waits for the next poll.
            "retry": Retry(NoBackoff(), 1, supported_errors=(ConnectionError_,)),
            "max_connections": 4,
            "protocol": 2,
            "client_name": "wootwatch",
            "health_check_interval": 0,
        }
        if config.password is not None:
            options["password"] = config.password.get_secret_value()
        self._redis: aioredis.Redis = aioredis.Redis.from_url(url, **options)
        self._prefix = f"{config.namespace}:".encode() if config.namespace else b""
        self._counters: dict[str, tuple[int, float]] = {}
        self._notes: str | None = None

    @property
    def notes(self) -> str | None:
        """Which series the last poll could not read, and why."""
        return self._notes

    async def collect(self) -> list[Record]:
        """Read Sidekiq's keys once."""
        import redis.exceptions as rexc

        self._notes = None
        try:
            snapshot = await self._read()
        except rexc.RedisError as exc:
            raise self._failure(exc) from None
        except OSError as exc:
            raise SourceError(f"cannot reach Redis at {self._target}: {self._scrub(exc)}") from None
        reading = parse_snapshot(snapshot, self._clock(), self._config.heartbeat_timeout)
        if reading.empty:
            namespace = self._config.namespace or "none"
            self._notes = no_data_note(
                f"no Sidekiq keys in {self._target}, namespace {namespace}: "
                "check the database number in redis_url and the namespace"
            )
            self._counters.clear()
            return []
        records: list[Record] = [*reading.samples]
        at, now = self._monotonic(), self._clock()
        for name, current in (("processed", reading.processed), ("failed", reading.failed)):
            if current is None:
                self._counters.pop(name, None)
                continue
            rate = per_minute(self._counters.get(name), current, at)
            if rate is not None:
                records.append(Sample(f"sidekiq.{name}_per_min", round(rate, 3), now, {}, "count"))
            elif name in self._counters:
                reading.problems.append(
                    f"stat:{name} went down (Redis restarted or stats reset): rate from next poll"
                )
            self._counters[name] = (current, at)
        self._notes = _summary(reading.problems)
        return records

    async def aclose(self) -> None:
        """Close the Redis client and its connections."""
        await self._redis.aclose()

    def _key(self, name: str | bytes) -> bytes:
        raw = name.encode() if isinstance(name, str) else name
        return self._prefix + raw

    async def _read(self) -> dict[str, Any]:
        key = self._key
        async with self._redis.pipeline(transaction=False) as pipe:
            pipe.smembers(key("queues"))
            pipe.smembers(key("processes"))
            pipe.zcard(key("schedule"))
            pipe.zcard(key("retry"))
            pipe.zcard(key("dead"))
            pipe.get(key("stat:processed"))
            pipe.get(key("stat:failed"))
            first = await pipe.execute(raise_on_error=False)
        _raise_connection_errors(first)
        queues_raw, processes_raw, scheduled, retries, dead, processed, failed = first
        snapshot: dict[str, Any] = {
            "scheduled": _plain(scheduled),
            "retries": _plain(retries),
            "dead": _plain(dead),
            "processed": _plain(processed),
            "failed": _plain(failed),
        }
        queue_names, identities = _names(queues_raw), _names(processes_raw)
        cut = [
            f"read {limit} of {len(found)} {what}"
            for found, limit, what in (
                (queue_names, MAX_QUEUES, "queues"),
                (identities, MAX_PROCESSES, "processes"),
            )
            if len(found) > limit
        ]
        if cut:
            snapshot["cut"] = ", ".join(cut)
        queue_names, identities = queue_names[:MAX_QUEUES], identities[:MAX_PROCESSES]
        async with self._redis.pipeline(transaction=False) as pipe:
            for raw, _ in queue_names:
                pipe.llen(key(b"queue:" + raw))
                pipe.lindex(key(b"queue:" + raw), -1)
            for raw, _ in identities:
                pipe.hmget(key(raw), ["info", "busy", "beat"])
            second = await pipe.execute(raise_on_error=False) if len(pipe) else []
        _raise_connection_errors(second)
        if isinstance(queues_raw, Exception):
            snapshot["queues"] = {"error": str(queues_raw)}
        else:
            snapshot["queues"] = {
                name: _queue_entry(second[2 * i], second[2 * i + 1])
                for i, (_, name) in enumerate(queue_names)
            }
        if isinstance(processes_raw, Exception):
            snapshot["processes"] = {"error": str(processes_raw)}
        else:
            offset = 2 * len(queue_names)
            snapshot["processes"] = {
                identity: _process_entry(second[offset + i])
                for i, (_, identity) in enumerate(identities)
            }
        return snapshot

    def _scrub(self, exc: BaseException) -> str:
        lines = str(exc).strip().splitlines()
        text = lines[0] if lines else type(exc).__name__
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def _failure(self, exc: rexc.RedisError) -> SourceError:
        import redis.exceptions as rexc

        where = self._target
        reason = self._scrub(exc)
        if isinstance(exc, rexc.AuthenticationError) or reason.upper().startswith(
            ("WRONGPASS", "NOAUTH", "INVALID PASSWORD", "INVALID USERNAME")
        ):
            retry = max(self._config.interval, _AUTH_RETRY)
            if "without any password configured" in reason:
                return SourceError(
                    f"Redis at {where} has no password but the config gives one: remove it",
                    retry_after=retry,
                )
            if "required" in reason.lower():
                return SourceError(
                    f"Redis at {where} wants a password: add it to redis_url or password",
                    retry_after=retry,
                )
            return SourceError(
                f"Redis at {where} refused the login ({reason}): check the password",
                retry_after=retry,
            )
        if isinstance(exc, rexc.BusyLoadingError):
            return SourceError(f"Redis at {where} is loading its data (just restarted?)")
        if isinstance(exc, rexc.TimeoutError):
            return SourceError(f"Redis at {where} did not answer in time ({reason})")
        if isinstance(exc, rexc.ConnectionError):
            return SourceError(f"cannot reach Redis at {where}: {reason}")
        return SourceError(f"Redis at {where}: {reason}")


def _secrets_of(url: str, password: SecretStr | None) -> list[str]:
    secrets: list[str] = []
    userinfo = _userinfo(url)
    raw = userinfo.split(":", 1)[-1] if userinfo else None
    for value in (userinfo, raw, unquote(raw) if raw else None):
        if value:
            secrets.append(value)
    if password is not None and password.get_secret_value():
        secrets.append(password.get_secret_value())
    return sorted(set(secrets), key=len, reverse=True)


def _raise_connection_errors(results: Sequence[Any]) -> None:
    """Re-raise a failure of the whole connection; per-key errors stay in the results."""
    import redis.exceptions as rexc

    for result in results:
        if isinstance(result, rexc.ConnectionError | rexc.TimeoutError) or (
            isinstance(result, rexc.ResponseError)
            and str(result).upper().startswith(("NOAUTH", "WRONGPASS", "LOADING"))
        ):
            raise result


def _plain(value: Any) -> Any:
    if isinstance(value, Exception):
        return {"error": str(value)}
    return _text(value) if isinstance(value, bytes) else value


def _names(raw: Any) -> list[tuple[bytes, str]]:
    """Set members as (raw key part, display text), sorted by text."""
    if isinstance(raw, Exception) or not raw:
        return []
    members = (m if isinstance(m, bytes) else str(m).encode() for m in raw)
    return sorted(((m, _text(m)) for m in members), key=lambda pair: pair[1])


def _queue_entry(size: Any, oldest: Any) -> dict[str, Any]:
    if isinstance(size, Exception):
        return {"error": str(size)}
    if isinstance(oldest, Exception):
        return {"size": size, "oldest": {"error": str(oldest)}}
    return {"size": size, "oldest": _text(oldest) if oldest is not None else None}


def _process_entry(fields: Any) -> Any:
    if isinstance(fields, Exception):
        return {"error": str(fields)}
    info, busy, beat = fields if fields else (None, None, None)
    if info is None:
        return None
    return {"info": _text(info), "busy": _text(busy or b"0"), "beat": _text(beat or b"nan")}


def _summary(problems: list[str], limit: int = 300) -> str | None:
    if not problems:
        return None
    text = "; ".join(problems)
    return text if len(text) <= limit else text[: limit - 1] + "…"


COLLECTOR = SidekiqCollector
"""The registry entry of this source."""
