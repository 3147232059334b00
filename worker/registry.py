"""The one list of providers: dispatch, the scheduler, reconcile, `status` and the CLI read it.

Nothing else lists capabilities. A provider is added here by one line (its declaration, built in
its own folder from worker/capabilities.py); tests and plugins may `register` more at run time.
"""

from __future__ import annotations

from worker.capabilities import Capability, Provider
from worker.errors import BadInput
from worker.providers.google.provider import GOOGLE
from worker.providers.microsoft.provider import MICROSOFT
from worker.providers.quickbooks.provider import QUICKBOOKS
from worker.providers.slack.provider import SLACK
from worker.providers.twilio.provider import TWILIO

_PROVIDERS: dict[str, Provider] = {p.name: p for p in (GOOGLE, MICROSOFT, SLACK, TWILIO, QUICKBOOKS)}


def register(provider: Provider) -> Provider:
    _PROVIDERS[provider.name] = provider
    return provider


def unregister(name: str) -> None:
    _PROVIDERS.pop(name, None)


def get_provider(name: str) -> Provider:
    try:
        return _PROVIDERS[name]
    except KeyError:
        raise BadInput(f"unknown provider {name!r} (known: {', '.join(sorted(_PROVIDERS))})") from None


def all_providers() -> list[Provider]:
    return list(_PROVIDERS.values())


def capabilities_of_kind(kind: str) -> list[tuple[Provider, Capability]]:
    """(provider, capability) of every registered capability of one kind (`live`, `once`, `action`)."""
    return [(p, c) for p in _PROVIDERS.values() for c in p.capabilities.values() if c.kind == kind]


def capability_key(provider: str, capability: str) -> str:
    """`google:sync_inbox_live`: a capability is known by its provider too (two providers share names)."""
    return f"{provider}:{capability}"
