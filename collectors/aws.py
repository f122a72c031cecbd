"""What the two AWS sources share: config fields, one boto3 client each, error words.

Contract:

* `AwsSourceConfig` holds the fields of every AWS source: `region`, `profile`
  (else the standard credential chain: environment, shared files, SSO,
  container and instance roles) and `endpoint_url` (LocalStack, moto).
* `AwsClient` owns one boto3 client per source, built lazily off the event
  loop, and runs every (synchronous) boto3 call in its own small thread pool:
  the pool size bounds the source's concurrency, and nothing blocks the loop.
  botocore retries once itself (standard mode); beyond that a throttled call
  backs off through `SourceError.retry_after`, doubling up to five minutes.
* Every failure leaves as `AwsError` (a `SourceError`) with a one-line
  message of our own words: the error code AWS sent, the profile's name, the
  endpoint's host and port; never a credential, an endpoint's user info or an
  AWS error body.
"""

from __future__ import annotations

import asyncio
import enum
import functools
import re
import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TYPE_CHECKING, Any, ClassVar, Final, Generic, TypeVar, cast
from urllib.parse import urlsplit

from pydantic import Field

from collectors.base import SourceConfig, SourceError, format_duration
from collectors.version import USER_AGENT

if TYPE_CHECKING:
    import botocore.exceptions

__all__ = [
    "AwsClient",
    "AwsCollector",
    "AwsError",
    "AwsProblem",
    "AwsSourceConfig",
    "boto3_session",
    "classify",
    "safe_endpoint",
]

T = TypeVar("T")
ConfigT = TypeVar("ConfigT", bound="AwsSourceConfig")

_THROTTLED: Final = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "TooManyRequestsException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "SlowDown",
    }
)
_EXPIRED: Final = frozenset(
    {"ExpiredToken", "ExpiredTokenException", "RequestExpired", "TokenRefreshRequired"}
)
_REJECTED: Final = frozenset(
    {
        "UnrecognizedClientException",
        "InvalidClientTokenId",
        "InvalidSignatureException",
        "SignatureDoesNotMatch",
        "IncompleteSignature",
        "MissingAuthenticationToken",
        "AuthFailure",
    }
)
_DENIED: Final = frozenset({"AccessDenied", "AccessDeniedException"})
_NOT_FOUND: Final = frozenset({"ResourceNotFoundException"})
_CODE_CHARS: Final = re.compile(r"[^A-Za-z0-9_.\-]")
_THROTTLE_BASE: Final = 15.0
_THROTTLE_CAP: Final = 300.0
_CREDENTIALS_RETRY: Final = 60.0


class AwsSourceConfig(SourceConfig):
    """Fields every AWS source has; subclasses add theirs and a `Literal` `type`."""

    region: str = Field(default="us-east-1", pattern=r"^[a-z]{2}(-[a-z]+)+-\d+$")
    """AWS region, e.g. `us-east-1`."""
    profile: str | None = Field(default=None, min_length=1)
    """Named profile of ~/.aws/config; default: the standard credential chain."""
    endpoint_url: str | None = Field(default=None, pattern=r"^https?://")
    """Another endpoint (LocalStack, moto); default: AWS's own."""
    max_concurrency: int = Field(default=4, ge=1, le=16)
    """AWS calls this source may run at once (threads of its own pool)."""


class AwsProblem(enum.Enum):
    """What kind of failure an AWS call met."""

    THROTTLED = "throttled"
    CREDENTIALS = "credentials"
    DENIED = "denied"
    UNREACHABLE = "unreachable"
    NOT_FOUND = "not found"
    OTHER = "other"


class AwsError(SourceError):
    """An AWS call failed; `problem` says how, the message says it in one safe line."""

    def __init__(
        self, message: str, problem: AwsProblem, *, retry_after: float | None = None
    ) -> None:
        super().__init__(message, retry_after=retry_after)
        self.problem = problem


def safe_endpoint(url: str | None, region: str, service: str) -> str:
    """Where calls go, as `host:port` without user info, path or query."""
    if not url:
        return f"{service}.{region}.amazonaws.com"
    parts = urlsplit(url)
    host = parts.hostname or "?"
    return f"{host}:{parts.port}" if parts.port else host


