"""How a provider declares itself and its capabilities; the registry (worker/registry.py) lists them.

A declaration says everything the generic code needs to drive a capability without naming its
provider: its kind, minimal scopes, settings and parameters models, the task that runs it (on the
provider's procrastinate Blueprint), its reconciler and the resource types it stages. Providers
import this module, never the registry, so the registry can import every provider.
"""

from __future__ import annotations

import importlib
import typing
from dataclasses import dataclass, field
from typing import Any, AsyncContextManager, Awaitable, Callable, Literal, Mapping

from pydantic import BaseModel, ConfigDict, ValidationError

from worker.errors import BadInput

Ownership = Literal["user", "tenant"]
Kind = Literal["live", "once", "action"]
CredentialKind = Literal["oauth2", "api_key"]


class CapabilitySettings(BaseModel):
    """Base for per-capability settings: unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class NoSettings(CapabilitySettings):
    pass


def validation_problems(error: ValidationError, what: str) -> str:
    """A pydantic error as one line an operator can act on: `field: message; field: message`."""
    return "; ".join(f"{'.'.join(str(p) for p in e['loc']) or what}: {e['msg']}" for e in error.errors())


@dataclass(frozen=True)
class Capability:
    name: str
    kind: Kind
    scopes: frozenset[str]
    settings_model: type[CapabilitySettings] = NoSettings
    # scopes some settings add (e.g. two-way calendar writes, drafts)
    extra_scopes: Callable[[CapabilitySettings], frozenset[str]] = field(default=lambda s: frozenset())
    description: str = ""
    # the task that runs it, by its name on the provider's Blueprint (namespace added at binding);
    # live tasks take (connection_id), once tasks (connection_id, params, run_id)
    task: str | None = None
    params_model: type[BaseModel] | None = None  # a manual run's parameters (`sync once --param`)
    reconciler: Callable[[Any], Any] | None = None  # ctx → worker.sync.reconcile.Reconciler
    resource_types: tuple[str, ...] = ()  # what it stages in raw_records, its main resource first
    # named query (worker/store) counting the connection's normalized records, for `status`
    normalized_count: str | None = None

    def validate_settings(self, raw: dict | None) -> CapabilitySettings:
        try:
            return self.settings_model.model_validate(raw or {})
        except ValidationError as error:
            raise BadInput(f"invalid settings for {self.name}: {validation_problems(error, '(settings)')}") from None

    def validate_params(self, raw: dict | None) -> dict:
        """A manual run's parameters as JSON for the job (bad ones are BadInput, exit 2)."""
        if self.params_model is None:
            raise BadInput(f"{self.name} takes no parameters")
        raw = dict(raw or {})
        for name, spec in self.params_model.model_fields.items():  # `--param labels=X` once: a list of one
            key = spec.alias or name
            if key in raw and isinstance(raw[key], str) and typing.get_origin(spec.annotation) is list:
                raw[key] = [raw[key]]
        try:
            return self.params_model.model_validate(raw).model_dump(mode="json", by_alias=True)
        except ValidationError as error:
            raise BadInput(f"invalid parameters for {self.name}: {validation_problems(error, 'parameters')}") from None

    def required_scopes(self, settings: dict | None) -> frozenset[str]:
        return self.scopes | self.extra_scopes(self.validate_settings(settings))

    def missing_scopes(self, connection: dict) -> frozenset[str]:
        """What the connection has not granted of this capability's scopes (with its settings)."""
        settings = (connection.get("settings") or {}).get(self.name)
        return self.required_scopes(settings) - set(connection.get("granted_scopes") or [])


@dataclass(frozen=True)
class Action:
    """An outbound action the CRM asks for (send an email, create a meeting): recorded as an
    `integrations.outbound` row and queued in one transaction, performed exactly once by `task`."""

    # (aconn, connection row, request, idempotency_key) → (outbound row, created)
    prepare: Callable[..., Any]
    task: str  # on the provider's Blueprint
    lock: Callable[[dict, dict], str]  # (connection row, outbound row) → the job's lock
    # the capability that must be enabled with its scopes granted (checked before `prepare`);
    # None when `prepare` checks what it needs itself
    capability: str | None = None


# where a connection's credentials keep the secret its provider signs webhooks with, when it is
# the account's own (Twilio's auth token); set by `integrations connections set-webhook-secret`
WEBHOOK_SECRET = "webhook_secret"


@dataclass(frozen=True)
class PushRequest:
    """A webhook request as the provider sent it: what its signature covers, nothing parsed yet."""

    url: str  # the public URL the provider addressed (INTEGRATIONS_PUBLIC_URL + path + query)
    headers: Mapping[str, str]  # names in lower case
    body: bytes
    received_at: float  # unix seconds, the server's clock (replay windows)


@dataclass(frozen=True)
class Notice:
    """What a verified notification says: something changed for an account in these capabilities.
    Never data: it only makes the capabilities' cursor syncs run sooner."""

    account_id: str
    capabilities: tuple[str, ...]
    delivery_id: str | None = None  # the provider's id of this delivery: its retries are handled once
    # what the provider's own `resolve` needs from the body `read` parsed (so it is parsed once)
    detail: Any = field(default=None, compare=False)


