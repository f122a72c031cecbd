"""Sidekiq's keyspace in Redis, built the way Sidekiq writes it, and a tiny Redis to serve it.

Two uses:

* **Tests** fill a real redis-server with `SidekiqState.keyspace(now)` through
  `fill_redis`, then point the real collector at it.
* **The demo** runs `FakeSidekiqRedis`, a small RESP2 server on 127.0.0.1 at
  an ephemeral port that answers the read commands the collector sends
  (PING, AUTH, SELECT, CLIENT, SMEMBERS, SCARD, LLEN, LINDEX, LRANGE, ZCARD,
  GET, MGET, HGET, HMGET, HGETALL, EXISTS, TYPE) from the same keyspace, so
  `wootwatch --demo` needs no redis-server. It is not a Redis: nothing else
  is implemented and nothing is written.

The keyspace (`namespace:` prefixed when a namespace is set):

* `queues`: a set of queue names; `queue:<name>`: a list of job JSON, newest
  at the head (Sidekiq LPUSHes), so the oldest job is at index -1;
* `schedule`, `retry`, `dead`: sorted sets of job JSON scored by time;
* `processes`: a set of process identities; each identity is a hash with
  `info` (JSON), `busy`, `beat` (float seconds), `quiet`, `rss`, `rtt_us`;
* `stat:processed`, `stat:failed`: counters as strings.

Job timestamps (`created_at`, `enqueued_at`) are float seconds in Sidekiq 6
and 7 and integer milliseconds in Sidekiq 8, after `version`.

Driving it from the demo:

```python
state = SidekiqState()
async with FakeSidekiqRedis(state) as fake:      # fake.url: redis://127.0.0.1:<port>/0
    state.apply_levels(*incident_levels(phase))   # every few seconds, like a heartbeat
```
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Literal, Protocol, overload

from collectors.fakes.loopback import LoopbackServer

__all__ = [
    "FakeSidekiqRedis",
    "Keyspace",
    "ProcessInfo",
    "RedisHash",
    "RedisList",
    "RedisSet",
    "RedisZSet",
    "SidekiqState",
    "fill_redis",
]


class RedisList(Sequence[bytes]):
    """A Redis list, head first, whose items are made as they are read.

    The demo's queues hold hundreds of jobs while its backlog builds, and a
    poll reads two items of each (its length, the oldest job): rendering
    every job's JSON at each poll was most of the fake's CPU.

    Args:
        items: the list's items (`RedisList.made` makes them as they are read).
    """

    def __init__(self, items: Iterable[bytes] = ()) -> None:
        kept = list(items)
        self._length = len(kept)
        self._item: Callable[[int], bytes] = kept.__getitem__

    @classmethod
    def made(cls, length: int, item: Callable[[int], bytes]) -> RedisList:
        """A list of `length` items, `item(index)` making each when it is read."""
        made = cls()
        made._length, made._item = length, item
        return made

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> bytes: ...
    @overload
    def __getitem__(self, index: slice) -> list[bytes]: ...
    def __getitem__(self, index: int | slice) -> bytes | list[bytes]:
        if isinstance(index, slice):
            return [self._item(i) for i in range(*index.indices(self._length))]
        position = index + self._length if index < 0 else index
        if not 0 <= position < self._length:
            raise IndexError(index)
        return self._item(position)


class RedisSet(set[bytes]):
    """A Redis set."""


class RedisHash(dict[bytes, bytes]):
    """A Redis hash."""


class RedisZSet(dict[bytes, float]):
    """A Redis sorted set: member to score."""


Keyspace = dict[bytes, bytes | RedisList | RedisSet | RedisHash | RedisZSet]
"""Key to value, the way Redis holds it; plain `bytes` is a string."""

_JOB_CLASSES = (
    "Webhooks::WebhookJob",
    "Conversations::ActivityMessageJob",
    "SendReplyJob",
    "Notification::EmailNotificationJob",
    "Channels::Whatsapp::SendOnWhatsappJob",
)


@dataclass
class ProcessInfo:
    """One Sidekiq process as its heartbeat describes it."""

    identity: str
    busy: int = 0
    """Jobs it is running now."""
    beat_age: float = 2.0
    """Seconds since its last heartbeat; beyond 60 it counts as dead."""
    concurrency: int = 10
    quiet: bool = False
    expired: bool = False
    """True when its hash has expired but it is still in the `processes` set."""


def _default_processes() -> list[ProcessInfo]:
    return [
        ProcessInfo("chatwoot-worker-1:1:4f2a9c1e7b3d", busy=2),
        ProcessInfo("chatwoot-worker-2:1:9b1c3e5d7f2a", busy=1),
    ]


@dataclass
class SidekiqState:
    """What the Sidekiq keyspace says; `keyspace(now)` renders it."""

    queue_sizes: dict[str, int] = field(
        default_factory=lambda: {"critical": 0, "high": 2, "default": 5, "mailers": 1, "low": 3}
    )
    """Jobs waiting per queue."""
    oldest_age_s: dict[str, float] = field(default_factory=dict)
    """Seconds the oldest job of a queue has waited; 0.5 s when not given."""
    scheduled: int = 31
    retries: int = 2
    dead: int = 7
    processes: list[ProcessInfo] = field(default_factory=_default_processes)
    processed: int = 1_204_331
    """The `stat:processed` counter."""
    failed: int = 1_877
    """The `stat:failed` counter."""
    version: Literal[6, 7, 8] = 7
    """Sidekiq major version: 8 writes job timestamps as integer milliseconds."""
    namespace: str = ""
    """redis-namespace prefix, without the colon."""
    revision: int = 0
    """Bumped on every `apply_levels`, so a server knows to re-render."""

    def apply_levels(
        self, spike: float, backlog: float, errors: float, *, elapsed: float = 5.0
    ) -> None:
        """Follow the demo's incident levels (each 0..1) over `elapsed` seconds.

        Queues grow and age with the backlog, retries and failures with the
        errors, the busy workers with both; the counters advance.
        """
        for queue in self.queue_sizes:
            heavy = queue in ("default", "high")
            self.queue_sizes[queue] = round(3 + (380 if heavy else 25) * backlog)
            self.oldest_age_s[queue] = round(0.4 + 140 * backlog + 5 * spike, 3)
        self.retries = round(2 + 45 * errors)
        for process in self.processes:
            process.busy = min(process.concurrency, round(1 + 4 * backlog + 4 * spike))
            process.beat_age = 2.0
        per_minute = 620 - 300 * backlog
        failed_per_minute = 1 + 70 * errors
        self.processed += round(per_minute * elapsed / 60)
        self.failed += round(failed_per_minute * elapsed / 60)
        self.revision += 1

    def _queued(self, queue: str, size: int, oldest: float, now: float, index: int) -> bytes:
        """The job at `index` of a queue of `size` whose oldest job waited `oldest` s at `now`."""
        if index == size - 1:
            return self._job(queue, 0, now - oldest)
        return self._job(queue, index, now - oldest * (size - 1 - index) / max(size - 1, 1))

    def _key(self, name: str) -> bytes:
        return (f"{self.namespace}:{name}" if self.namespace else name).encode()

    def _stamp(self, ts: float) -> float | int:
        return round(ts * 1000) if self.version >= 8 else round(ts, 6)

    def _job(self, queue: str, index: int, enqueued_at: float) -> bytes:
        stamp = self._stamp(enqueued_at)
        job = {
            "retry": True,
            "queue": queue,
            "class": "ActiveJob::QueueAdapters::SidekiqAdapter::JobWrapper",
            "wrapped": _JOB_CLASSES[index % len(_JOB_CLASSES)],
            "args": [{"job_class": _JOB_CLASSES[index % len(_JOB_CLASSES)], "arguments": [index]}],
            "jid": f"{index:024x}",
            "created_at": stamp,
            "enqueued_at": stamp,
        }
        return json.dumps(job, separators=(",", ":")).encode()

    def keyspace(self, now: float) -> Keyspace:
        """The keys and values Sidekiq would have written, as of `now`."""
        keys: Keyspace = {}
        keys[self._key("queues")] = RedisSet(q.encode() for q in self.queue_sizes)
        for queue, size in self.queue_sizes.items():
            if size <= 0:
                continue  # Sidekiq's list disappears when it is empty
            oldest = self.oldest_age_s.get(queue, 0.5)
            # Head first: the newest job was pushed last (LPUSH), the oldest is at -1.
            keys[self._key(f"queue:{queue}")] = RedisList.made(
                size, partial(self._queued, queue, size, oldest, now)
            )
        for name, count in (("schedule", self.scheduled), ("retry", self.retries)):
            keys[self._key(name)] = RedisZSet(
                {self._job("default", i, now - 60): now + 60 * (i + 1) for i in range(count)}
            )
        keys[self._key("dead")] = RedisZSet(
            {self._job("default", i, now - 86400): now - 3600 * i for i in range(self.dead)}
        )
        alive = RedisSet()
        for process in self.processes:
            alive.add(process.identity.encode())
            if process.expired:
                continue
            info = {
                "hostname": process.identity.split(":", 1)[0],
                "pid": 1,
                "concurrency": process.concurrency,
                "queues": list(self.queue_sizes),
                "identity": process.identity,
                "version": f"{self.version}.0.0",
            }
            keys[self._key(process.identity)] = RedisHash(
                {
                    b"info": json.dumps(info).encode(),
                    b"busy": str(process.busy).encode(),
                    b"beat": repr(now - process.beat_age).encode(),
                    b"quiet": b"true" if process.quiet else b"false",
                    b"rss": b"412000",
                    b"rtt_us": b"350",
                }
            )
        keys[self._key("processes")] = alive
        keys[self._key("stat:processed")] = str(self.processed).encode()
        keys[self._key("stat:failed")] = str(self.failed).encode()
        return keys


class _Pipeline(Protocol):
    def rpush(self, name: bytes, *values: bytes) -> Any: ...
    def sadd(self, name: bytes, *values: bytes) -> Any: ...
    def zadd(self, name: bytes, mapping: Mapping[bytes, float]) -> Any: ...
    def hset(self, name: bytes, *, mapping: Mapping[bytes, bytes]) -> Any: ...
    def set(self, name: bytes, value: bytes) -> Any: ...


async def fill_redis(client: Any, keyspace: Keyspace) -> None:
    """Write a keyspace into a real Redis through a redis-py asyncio client.

    Existing keys of the same names are replaced; other keys are left alone.
    """
    async with client.pipeline(transaction=True) as pipe:
        pipe.delete(*keyspace)
        for key, value in keyspace.items():
            _write(pipe, key, value)
        await pipe.execute()


def _write(pipe: _Pipeline, key: bytes, value: Any) -> None:
    if isinstance(value, RedisList):
        if value:
            pipe.rpush(key, *value)
    elif isinstance(value, RedisSet):
        if value:
            pipe.sadd(key, *value)
    elif isinstance(value, RedisZSet):
        if value:
            pipe.zadd(key, dict(value))
    elif isinstance(value, RedisHash):
        pipe.hset(key, mapping=dict(value))
    else:
        pipe.set(key, value)


# --------------------------------------------------------------------------- RESP server

_WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"
_MAX_ARGS = 100_000


class _Status(bytes):
    """A simple-string reply, such as `+OK`."""


_OK = _Status(b"OK")
_Reply = bytes | int | list[Any] | None


class _Error(Exception):
    """A Redis error reply."""


def _encode(reply: _Reply | _Error) -> bytes:
    if isinstance(reply, _Error):
        return f"-{reply}\r\n".encode()
    if isinstance(reply, _Status):
        return b"+" + bytes(reply) + b"\r\n"
    if reply is None:
        return b"$-1\r\n"
    if isinstance(reply, int):
        return f":{reply}\r\n".encode()
    if isinstance(reply, bytes):
        return b"$%d\r\n%s\r\n" % (len(reply), reply)
    return b"*%d\r\n" % len(reply) + b"".join(_encode(item) for item in reply)


def _typed(keys: Keyspace, key: bytes, kind: type) -> Any:
    value = keys.get(key)
    if value is None:
        return None
    if kind is bytes:
        if type(value) is not bytes:
            raise _Error(_WRONGTYPE)
    elif not isinstance(value, kind):
        raise _Error(_WRONGTYPE)
    return value


def _type_name(value: object) -> bytes:
    for kind, name in (
        (RedisList, b"list"),
        (RedisSet, b"set"),
        (RedisHash, b"hash"),
        (RedisZSet, b"zset"),
    ):
        if isinstance(value, kind):
            return name
    return b"string"


def _index(raw: bytes) -> int:
    try:
        return int(raw)
    except ValueError:
        raise _Error("ERR value is not an integer or out of range") from None


class FakeSidekiqRedis(LoopbackServer):
    """A small RESP2 server that answers Sidekiq reads from a `SidekiqState`.

    Args:
        state: what the keyspace says; re-rendered whenever its `revision` changes.
        password: when set, clients must AUTH with it (any user name).
        clock: wall-clock time used to render job timestamps and heartbeats.
    """

    def __init__(
        self,
        state: SidekiqState | None = None,
        *,
        password: str | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__()
        self.state = state or SidekiqState()
        self._password = password.encode() if password is not None else None
        self._clock = clock
        self._keys: Keyspace = {}
        self._rendered: int | None = None
        self.commands = 0
        """Commands answered so far."""

    @property
    def url(self) -> str:
        """A `redis://` URL for the collector (without the password)."""
        return f"redis://127.0.0.1:{self.port}/0"

    def _keyspace(self) -> Keyspace:
        if self._rendered != self.state.revision:
            self._keys = self.state.keyspace(self._clock())
            self._rendered = self.state.revision
        return self._keys

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Answer one client's commands until it quits or hangs up."""
        authed = self._password is None
        while True:
            command = await _read_command(reader)
            if command is None:
                break
            self.commands += 1
            name = command[0].upper() if command else b""
            reply: _Reply | _Error
            if name == b"QUIT":
                writer.write(_encode(_OK))
                break
            if name == b"AUTH":
                reply, authed = self._auth(command[1:], authed)
            elif not authed:
                reply = _Error("NOAUTH Authentication required.")
            else:
                try:
                    reply = self._answer(name, command[1:])
                except _Error as error:
                    reply = error
                except IndexError:
                    reply = _Error("ERR wrong number of arguments")
            writer.write(_encode(reply))
            await writer.drain()

    def _auth(self, args: list[bytes], authed: bool) -> tuple[_Reply | _Error, bool]:
        if self._password is None:
            return _Error("ERR AUTH called without any password configured"), authed
        if not args or args[-1] != self._password:
            return _Error("WRONGPASS invalid username-password pair or user is disabled."), False
        return _OK, True

    def _answer(self, name: bytes, args: list[bytes]) -> _Reply:
        keys = self._keyspace()
        match name:
            case b"PING":
                return _Status(b"PONG")
            case b"SELECT" | b"CLIENT":
                return _OK
            case b"SMEMBERS":
                members = _typed(keys, args[0], RedisSet)
                return sorted(members) if members else []
            case b"SCARD":
                return len(_typed(keys, args[0], RedisSet) or ())
            case b"LLEN":
                return len(_typed(keys, args[0], RedisList) or ())
            case b"LINDEX":
                items = _typed(keys, args[0], RedisList) or []
                position = _index(args[1])
                return items[position] if -len(items) <= position < len(items) else None
            case b"LRANGE":
                items = _typed(keys, args[0], RedisList) or []
                start, stop = _index(args[1]), _index(args[2])
                stop = len(items) if stop == -1 else stop + 1
                return list(items[start:stop])
            case b"ZCARD":
                return len(_typed(keys, args[0], RedisZSet) or ())
            case b"GET":
                value: bytes | None = _typed(keys, args[0], bytes)
                return value
            case b"MGET":
                return [v if isinstance(v := keys.get(k), bytes) else None for k in args]
            case b"HGET":
                return (_typed(keys, args[0], RedisHash) or {}).get(args[1])
            case b"HMGET":
                fields = _typed(keys, args[0], RedisHash) or {}
                return [fields.get(f) for f in args[1:]]
            case b"HGETALL":
                fields = _typed(keys, args[0], RedisHash) or {}
                return [item for pair in fields.items() for item in pair]
            case b"EXISTS":
                return sum(1 for k in args if k in keys)
            case b"TYPE":
                return _Status(_type_name(keys[args[0]]) if args[0] in keys else b"none")
        raise _Error(f"ERR unknown command '{name.decode(errors='replace')}'")


async def _read_command(reader: asyncio.StreamReader) -> list[bytes] | None:
    line = await reader.readline()
    if not line:
        return None
    if not line.startswith(b"*"):
        return line.split()  # an inline command, as typed into telnet
    count = int(line[1:].strip())
    if not 0 <= count <= _MAX_ARGS:
        raise ValueError("bad array length")
    args: list[bytes] = []
    for _ in range(count):
        header = await reader.readline()
        if not header.startswith(b"$"):
            raise ValueError("expected a bulk string")
        size = int(header[1:].strip())
        data = await reader.readexactly(size + 2)
        args.append(data[:-2])
    return args
