"""Settings from the environment (prefix ``INTEGRATIONS_``) or an optional ``.env`` file.

One place reads configuration so an invalid value fails at start-up, naming the variable,
instead of deep inside a sync.
"""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr, ValidationError, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from worker.errors import BadInput

ENV_PREFIX = "INTEGRATIONS_"
GOOGLE_DEFAULT_BASE_URL = "https://www.googleapis.com"
# every worker refreshes its heartbeat this often (passed to procrastinate by `integrations worker`)
WORKER_HEARTBEAT_SECONDS = 10


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_prefix=ENV_PREFIX, env_file=".env", env_file_encoding="utf-8", extra="ignore"
    )

    database_url: SecretStr | None = Field(
        default=None, description="PostgreSQL URL; unset means the embedded server in the data dir"
    )
    data_dir: Path = Field(default=Path(".integrations"), description="local state: embedded db, key file")
    encryption_keys: SecretStr | None = Field(
        default=None,
        description="comma separated `key_id:base64key` pairs, the first encrypts; unset means the key file",
    )

    google_base_url: str | None = Field(
        default=None, description="when set, every Google endpoint is this base plus Google's own path"
    )
    google_client_id: str = "unset-google-client-id"
    google_client_secret: SecretStr = SecretStr("")
    http_timeout_seconds: float = Field(default=30.0, gt=0)
    gmail_quota_table: Literal["2026", "legacy"] = Field(
        default="2026", description="Gmail quota table: `2026` (projects from May 2026) or `legacy`"
    )
    gmail_quota_units_per_minute: int | None = Field(
        default=None, ge=0, description="per-user pacing, 0 = off; unset means the quota table's limit"
    )
    calendar_quota_units_per_minute: int = Field(default=600, ge=0, description="per-user pacing, 0 = off")

    google_certs_min_refetch_seconds: float = Field(
        default=60.0, ge=0,
        description="serve fetches Google's OIDC certs again (a Gmail push naming a key it does not hold) at most"
                    " this often, whatever the key id: forged tokens cannot make it fetch once each")
    microsoft_push_max_items: int = Field(
        default=1000, ge=1,
        description="a Graph delivery to POST /webhooks/microsoft holding more notifications is refused (400) before"
                    " any lookup")
    webhook_concurrency: int = Field(
        default=4, ge=1,
        description="webhook requests `serve` handles at once (its pool holds two connections for each, plus two);"
                    " the others wait for a slot, never on the database pool that /healthz and the others share")
    webhook_wait_seconds: float = Field(
        default=10.0, ge=0,
        description="a webhook request waits at most this long for a slot (INTEGRATIONS_WEBHOOK_CONCURRENCY), then is"
                    " answered 503 with Retry-After; 0: answered 503 at once")
    webhook_account_requests_per_minute: int = Field(
        default=600, ge=0,
        description="verified Twilio and QuickBooks webhook requests of one account `serve` handles per minute (they"
                    " carry no time, so a replay is bounded by this); past it 429, polling catches up; 0 = no limit")
    worker_idle_in_transaction_seconds: float = Field(
        default=60.0, gt=0,
        description="a worker's database session idle inside a transaction this long (a frozen or paused worker) is"
                    " ended by PostgreSQL, freeing its locks")
    defer_lock_timeout_seconds: float = Field(
        default=10.0, gt=0,
        description="`sync once`, `sync now` and serve's enqueue wait at most this long for a lock, then fail saying so")
    worker_concurrency: int = Field(default=10, ge=1, le=200)
    shutdown_timeout_seconds: float = Field(default=30.0, ge=0)
    sync_interval_seconds: int = Field(default=60, ge=1)
    push_poll_interval_seconds: int = Field(
        default=900, ge=1,
        description="while a live capability receives pushes (`integrations serve`), it is also polled this often:"
                    " the safety net for a lost notification; when pushes stop, the normal interval again")
    normalize_interval_seconds: int = Field(
        default=900, ge=1,
        description="the whole project's `dbt build` (every model and data test) starts at most this often on"
                    " its own; with INTEGRATIONS_NORMALIZE_SELECTIVE each staged page runs its provider's models at"
                    " once, and a whole build blocks those while it lasts")
    normalize_selective: bool = Field(
        default=True,
        description="a staged page asks for `dbt run` of the models its provider feeds only (about a second warm,"
                    " not the whole project's build); the periodic whole build still builds and tests everything")
    normalize_in_process: bool = Field(
        default=True,
        description="selective runs use dbt inside the worker process, its project parsed once (worker/normalize/"
                    "warm.py); false: a `dbt` subprocess per run, which pays dbt's start-up and parse each time")
    worker_fetch_interval_seconds: float = Field(
        default=1.0, gt=0, le=60,
        description="an idle worker also looks for ready jobs this often: a job freed by a lock (the next"
                    " normalize run) is announced by no notification")
    reconcile_interval_seconds: int = Field(default=86400, ge=60)
    raw_retention_days: int | None = Field(
        default=None, ge=0,
        description="superseded raw versions older than this many days are deleted; unset keeps everything")
    stalled_job_seconds: int = Field(default=60, description="no heartbeat for this long = dead worker; "
                                     f"must exceed the {WORKER_HEARTBEAT_SECONDS} s heartbeat")
    overdue_factor: float = Field(
        default=3.0, ge=1.0,
        description="a live capability whose last success is older than this many of its intervals is *overdue*"
                    " (`status`, `/status`, metrics): nothing has synced it, e.g. no worker runs")
    log_format: Literal["text", "json"] = Field(
        default="text", description="`json`: one JSON object a line, with connection, capability, provider and job id")
    default_phone_region: str = Field(
        default="US",
        description="ISO 3166 region of phone numbers written without a country code (e.g. US, GB): "
                    "normalization writes every product phone number in E.164 (dbt var default_phone_region)")

    @field_validator("google_base_url")
    @classmethod
    def _strip_slash(cls, value: str | None) -> str | None:
        if value is None or value == "":
            return None
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with http:// or https://")
        return value.rstrip("/")

    @field_validator("default_phone_region")
    @classmethod
    def _region_code(cls, value: str) -> str:
        """Two letters, upper-cased; whether the region exists is checked by the dbt run against
        libphonenumber's regions (macros/sql_functions/to_e164.sql)."""
        value = value.strip().upper()
        if not (len(value) == 2 and value.isascii() and value.isalpha()):
            raise ValueError(f"must be a two-letter ISO 3166 region code such as US or GB, got {value!r}")
        return value

    @field_validator("stalled_job_seconds")
    @classmethod
    def _longer_than_heartbeat(cls, value: int) -> int:
        """At or below the heartbeat interval a live worker between two beats looks dead, and its
        running jobs would be retried beside it."""
        if value <= WORKER_HEARTBEAT_SECONDS:
            raise ValueError(f"must be more than the workers' {WORKER_HEARTBEAT_SECONDS} s heartbeat, got {value}")
        return value

    def google_url(self, path: str, default_host: str = GOOGLE_DEFAULT_BASE_URL) -> str:
        """A Google endpoint: the sandbox base when configured, otherwise Google's own host."""
        return (self.google_base_url or default_host) + path

    @property
    def pg_dir(self) -> Path:
        return self.data_dir.resolve() / "pg"

    @property
    def key_file(self) -> Path:
        return self.data_dir.resolve() / "keys"


def describe_validation_error(error: ValidationError) -> str:
    """Name the environment variable behind every invalid field."""
    lines = []
    for item in error.errors():
        field = ".".join(str(part) for part in item["loc"])
        lines.append(f"{ENV_PREFIX}{field.upper()}: {item['msg']}")
    return "invalid settings:\n  " + "\n  ".join(lines)


def load_settings(**overrides) -> Settings:
    try:
        return Settings(**overrides)
    except ValidationError as error:
        raise BadInput(describe_validation_error(error)) from None


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return load_settings()
