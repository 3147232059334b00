"""Slack's own settings (`INTEGRATIONS_SLACK_*`), kept beside the provider that reads them.

With `INTEGRATIONS_SLACK_BASE_URL` set, every endpoint — authorize, `oauth.v2.access`, the Web API —
is that base plus Slack's own path (DESIGN.md, "Settings"). Rate limits are Slack's per method tier,
per workspace and app; `limited_history` is the app tier Slack applies since 2025 to commercially
distributed apps not approved for its Marketplace (history and replies: 1 request per minute, 15
messages per page).
"""

from __future__ import annotations

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from worker.errors import BadInput

PREFIX = "INTEGRATIONS_SLACK_"
SLACK_HOST = "https://slack.com"


class SlackSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix=PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore")

    base_url: str | None = Field(default=None, description="when set, OAuth and the Web API are this base plus paths")
    client_id: str = "unset-slack-client-id"
    client_secret: SecretStr = SecretStr("")
    signing_secret: SecretStr = SecretStr("")
    # requests per minute per workspace of each method tier (Slack: Tier 2 20+, Tier 3 50+, Tier 4 100+)
    tier2_per_minute: float = Field(default=20, ge=0)
    tier3_per_minute: float = Field(default=50, ge=0)
    tier4_per_minute: float = Field(default=100, ge=0)
    post_per_minute: float = Field(default=60, ge=0, description="chat.postMessage: about one per second")
    limited_history: bool = Field(default=False, description="the non-Marketplace app tier: history 1/min, 15/page")
    page_size: int = Field(default=200, ge=1, le=999, description="messages per history page (limit)")
    http_timeout_seconds: float = Field(default=30.0, gt=0)
    post_lookup_pages: int = Field(
        default=5, ge=1, le=100,
        description="history pages a retried post reads at most looking for what its earlier attempt posted;"
                    " beyond them the post fails visibly instead of holding a worker (1 page a minute for"
                    " non-Marketplace apps)")

    @field_validator("base_url")
    @classmethod
    def _base(cls, value: str | None) -> str | None:
        if not value:
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @property
    def api(self) -> str:
        return f"{self.base_url or SLACK_HOST}/api"

    @property
    def authorize_url(self) -> str:
        return f"{self.base_url or SLACK_HOST}/oauth/v2/authorize"

    @property
    def history_per_minute(self) -> float:
        return 1.0 if self.limited_history else self.tier3_per_minute

    @property
    def history_page_size(self) -> int:
        return min(self.page_size, 15) if self.limited_history else self.page_size


def slack_settings() -> SlackSettings:
    """Read now (not cached: tests and operators change the environment between runs); an invalid
    value names its variable."""
    try:
        return SlackSettings()
    except ValidationError as error:
        problems = "; ".join(f"{PREFIX}{'.'.join(map(str, e['loc'])).upper()}: {e['msg']}" for e in error.errors())
        raise BadInput(f"invalid settings: {problems}") from None