def boto3_session(**kwargs: Any) -> Any:
    """A new `boto3.session.Session(**kwargs)`.

    boto3 is imported here, when an AWS source first builds its client, not
    when the config is read: it costs every command about 0.3 s to import.
    """
    import boto3

    return boto3.session.Session(**kwargs)


def _code(exc: botocore.exceptions.ClientError) -> str:
    raw = str(exc.response.get("Error", {}).get("Code", "") or "Unknown")
    return _CODE_CHARS.sub("", raw)[:64] or "Unknown"


def classify(
    exc: BaseException, *, api: str, profile: str | None, endpoint: str
) -> tuple[AwsProblem, str] | None:
    """The kind of a boto3 failure and one line about it, or None if not an AWS failure.

    Args:
        exc: what the call raised.
        api: the call, e.g. `logs:FilterLogEvents`.
        profile: the configured profile, named in credential messages.
        endpoint: `host:port` of the endpoint (see `safe_endpoint`).
    """
    import botocore.exceptions as errors  # loaded already: only a boto3 call raises these

    chain = f"profile {profile}" if profile else "the default credential chain"
    if isinstance(exc, errors.ClientError):
        code = _code(exc)
        if code in _THROTTLED:
            return AwsProblem.THROTTLED, f"throttled by AWS ({code}) on {api}"
        if code in _EXPIRED:
            return (
                AwsProblem.CREDENTIALS,
                f"AWS credentials expired ({code}, {chain}): renew them, e.g. `aws sso login`",
            )
        if code in _REJECTED:
            return AwsProblem.CREDENTIALS, f"AWS rejected the credentials ({code}, {chain})"
        if code in _DENIED:
            return AwsProblem.DENIED, f"access denied to {api} ({code}, {chain})"
        if code in _NOT_FOUND:
            return AwsProblem.NOT_FOUND, f"not found ({code}) on {api}"
        status = exc.response.get("ResponseMetadata", {}).get("HTTPStatusCode", "?")
        return AwsProblem.OTHER, f"AWS error {code} (HTTP {status}) on {api}"
    if isinstance(exc, errors.ProfileNotFound):
        return AwsProblem.CREDENTIALS, f"AWS profile {profile!r} not found in ~/.aws/config"
    if isinstance(exc, errors.NoCredentialsError | errors.PartialCredentialsError):
        return AwsProblem.CREDENTIALS, f"no AWS credentials found ({chain})"
    if isinstance(
        exc,
        errors.CredentialRetrievalError
        | errors.TokenRetrievalError
        | errors.SSOError
        | errors.UnauthorizedSSOTokenError,
    ):
        return (
            AwsProblem.CREDENTIALS,
            f"AWS credentials expired or unavailable ({chain}): renew them, e.g. `aws sso login`",
        )
    if isinstance(exc, errors.NoRegionError):
        return AwsProblem.OTHER, "no AWS region configured"
    if isinstance(exc, errors.ConnectTimeoutError | errors.ReadTimeoutError):
        return AwsProblem.UNREACHABLE, f"no answer from {endpoint} ({api})"
    if isinstance(exc, errors.EndpointConnectionError | errors.ConnectionClosedError):
        return AwsProblem.UNREACHABLE, f"cannot reach {endpoint} ({api})"
    if isinstance(exc, errors.BotoCoreError):
        return AwsProblem.OTHER, f"AWS client error {type(exc).__name__} on {api}"
    return None


