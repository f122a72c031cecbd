"""Amazon SQS queue depths through boto3, run off the event loop.

Sample config:

```yaml
sources:
  - type: sqs
    name: sqs-prod
    queues:                  # names, or full queue URLs (another account, another region)
      - chatwoot-events
      - https://sqs.eu-west-1.amazonaws.com/123456789012/chatwoot-webhooks
    region: eu-west-1        # default: the profile's or AWS_REGION, else the first URL's
    profile: ops-readonly    # default: the standard credential chain
    interval: 60s
```

Contract:

* Credentials come from boto3's standard chain (environment, `~/.aws`
  files, SSO, container or instance role), with an optional `profile`; none
  are ever in this file, in a message or in the store. The IAM permissions
  needed are `sqs:GetQueueUrl` and `sqs:GetQueueAttributes`.
* boto3 is synchronous: every call runs in this source's own small thread
  pool (`max_concurrency` threads, so queues are read in parallel and the
  event loop never waits on the network), with connect and read timeouts
  from the poll timeout. botocore does not retry: a failed poll is retried
  by the scheduler's backoff, so no wait hides inside a poll.
* Per queue: `ApproximateNumberOfMessages` (visible),
  `ApproximateNumberOfMessagesNotVisible` (in flight) and
  `ApproximateNumberOfMessagesDelayed`. A queue name is turned into its URL
  once (GetQueueUrl) and remembered.
* A queue that fails (missing, access denied) costs only its series, with a
  note; so does an attribute that is not a whole number from 0 to 2**53
  (`collectors.fields`). A queue that does not exist writes nothing, never 0.
  When every queue fails the poll fails with one line: rejected or
  missing credentials (the next try waits at least five minutes), throttling,
  SQS unreachable, or the queue error.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, ClassVar, Final, Literal, TypeVar
from urllib.parse import urlsplit

from pydantic import Field, field_validator

from collectors import fields
from collectors.base import Duration, Record, Sample, SourceConfig, SourceError
from collectors.version import USER_AGENT

__all__ = [
    "ATTRIBUTES",
    "COLLECTOR",
    "SqsCollector",
    "SqsConfig",
    "classify_error",
    "default_session",
    "parse_attributes",
]

ATTRIBUTES: Final[Mapping[str, str]] = {
    "ApproximateNumberOfMessages": "visible",
    "ApproximateNumberOfMessagesNotVisible": "not_visible",
    "ApproximateNumberOfMessagesDelayed": "delayed",
}
"""SQS attribute to the `state` label of `aws.sqs.messages`."""

_CREDENTIAL_CODES: Final = frozenset(
    {
        "InvalidClientTokenId",
        "UnrecognizedClientException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "InvalidAccessKeyId",
        "InvalidSecurityToken",
        "ExpiredToken",
        "ExpiredTokenException",
        "MissingAuthenticationToken",
        "AuthFailure",
        "RequestExpired",
    }
)
_THROTTLE_CODES: Final = frozenset(
    {
        "RequestThrottled",
        "ThrottlingException",
        "Throttling",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "SlowDown",
        "OverLimit",
    }
)
_MISSING_CODES: Final = frozenset({"QueueDoesNotExist", "AWS.SimpleQueueService.NonExistentQueue"})
_DENIED_CODES: Final = frozenset({"AccessDenied", "AccessDeniedException", "KmsAccessDenied"})
_ACCESS_KEY = re.compile(r"\b(?:AKIA|ASIA|AGPA|AIDA|AROA)[A-Z0-9]{12,}\b")
_XML_CODE = re.compile(r"<Code>([A-Za-z0-9.]{1,80})</Code>")
_REGION_IN_URL = re.compile(r"^sqs[.-]([a-z0-9-]+)\.amazonaws\.com")
_CREDENTIAL_RETRY: Final = 300.0

ErrorKind = Literal["credentials", "throttled", "network", "queue", "other"]
_SEVERITY: Final[tuple[ErrorKind, ...]] = ("credentials", "throttled", "network", "queue", "other")
"""When every queue failed, the first kind in this order names the source's error."""