@dataclass(frozen=True)
class PushAnswer:
    """An answer the provider's own protocol asks for instead of a notice (a URL handshake)."""

    status: int
    body: bytes = b""
    content_type: str = "text/plain; charset=utf-8"


class PushRefused(Exception):
    """The request failed verification (401: unsigned or stale; 403: signed wrongly); nothing changes."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Webhook:
    """A provider's push endpoint, `POST /webhooks/<path>`; the web service routes to it and does
    the rest (look up the account's connections, enqueue, record), so it never names a provider.

    `read` verifies what the app's own secret can (raising PushRefused) and returns the notices, or
    a PushAnswer. Where only the account's own secret can verify (Twilio signs with the account's
    auth token), `verify(request, credentials)` is asked for each connection of the account, with
    its decrypted credentials; the request is accepted when one of them verifies it.
    Where a notification names a channel we created rather than an account (Google Calendar),
    `resolve(conn, request, notices)` (async, with a database connection) checks it against the
    stored channel and returns the notices naming the account, or a PushAnswer (unknown channel)."""

    path: str
    read: Callable[[PushRequest], "list[Notice] | PushAnswer"]
    verify: Callable[[PushRequest, dict | None], bool] | None = None
    resolve: Callable[[Any, PushRequest, list[Notice]], Awaitable["list[Notice] | PushAnswer"]] | None = None
    accepted: PushAnswer = PushAnswer(200)  # the answer to an accepted notification
    # the account's requests are limited (INTEGRATIONS_WEBHOOK_ACCOUNT_REQUESTS_PER_MINUTE, 429 past it):
    # for requests that carry no time to refuse a replay by (Twilio, QuickBooks' legacy body)
    rate_limited: bool = False


@dataclass(frozen=True)
class Provider:
    name: str
    ownership: Ownership
    capabilities: dict[str, Capability]
    credential_kind: CredentialKind = "oauth2"
    # revokes a connection's grant at the provider (deleting a connection calls it, invariant 5);
    # None for providers without revocable grants
    revoke_grant: Callable | None = None
    # (conn, settings, row, credentials, shared) -> None: what must be undone at the provider with the
    # grant still held before a connection is deleted (its push watches); `shared` when another
    # connection holds the same account. Best effort: it logs, never raises
    before_delete: Callable | None = None
    # where the account's owner removes the app's access by hand (when revoking failed or is impossible)
    access_settings_url: str | None = None
    # (connection's status_reason) -> why to reconnect, in the provider's words, for `status`'s remedy
    # of a needs_reauth connection; None: the generic "the refresh token was revoked or expired"
    reauth_remedy: Callable[[str | None], str] | None = None
    # (pool, connection_id, capability name) → async context manager yielding a ProviderContext
    open_context: Callable[[Any, Any, str], AsyncContextManager[Any]] | None = None
    blueprint: Any = None  # procrastinate.Blueprint holding every task of the provider
    actions: dict[str, Action] = field(default_factory=dict)
    # earlier names of its tasks (alias → task name on the Blueprint): jobs queued under them
    # before an upgrade still run
    task_aliases: dict[str, str] = field(default_factory=dict)
    # "module:function" of the CLI's `connect <provider>` flow: (url, settings, keyring, *, tenant_id,
    # profile_id, account, capabilities, on_url, timeout) → the stored connection row. A path, not
    # the function: the flow writes connections, whose module reads this registry.
    connect: str | None = None
    # whether `connect` needs --account (a mailbox, an account SID); False where the consent names
    # the account (a Slack workspace, a QuickBooks company)
    needs_account: bool = True
    # push endpoints under /webhooks/ (worker/http routes them); empty where only polling exists
    webhooks: tuple[Webhook, ...] = ()

    def revoker(self) -> Callable | None:
        return self.revoke_grant

    def connect_flow(self) -> Callable[..., dict]:
        if self.connect is None:
            raise BadInput(f"{self.name} has no connect flow yet")
        module, _, attr = self.connect.partition(":")
        return getattr(importlib.import_module(module), attr)

    def task_name(self, task: str) -> str:
        """The bound name of one of this provider's tasks (`google:sync_inbox_live`)."""
        return f"{self.name}:{task}"

    def capability(self, name: str) -> Capability:
        try:
            return self.capabilities[name]
        except KeyError:
            known = ", ".join(sorted(self.capabilities)) or "none yet"
            raise BadInput(f"unknown capability {name!r} for provider {self.name} (known: {known})") from None

    def of_kind(self, kind: Kind) -> list[Capability]:
        return [c for c in self.capabilities.values() if c.kind == kind]

    def required_scopes(self, enabled: dict[str, dict | None]) -> frozenset[str]:
        """Union of the minimal scopes of the enabled capabilities."""
        scopes: frozenset[str] = frozenset()
        for name, settings in enabled.items():
            scopes |= self.capability(name).required_scopes(settings)
        return scopes