class AwsClient:
    """One boto3 client of one source, called off the event loop with bounded concurrency.

    Args:
        config: the source's AWS fields.
        service: the boto3 service name, `cloudwatch` or `logs`.
        connect_timeout: seconds to open a connection.
        read_timeout: seconds to wait for an answer.
        session_factory: builds the boto3 session (tests may pass their own).
    """

    def __init__(
        self,
        config: AwsSourceConfig,
        service: str,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 15.0,
        session_factory: Callable[..., Any] = boto3_session,
    ) -> None:
        import botocore.config

        self._config = config
        self._service = service
        self._session_factory = session_factory
        self._botocore_config = botocore.config.Config(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            retries={"mode": "standard", "total_max_attempts": 2},
            max_pool_connections=config.max_concurrency,
            user_agent_extra=USER_AGENT,
        )
        self._pool = ThreadPoolExecutor(
            max_workers=config.max_concurrency, thread_name_prefix=f"aws-{config.name}"
        )
        self._client: Any = None
        self._client_lock = threading.Lock()
        self._throttled = 0
        self.endpoint = safe_endpoint(config.endpoint_url, config.region, service)
        """Where calls go, safe to show."""
        self.calls = 0
        """AWS calls made (pages included), for status lines and tests."""

    def _get_client(self) -> Any:
        with self._client_lock:
            if self._client is None:
                session = self._session_factory(
                    profile_name=self._config.profile, region_name=self._config.region
                )
                self._client = session.client(
                    self._service,
                    endpoint_url=self._config.endpoint_url,
                    config=self._botocore_config,
                )
            return self._client

    def _invoke(self, operation: str, kwargs: dict[str, Any]) -> Any:
        self.calls += 1
        return getattr(self._get_client(), operation)(**kwargs)

    async def call(self, operation: str, api: str, **kwargs: Any) -> Any:
        """Run `client.<operation>(**kwargs)` in the pool; return its response.

        Raises:
            AwsError: the call failed; throttling and credential problems carry a
                `retry_after` (throttling doubles it each time in a row).
        """
        loop = asyncio.get_running_loop()
        try:
            response = await loop.run_in_executor(
                self._pool, functools.partial(self._invoke, operation, kwargs)
            )
        except Exception as exc:
            raise self.error(exc, api) from None
        self._throttled = 0
        return response

    def error(self, exc: BaseException, api: str) -> AwsError:
        """The `AwsError` for a failure of `api` (anything unknown becomes OTHER)."""
        found = classify(exc, api=api, profile=self._config.profile, endpoint=self.endpoint)
        if found is None:
            return AwsError(f"{type(exc).__name__} on {api}", AwsProblem.OTHER)
        problem, message = found
        if problem is AwsProblem.THROTTLED:
            self._throttled += 1
            wait = min(_THROTTLE_BASE * 2 ** (self._throttled - 1), _THROTTLE_CAP)
            return AwsError(
                f"{message}; backing off {format_duration(wait)}", problem, retry_after=wait
            )
        if problem is AwsProblem.CREDENTIALS:
            with self._client_lock:
                self._client = None  # renewed credentials are read on the next call
            return AwsError(
                message, problem, retry_after=max(self._config.interval, _CREDENTIALS_RETRY)
            )
        return AwsError(message, problem)

    async def aclose(self) -> None:
        """Stop the pool without waiting for a call that hangs."""
        self._pool.shutdown(wait=False, cancel_futures=True)


class AwsCollector(Generic[ConfigT]):
    """What the AWS sources share: their config, a clock, one `AwsClient`, notes and closing.

    A subclass names its `config_model` and boto3 `service`, and sets up its
    own state in `_prepare` (called last by `__init__`).

    Args:
        config: the source entry.
        clock: wall-clock time.
        session_factory: builds the boto3 session (the demo and tests pass one
            with fixed credentials).
    """

    config_model: ClassVar[type[SourceConfig]]
    service: ClassVar[str]
    """The boto3 service name: `cloudwatch` or `logs`."""

    def __init__(
        self,
        config: SourceConfig,
        *,
        clock: Callable[[], float] = time.time,
        session_factory: Callable[..., Any] = boto3_session,
    ) -> None:
        assert isinstance(config, self.config_model)
        self._config = cast(ConfigT, config)
        self._clock = clock
        self._aws = AwsClient(self._config, self.service, session_factory=session_factory)
        self._notes: str | None = None
        self._prepare()

    def _prepare(self) -> None:
        """Set up the source's own state (the config is in `self._config`)."""

    @property
    def notes(self) -> str | None:
        """What the last poll skipped, slowed or estimated, one line; None if nothing."""
        return self._notes

    @property
    def calls(self) -> int:
        """AWS requests made so far (pages included)."""
        return self._aws.calls

    async def aclose(self) -> None:
        """Stop the AWS thread pool."""
        await self._aws.aclose()
