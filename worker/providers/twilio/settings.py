"""Twilio's own settings (`INTEGRATIONS_TWILIO_*`), kept beside the provider that reads them.

With `INTEGRATIONS_TWILIO_BASE_URL` set, every REST call is that base plus Twilio's own path
(`/2010-04-01/Accounts/...`): the sandbox, or a regional edge. Phone numbers given without a
country code are read in `INTEGRATIONS_DEFAULT_PHONE_REGION` (the normalization's region too).
"""

from __future__ import annotations

from pydantic import AliasChoices, Field, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from worker.errors import BadInput

PREFIX = "INTEGRATIONS_TWILIO_"
API_HOST = "https://api.twilio.com"


class TwilioSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore")

    base_url: str = Field(default=API_HOST, description="Twilio's REST API, or a stand-in serving its paths")
    requests_per_second: float = Field(
        default=100.0, ge=0, description="per-account pacing of this process's requests, 0 = off")
    concurrency: int = Field(default=10, ge=1, le=100, description="concurrent requests per account in this process")
    page_size: int = Field(default=1000, ge=1, le=1000, description="PageSize of list calls (Twilio allows 1000)")
    http_timeout_seconds: float = Field(default=30.0, gt=0)
    send_lookup_margin_seconds: int = Field(
        default=120, ge=1, le=3600,
        description="only when Twilio's answer carries no Date header (it always does): a retried send then"
                    " accepts a message dated this long before its first attempt by the database's clock")
    default_phone_region: str = Field(
        default="US", validation_alias=AliasChoices("INTEGRATIONS_DEFAULT_PHONE_REGION"),
        description="ISO 3166 region of phone numbers written without +country code")

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str) -> str:
        if not value:
            return API_HOST
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("default_phone_region")
    @classmethod
    def _region(cls, value: str) -> str:
        import phonenumbers

        region = value.strip().upper()
        if region not in phonenumbers.SUPPORTED_REGIONS:
            raise ValueError(f"{value!r} is not a region phonenumbers knows (e.g. US, GB, DE)")
        return region


def twilio_settings() -> TwilioSettings:
    """Read now (not cached: tests and operators change the environment between runs); an invalid
    value names its variable."""
    try:
        return TwilioSettings()
    except ValidationError as error:
        problems = "; ".join(f"{_variable(str(e['loc'][0]))}: {e['msg']}" for e in error.errors())
        raise BadInput(f"invalid settings: {problems}") from None


def _variable(field: str) -> str:
    """The environment variable of a field (an alias is one already)."""
    return field if field.startswith("INTEGRATIONS_") else PREFIX + field.upper()
