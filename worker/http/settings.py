"""The web service's own settings (`INTEGRATIONS_PUBLIC_URL`, `INTEGRATIONS_ADMIN_TOKEN`,
`INTEGRATIONS_CONNECT_TOKEN`, `INTEGRATIONS_ALLOWED_RETURN_URLS`), checked
when `serve` starts so a wrong value stops it with the variable's name, not a failed webhook later."""

from __future__ import annotations

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from worker.errors import BadInput
from worker.http.return_urls import parse_allowed

PREFIX = "INTEGRATIONS_"
MIN_ADMIN_TOKEN = 16


class ServeSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore")

    public_url: str = Field(
        description="where providers reach serve (scheme, host, port, no path): the URL they sign requests for")
    admin_token: SecretStr | None = Field(default=None, description="bearer token of GET /status; unset: no page")
    connect_token: SecretStr | None = Field(
        default=None, description="bearer token of POST /connect/sessions (the CRM's backend); unset: no web connect")
    allowed_return_urls: str = Field(
        default="", description="comma-separated URLs the connect flow may send a browser back to (and below)")
    max_body_bytes: int = Field(default=1_000_000, ge=1024, description="a larger webhook body is refused (413)")

    @field_validator("public_url")
    @classmethod
    def _public_url(cls, value: str) -> str:
        value = value.strip().rstrip("/")
        if not value.startswith(("http://", "https://")):
            raise ValueError(f"must start with http:// or https://, got {value!r}")
        rest = value.split("://", 1)[1]
        if not rest or "/" in rest or "?" in rest or "#" in rest:
            raise ValueError(f"must be scheme://host[:port] with no path (serve answers at its root), got {value!r}")
        return value

    @field_validator("allowed_return_urls")
    @classmethod
    def _allowed_return_urls(cls, value: str) -> str:
        parse_allowed(value)
        return value

    @property
    def return_urls(self) -> tuple[str, ...]:
        return parse_allowed(self.allowed_return_urls)

    @field_validator("admin_token", "connect_token")
    @classmethod
    def _token(cls, value: SecretStr | None) -> SecretStr | None:
        if value is None or not value.get_secret_value():
            return None
        if len(value.get_secret_value()) < MIN_ADMIN_TOKEN:
            raise ValueError(f"must be at least {MIN_ADMIN_TOKEN} characters (e.g. `openssl rand -hex 32`)")
        return value


def serve_settings() -> ServeSettings:
    """Read now; a missing or invalid value is BadInput naming its variable (never its value)."""
    try:
        return ServeSettings()
    except ValidationError as error:
        problems = []
        for e in error.errors():
            name = PREFIX + ".".join(map(str, e["loc"])).upper()
            message = "required: where providers reach serve, e.g. https://crm.example.com" \
                if e["type"] == "missing" else e["msg"]
            problems.append(f"{name}: {message}")
        raise BadInput("invalid settings: " + "; ".join(problems)) from None
