"""QuickBooks' own settings (`INTEGRATIONS_QUICKBOOKS_*`), kept beside the provider that reads them.

With `INTEGRATIONS_QUICKBOOKS_BASE_URL` set, every endpoint — authorize, token, revoke, the
Accounting API — is that base plus Intuit's own path (DESIGN.md, "Settings"). Intuit meters each
company (realm) and app: 500 requests a minute and 10 at once; `requests_per_minute` and
`concurrency` are what this worker allows itself per company, in each process.
"""

from __future__ import annotations

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from worker.errors import BadInput

PREFIX = "INTEGRATIONS_QUICKBOOKS_"
AUTHORIZE = "https://appcenter.intuit.com/connect/oauth2"
TOKEN = "https://oauth.platform.intuit.com/oauth2/v1/tokens/bearer"
REVOKE = "https://developer.api.intuit.com/v2/oauth2/tokens/revoke"
API = "https://quickbooks.api.intuit.com"


class QuickBooksSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore")

    base_url: str | None = Field(default=None, description="when set, OAuth and the API are this base plus paths")
    client_id: str = "unset-quickbooks-client-id"
    client_secret: SecretStr = SecretStr("")
    webhook_verifier_token: SecretStr = Field(
        default=SecretStr(""), description="the app's webhook verifier token: intuit-signature is checked with it")
    requests_per_minute: float = Field(default=500, ge=0, description="per company (Intuit: 500 a minute)")
    concurrency: int = Field(default=8, ge=1, le=10, description="requests in flight per company (Intuit: 10)")
    page_size: int = Field(default=1000, ge=1, le=1000, description="MAXRESULTS of each query page")
    minor_version: int = Field(default=75, ge=75, description="the API's minorversion (below 75 is retired)")
    http_timeout_seconds: float = Field(default=60.0, gt=0)

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    def _at(self, production: str, path: str) -> str:
        return f"{self.base_url}{path}" if self.base_url else production

    @property
    def authorize_url(self) -> str:
        return self._at(AUTHORIZE, "/connect/oauth2")

    @property
    def token_url(self) -> str:
        return self._at(TOKEN, "/oauth2/v1/tokens/bearer")

    @property
    def revoke_url(self) -> str:
        return self._at(REVOKE, "/v2/oauth2/tokens/revoke")

    @property
    def api(self) -> str:
        return f"{self.base_url or API}/v3/company"


def quickbooks_settings() -> QuickBooksSettings:
    """Read now (not cached: tests and operators change the environment between runs); an invalid
    value names its variable."""
    try:
        return QuickBooksSettings()
    except ValidationError as error:
        problems = "; ".join(f"{PREFIX}{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors())
        raise BadInput(f"invalid settings: {problems}") from None
