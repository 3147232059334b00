"""Google push settings (`INTEGRATIONS_GOOGLE_*`), beside the code that reads them.

    INTEGRATIONS_GOOGLE_PUBSUB_TOPIC            projects/P/topics/T: Gmail watches publish there (unset: no
                                                Gmail watch is created; polling only)
    INTEGRATIONS_GOOGLE_PUSH_SERVICE_ACCOUNT    the service account of the push subscription's OIDC token;
                                                unset: every Gmail push is refused (nothing could verify it)
    INTEGRATIONS_GOOGLE_PUSH_AUDIENCE           the token's audience; unset: the endpoint's public URL
                                                (Pub/Sub's default)
    INTEGRATIONS_GOOGLE_BASE_URL                the sandbox: its certs verify the tokens (Google's otherwise)
    INTEGRATIONS_PUBLIC_URL                     serve's public URL: Calendar channels' address is under it
                                                (unset: no Calendar channel is created)
"""

from __future__ import annotations

import re

from pydantic import Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from worker.errors import BadInput

PREFIX = "INTEGRATIONS_GOOGLE_"
GOOGLE_CERTS_URL = "https://www.googleapis.com/oauth2/v1/certs"  # {kid: PEM}, the keys of Google's ID tokens
CERTS_PATH = "/oauth2/v1/certs"
TOPIC = re.compile(r"projects/[^/]+/topics/[^/]+")


class GooglePushSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore")

    pubsub_topic: str | None = None
    push_service_account: str | None = None
    push_audience: str | None = None
    base_url: str | None = None
    public_url: str | None = Field(default=None, validation_alias="INTEGRATIONS_PUBLIC_URL")

    @field_validator("pubsub_topic")
    @classmethod
    def _topic(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not TOPIC.fullmatch(value):
            raise ValueError("must be projects/PROJECT/topics/TOPIC")
        return value

    @field_validator("push_service_account", "push_audience", "base_url", "public_url")
    @classmethod
    def _blank_is_unset(cls, value: str | None) -> str | None:
        return value.strip().rstrip("/") if value and value.strip() else None

    @property
    def certs_url(self) -> str:
        return self.base_url + CERTS_PATH if self.base_url else GOOGLE_CERTS_URL


def google_push_settings() -> GooglePushSettings:
    """Read now (not cached: tests and operators change the environment); an invalid value names its variable."""
    try:
        return GooglePushSettings()
    except ValidationError as error:
        problems = "; ".join(f"{PREFIX}{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors())
        raise BadInput(f"invalid settings: {problems}") from None