T = TypeVar("T")


class SqsConfig(SourceConfig):
    """Amazon SQS queues: visible, in-flight and delayed messages."""

    series_prefixes: ClassVar[tuple[str, ...]] = ("aws.sqs.messages",)
    type: Literal["sqs"] = "sqs"
    queues: list[str] = Field(default_factory=list, min_length=1, validate_default=True)
    """Required: queue names, or full queue URLs."""
    region: str | None = Field(default=None, pattern=r"^[a-z]{2}(-[a-z0-9]+)+-\d+$")
    """AWS region, e.g. `eu-west-1`; default the profile's or `AWS_REGION`."""
    profile: str | None = Field(default=None, min_length=1)
    """A named profile from `~/.aws/config`; default the standard credential chain."""
    endpoint_url: str | None = None
    """Another SQS endpoint (LocalStack, ElasticMQ, a VPC endpoint); default AWS's."""
    interval: Duration = 60.0
    max_concurrency: int = Field(default=4, ge=1, le=16)
    """Queues read at the same time (threads of this source)."""

    @field_validator("queues")
    @classmethod
    def _check_queues(cls, value: list[str]) -> list[str]:
        for queue in value:
            if queue.startswith(("http://", "https://")):
                if not urlsplit(queue).path.strip("/"):
                    raise ValueError(f"queue URL {queue!r} has no queue name in its path")
            elif not re.fullmatch(r"[A-Za-z0-9_-]{1,80}(\.fifo)?", queue):
                raise ValueError(
                    f"invalid queue name {queue!r}: letters, digits, - and _ (up to 80), "
                    "optionally .fifo, or a full queue URL"
                )
        if len(set(value)) != len(value):
            raise ValueError("a queue is listed twice")
        return value

    @field_validator("endpoint_url")
    @classmethod
    def _check_endpoint(cls, value: str | None) -> str | None:
        if value is not None and not value.startswith(("http://", "https://")):
            raise ValueError("must be an http:// or https:// URL")
        return value


def queue_label(queue: str) -> str:
    """The name a queue is shown by: the last part of its URL, or the name itself."""
    if queue.startswith(("http://", "https://")):
        return urlsplit(queue).path.rstrip("/").rsplit("/", 1)[-1]
    return queue


def region_of(queue: str) -> str | None:
    """The region in an AWS queue URL (`https://sqs.eu-west-1.amazonaws.com/...`), if any."""
    if not queue.startswith(("http://", "https://")):
        return None
    match = _REGION_IN_URL.match(urlsplit(queue).hostname or "")
    return match[1] if match else None


def parse_attributes(
    queue: str, response: Mapping[str, Any], ts: float
) -> tuple[list[Sample], str | None]:
    """Turn a GetQueueAttributes response into samples of `aws.sqs.messages`.

    Returns:
        The samples, and a problem when an attribute was missing or not a number.
    """
    attributes = response.get("Attributes")
    if not isinstance(attributes, Mapping):
        return [], f"queue {queue}: no Attributes in the answer"
    samples: list[Sample] = []
    missing: list[str] = []
    wrong: list[str] = []
    for name, state in ATTRIBUTES.items():
        raw = attributes.get(name)
        if raw is None:
            missing.append(name)
            continue
        if isinstance(raw, str):  # SQS sends every attribute as text
            with contextlib.suppress(ValueError):
                raw = int(raw) if len(raw) <= 40 else raw
        value = fields.count(raw, f"queue {queue} {name}", wrong)
        if value is not None:
            labels = {"queue": queue, "state": state}
            samples.append(Sample("aws.sqs.messages", value, ts, labels, "count"))
    if missing:
        wrong.insert(0, f"queue {queue}: no {', '.join(missing)}")
    return samples, "; ".join(wrong) or None


