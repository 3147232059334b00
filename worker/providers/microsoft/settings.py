"""Microsoft's own settings (`INTEGRATIONS_MICROSOFT_*`), kept beside the provider that reads them.

With `INTEGRATIONS_MICROSOFT_BASE_URL` set, every endpoint — the identity platform's authorize and
token, and Graph — is that base plus Microsoft's own path (DESIGN.md, "Settings"). msal accepts
only an https authority, so a local stand-in serves TLS and names its CA in `CA_BUNDLE`.
"""

from __future__ import annotations

import ssl
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from worker.errors import BadInput

PREFIX = "INTEGRATIONS_MICROSOFT_"
LOGIN_HOST = "https://login.microsoftonline.com"
GRAPH_HOST = "https://graph.microsoft.com"


class MicrosoftSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore")

    base_url: str | None = Field(default=None, description="when set, login and Graph are this base plus their paths")
    client_id: str = "unset-microsoft-client-id"
    client_secret: SecretStr = SecretStr("")
    tenant: str = Field(default="common", description="authority tenant: common, organizations or a tenant id")
    ca_bundle: Path | None = Field(default=None, description="PEM file of CAs to trust instead of the system's")
    requests_per_ten_minutes: int = Field(
        default=10_000, ge=0, description="per-mailbox pacing under Graph's Outlook limit, 0 = off")
    concurrency: int = Field(default=4, ge=1, le=4, description="concurrent requests per mailbox (Graph allows 4)")
    page_size: int = Field(default=50, ge=1, le=1000, description="Prefer: odata.maxpagesize of delta pages")
    http_timeout_seconds: float = Field(default=30.0, gt=0)
    # serve's public URL: change notifications are delivered under it (unset: no subscription, polling only)
    public_url: str | None = Field(default=None, validation_alias="INTEGRATIONS_PUBLIC_URL")

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("public_url")
    @classmethod
    def _public(cls, value: str | None) -> str | None:
        return value.strip().rstrip("/") if value and value.strip() else None

    @field_validator("ca_bundle")
    @classmethod
    def _readable(cls, value: Path | None) -> Path | None:
        if value is not None and not value.is_file():
            raise ValueError(f"no such file: {value}")
        return value

    @property
    def authority(self) -> str:
        return f"{self.base_url or LOGIN_HOST}/{self.tenant}"

    @property
    def graph(self) -> str:
        return f"{self.base_url or GRAPH_HOST}/v1.0"

    def tls_context(self) -> ssl.SSLContext | bool:
        """What httpx verifies TLS against: the configured CAs, else the system's."""
        return ssl.create_default_context(cafile=str(self.ca_bundle)) if self.ca_bundle else True


def microsoft_settings() -> MicrosoftSettings:
    """Read now (not cached: tests and operators change the environment between runs); an invalid
    value names its variable."""
    try:
        return MicrosoftSettings()
    except ValidationError as error:
        problems = "; ".join(f"{PREFIX}{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors())
        raise BadInput(f"invalid settings: {problems}") from None
