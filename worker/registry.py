"""Providers and their capabilities: ownership model, kind, minimal scopes, settings model.

Each provider package registers itself here; connections, the CLI and the scheduler read only this
registry, so adding a provider (Slack, QuickBooks, Twilio) touches one folder and one migration row.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from worker.errors import BadInput

Ownership = Literal["user", "tenant"]
Kind = Literal["live", "once", "action"]


class CapabilitySettings(BaseModel):
    """Base for per-capability settings: unknown fields are an error, not silently ignored."""

    model_config = ConfigDict(extra="forbid")


class NoSettings(CapabilitySettings):
    pass


@dataclass(frozen=True)
class Capability:
    name: str
    kind: Kind
    scopes: frozenset[str]
    settings_model: type[CapabilitySettings] = NoSettings
    # scopes some settings add (e.g. two-way calendar writes, drafts)
    extra_scopes: Callable[[CapabilitySettings], frozenset[str]] = field(default=lambda s: frozenset())
    description: str = ""

    def validate_settings(self, raw: dict | None) -> CapabilitySettings:
        try:
            return self.settings_model.model_validate(raw or {})
        except ValidationError as error:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or '(settings)'}: {e['msg']}" for e in error.errors()
            )
            raise BadInput(f"invalid settings for {self.name}: {problems}") from None

    def required_scopes(self, settings: dict | None) -> frozenset[str]:
        return self.scopes | self.extra_scopes(self.validate_settings(settings))


@dataclass(frozen=True)
class Provider:
    name: str
    ownership: Ownership
    capabilities: dict[str, Capability]
    # "module:function" that revokes a connection's grant at the provider (deleting a connection
    # calls it, DESIGN.md invariant 5); None for providers without revocable grants
    revoke_grant: str | None = None

    def revoker(self) -> Callable | None:
        if self.revoke_grant is None:
            return None
        import importlib

        module, _, attr = self.revoke_grant.partition(":")
        return getattr(importlib.import_module(module), attr)

    def capability(self, name: str) -> Capability:
        try:
            return self.capabilities[name]
        except KeyError:
            known = ", ".join(sorted(self.capabilities)) or "none yet"
            raise BadInput(f"unknown capability {name!r} for provider {self.name} (known: {known})") from None

    def required_scopes(self, enabled: dict[str, dict | None]) -> frozenset[str]:
        """Union of the minimal scopes of the enabled capabilities."""
        scopes: frozenset[str] = frozenset()
        for name, settings in enabled.items():
            scopes |= self.capability(name).required_scopes(settings)
        return scopes


_PROVIDERS: dict[str, Provider] = {}


def register(provider: Provider) -> Provider:
    _PROVIDERS[provider.name] = provider
    return provider


def _load_builtin() -> None:
    import worker.providers.google.capabilities  # noqa: F401
    import worker.providers.slack  # noqa: F401


def get_provider(name: str) -> Provider:
    _load_builtin()
    try:
        return _PROVIDERS[name]
    except KeyError:
        raise BadInput(f"unknown provider {name!r} (known: {', '.join(sorted(_PROVIDERS))})") from None


def all_providers() -> list[Provider]:
    _load_builtin()
    return list(_PROVIDERS.values())