@dataclass(frozen=True, slots=True)
class _Failure:
    kind: ErrorKind
    message: str


def _scrub(text: str) -> str:
    line = " ".join(text.split())
    return _ACCESS_KEY.sub("AKIA…", line)[:100]


def classify_error(exc: BaseException, queue: str, *, profile: str | None = None) -> _Failure:
    """What kind of failure an exception from boto3 is, with a one-line message.

    Messages are built from error codes and exception types, not from AWS's
    free text where that could carry a key id or a signature.
    """
    import botocore.exceptions as bexc  # imported when needed: boto3 is slow to import

    if isinstance(exc, bexc.NoCredentialsError):
        return _Failure(
            "credentials",
            "no AWS credentials found (environment, ~/.aws, SSO or instance role)",
        )
    if isinstance(exc, bexc.PartialCredentialsError):
        return _Failure("credentials", "incomplete AWS credentials: a key id or secret is missing")
    if isinstance(exc, bexc.ProfileNotFound):
        return _Failure("credentials", f"AWS profile {profile!r} not found in ~/.aws")
    if isinstance(exc, bexc.NoRegionError):
        return _Failure("credentials", "no AWS region: set region in the config or AWS_REGION")
    if isinstance(exc, bexc.TokenRetrievalError | bexc.SSOError):
        return _Failure("credentials", "the AWS SSO session has expired: run `aws sso login`")
    if isinstance(exc, bexc.CredentialRetrievalError):
        return _Failure("credentials", "AWS credentials could not be fetched from their provider")
    if isinstance(exc, bexc.ClientError):
        error = exc.response.get("Error", {})
        code = str(error.get("Code", "Unknown"))
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        embedded = _XML_CODE.search(str(error.get("Message", "")))
        if (code.isdigit() or code == "Unknown") and embedded:
            # An XML error body where JSON was expected (some proxies and test servers).
            code = embedded[1]
        if code in _CREDENTIAL_CODES:
            return _Failure("credentials", f"AWS rejected the credentials ({code})")
        if code in _THROTTLE_CODES:
            return _Failure("throttled", f"SQS is throttling the requests ({code}); backing off")
        if code in _MISSING_CODES:
            return _Failure("queue", f"queue {queue}: does not exist")
        if code in _DENIED_CODES:
            return _Failure("queue", f"queue {queue}: access denied ({code})")
        if status == 403:
            return _Failure("queue", f"queue {queue}: access denied (HTTP 403 {code})")
        detail = "" if embedded else _scrub(str(error.get("Message", "")))
        return _Failure("other", f"queue {queue}: {code}" + (f": {detail}" if detail else ""))
    if isinstance(exc, bexc.EndpointConnectionError | bexc.ConnectionClosedError):
        return _Failure("network", f"cannot reach SQS: {type(exc).__name__}")
    if isinstance(exc, bexc.ConnectTimeoutError | bexc.ReadTimeoutError):
        return _Failure("network", f"SQS did not answer in time ({type(exc).__name__})")
    if isinstance(exc, bexc.BotoCoreError):
        return _Failure("other", f"queue {queue}: {type(exc).__name__}")
    return _Failure("other", f"queue {queue}: {type(exc).__name__}")


def default_session(config: SqsConfig) -> Any:
    """A boto3 session on the standard credential chain, with the config's profile and region."""
    import boto3  # imported when needed: it adds about 80 ms to every command's start

    return boto3.session.Session(profile_name=config.profile, region_name=config.region)


