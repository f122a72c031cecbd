"""The config model of the Chatwoot source: one account, read with one user's token.

The URL is checked to be a plain http(s) URL without credentials, and the
token to be printable; an entry kept with `enabled: false` may leave its
variable unset. See `collectors.chatwoot.collector` for a sample config.
"""

from __future__ import annotations

from typing import ClassVar, Literal
from urllib.parse import urlsplit

from pydantic import ConfigDict, Field, SecretStr, field_validator, model_validator
from pydantic_core import PydanticCustomError

from collectors.base import Duration, SourceConfig
from collectors.business_hours import BusinessHours

__all__ = ["ChatwootConfig"]


class ChatwootConfig(SourceConfig):
    """One Chatwoot account, read through its REST API with a user's access token."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    series_prefixes: ClassVar[tuple[str, ...]] = ("chatwoot.",)
    type: Literal["chatwoot"] = "chatwoot"
    base_url: str = Field(min_length=1)
    """Where Chatwoot answers, e.g. `https://chat.example.com` (no user or password in it)."""
    account_id: int = Field(default=1, ge=1)
    """The account to watch: the number in the dashboard's URL, `/app/accounts/<id>/`."""
    api_token: SecretStr
    """A user's access token (Profile settings), given as `${ENV}`; reports need an admin."""
    interval: Duration = 30.0
    request_timeout: Duration = 10.0
    """Longest wait for one request (capped below the poll's own timeout)."""
    verify_tls: bool = True
    """Check the server's TLS certificate; turn off only for a self-signed test server."""
    window: Duration = Field(default=86400.0, ge=3600.0, le=31 * 86400.0)
    """Conversations created this far back are judged for the SLA and channel breakdown."""
    sla_target: Duration = 900.0
    """First-response target: a conversation waiting longer breaches."""
    business_hours: BusinessHours | None = None
    """When set, only these hours count toward a wait; unset, the clock always runs."""
    max_pages: int = Field(default=4, ge=1, le=100)
    """Pages of 25 conversations read per poll while filling the window."""
    reports_interval: Duration = 300.0
    """How often to read the reports summary and SLA metrics (reports allow 100 a minute)."""
    auth_retry: Duration = 600.0
    """After the token is refused (401), wait this long before trying again."""

    @field_validator("base_url")
    @classmethod
    def _plain_http_url(cls, value: str) -> str:
        parts = urlsplit(value.strip())
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ValueError("must be an http:// or https:// URL, like https://chat.example.com")
        if parts.username is not None or parts.password is not None:
            raise ValueError("must not hold a user name or password; the token goes in api_token")
        if parts.query or parts.fragment:
            raise ValueError("must not have a query or fragment")
        return value.strip().rstrip("/")

    @field_validator("api_token")
    @classmethod
    def _token_printable(cls, value: SecretStr) -> SecretStr:
        if any(ord(char) < 0x21 or ord(char) > 0x7E for char in value.get_secret_value()):
            raise ValueError("must be printable ASCII without spaces (check the variable's value)")
        return value

    @model_validator(mode="after")
    def _token_given(self) -> ChatwootConfig:
        # An entry kept with `enabled: false` may leave its variable unset.
        if self.enabled and not self.api_token.get_secret_value():
            raise PydanticCustomError(
                "empty_token",
                "must not be empty; give it from the environment, like $CHATWOOT_API_TOKEN",
                {"at": "api_token"},
            )
        return self