class SqsCollector:
    """Reads the depth of each configured queue.

    Args:
        config: the source entry.
        clock: wall-clock time for sample timestamps.
        make_session: builds the `boto3.session.Session`, in a worker thread;
            default `default_session` (the standard chain). The demo passes
            one with dummy keys for its local fake.
    """

    config_model: ClassVar[type[SourceConfig]] = SqsConfig

    def __init__(
        self,
        config: SourceConfig,
        *,
        clock: Callable[[], float] = time.time,
        make_session: Callable[[SqsConfig], Any] | None = None,
    ) -> None:
        assert isinstance(config, SqsConfig)
        self._config = config
        self._clock = clock
        self._make_session = make_session or default_session
        self._executor = ThreadPoolExecutor(
            max_workers=config.max_concurrency, thread_name_prefix=f"sqs-{config.name}"
        )
        self._client: Any = None
        self._urls: dict[str, str] = {}
        self._notes: str | None = None

    @property
    def notes(self) -> str | None:
        """Which queues the last poll could not read, and why."""
        return self._notes

    async def collect(self) -> list[Record]:
        """Read every queue's attributes, in parallel."""
        self._notes = None
        if self._client is None:
            try:
                self._client = await self._run(self._make_client)
            except Exception as exc:
                failure = classify_error(exc, "", profile=self._config.profile)
                raise self._source_error(failure) from None
        queues = self._config.queues
        results = await asyncio.gather(*(self._read(q) for q in queues), return_exceptions=True)
        now = self._clock()
        records: list[Record] = []
        failures: list[_Failure] = []
        problems: list[str] = []
        for queue, result in zip(queues, results, strict=True):
            label = queue_label(queue)
            if isinstance(result, BaseException):
                if not isinstance(result, Exception):
                    raise result  # cancellation and the like are not a queue's fault
                failures.append(classify_error(result, label, profile=self._config.profile))
                continue
            samples, problem = parse_attributes(label, result, now)
            records.extend(samples)
            if problem:
                problems.append(problem)
        if failures and not records:
            worst = min(failures, key=lambda f: _SEVERITY.index(f.kind))
            raise self._source_error(worst)
        notes = [f.message for f in failures] + problems
        if notes:
            text = "; ".join(notes)
            self._notes = text if len(text) <= 240 else text[:239] + "…"
        return records

    async def aclose(self) -> None:
        """Close the client and stop this source's threads."""
        client, self._client = self._client, None
        if client is not None:
            close = getattr(client, "close", None)
            if callable(close):
                await self._run(close)
        self._executor.shutdown(wait=False, cancel_futures=True)

    def _source_error(self, failure: _Failure) -> SourceError:
        retry = None
        if failure.kind == "credentials":
            retry = max(self._config.interval, _CREDENTIAL_RETRY)
        return SourceError(failure.message, retry_after=retry)

    async def _run(self, call: Callable[[], T]) -> T:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, call)

    def _make_client(self) -> Any:
        # boto3 and botocore are imported here, in a worker thread, not when the
        # config is loaded.
        import botocore.exceptions as bexc
        from botocore.config import Config as BotoConfig

        config = self._config
        session = self._make_session(config)
        region = session.region_name or next((r for r in map(region_of, config.queues) if r), None)
        timeout = config.poll_timeout
        settings = BotoConfig(
            region_name=region,
            connect_timeout=min(timeout, 5.0),
            read_timeout=timeout,
            retries={"mode": "standard", "total_max_attempts": 1},
            max_pool_connections=config.max_concurrency,
            user_agent_extra=USER_AGENT,
        )
        client = session.client("sqs", endpoint_url=config.endpoint_url, config=settings)
        # Fail now, in this thread, if there are no credentials at all.
        if session.get_credentials() is None:
            raise bexc.NoCredentialsError()
        return client

    async def _read(self, queue: str) -> Mapping[str, Any]:
        url = self._urls.get(queue)
        if url is None:
            if queue.startswith(("http://", "https://")):
                url = queue
            else:
                answer = await self._run(lambda: self._client.get_queue_url(QueueName=queue))
                url = str(answer["QueueUrl"])
            self._urls[queue] = url
        names = list(ATTRIBUTES)
        response: Mapping[str, Any] = await self._run(
            lambda: self._client.get_queue_attributes(QueueUrl=url, AttributeNames=names)
        )
        return response


COLLECTOR = SqsCollector
"""The registry entry of this source."""
