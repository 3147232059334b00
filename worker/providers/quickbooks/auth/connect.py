"""Connecting a QuickBooks Online company for a tenant: validate, consent, exchange, store.

The company is the one the admin picks on Intuit's consent page; the redirect names it (`realmId`),
and it is the connection's account. `--account` preselects a company and is then checked: a
consent for another company stores nothing and disconnects the stray grant again, unless a connection
(of any tenant) holds that company: Intuit's revoke ends the app's access to the whole company. Connecting the
same company again in the tenant updates that connection (its new tokens replace the old ones).
Nothing is written before the consent is checked.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Callable

from worker.connections import create_connection, enable_capability, get_connection, set_status, store_credentials
from worker.crypto import Keyring
from worker.db.connect import session
from worker.errors import BadInput, IntegrationsError
from worker.loopback import LoopbackReceiver
from worker.providers.quickbooks.auth.oauth import (
    GrantNotRevoked,
    authorization_url,
    exchange_code,
    revoke_token,
    to_stored,
)
from worker.providers.quickbooks.capabilities import SCOPE
from worker.providers.quickbooks.settings import quickbooks_settings
from worker.settings import Settings
from worker.store import query

PROVIDER = "quickbooks"
PLACEHOLDER = "pending-consent"  # validation only: the company is known after consent
REALM = re.compile(r"^[0-9]{1,32}$")


class WrongCompany(BadInput):
    """The consent connected another company than the one asked for."""


def _apply_request(conn, *, tenant_id, realm: str, capabilities: dict[str, dict | None]) -> dict:
    owner = {"tenant_id": tenant_id, "profile_id": None, "provider": PROVIDER, "account_id": realm}
    existing = conn.execute(query("connections.find_owner_account"), owner).fetchone()
    if existing is None:
        return create_connection(conn, tenant_id=tenant_id, profile_id=None, provider=PROVIDER,
                                 account_id=realm, capabilities=capabilities)
    for name, raw in capabilities.items():
        enable_capability(conn, existing["id"], name, raw)
    return get_connection(conn, existing["id"])


@dataclass(frozen=True)
class Consent:
    """The first half's answer: where to send the admin (Intuit takes no PKCE: no verifier)."""

    url: str
    verifier: str
    scopes: list[str]


def begin_quickbooks(database_url: str, *, tenant_id, profile_id, account: str | None,
                     capabilities: dict[str, dict | None], redirect_uri: str, state: str) -> Consent:
    """Validate the request (nothing kept) and build Intuit's consent URL."""
    if profile_id is not None:
        raise BadInput("--profile is refused: a QuickBooks company belongs to the tenant, not to a user")
    hint = (account or "").strip() or None
    if hint is not None and not REALM.match(hint):
        raise BadInput(f"--account must be a QuickBooks company (realm) id, digits only: {hint!r}")
    with session(database_url) as conn:
        with conn.transaction(force_rollback=True):  # validation only: nothing is kept before consent
            _apply_request(conn, tenant_id=tenant_id, realm=hint or PLACEHOLDER, capabilities=capabilities)
    return Consent(authorization_url(quickbooks_settings(), redirect_uri, state, hint), "", [SCOPE])


def _disconnect_stray_grant(database_url: str, qs, realm: str, refresh_token: str) -> None:
    """Revoke a consent's grant for a company nobody asked for -- unless a connection of ours (any
    tenant's) holds that company: Intuit's revoke disconnects the app from the whole company, so it
    would end that connection too. The stray grant then stays unused at Intuit, harmless."""
    with session(database_url) as conn:
        held = conn.execute(query("connections.holders_of_account"),
                            {"provider": PROVIDER, "account_id": realm}).fetchone()
    if held is not None:
        return
    try:
        revoke_token(qs, refresh_token)
    except GrantNotRevoked:
        pass  # the refusal matters more; the stray grant is named in it


def finish_quickbooks(database_url: str, keyring: Keyring, *, tenant_id, account: str | None,
                      capabilities: dict[str, dict | None], answer: dict, redirect_uri: str) -> dict:
    """From the consent's answer (`code`, `realmId`): exchange, check the company, store; the connection.

    Raises WrongCompany (nothing stored, the stray grant disconnected unless that company is held) for
    another company than asked.
    """
    qs = quickbooks_settings()
    hint = (account or "").strip() or None
    realm = str(answer.get("realmId") or "")
    if not REALM.match(realm):
        raise IntegrationsError("Intuit's answer names no company (realmId): connect again")
    tokens = exchange_code(qs, answer["code"], redirect_uri)
    if hint and realm != hint:
        _disconnect_stray_grant(database_url, qs, realm, tokens["refresh_token"])
        raise WrongCompany(f"the consent connected company {realm}, not {hint}: nothing was stored."
                           f" Connect again choosing {hint} (or pass --account {realm})")
    stored = {**to_stored(tokens), "realm_id": realm}
    granted = [SCOPE]  # Intuit's consent is all or nothing for the scope asked
    with session(database_url) as conn:
        row = _apply_request(conn, tenant_id=tenant_id, realm=realm, capabilities=capabilities)
        store_credentials(conn, keyring, row["id"], stored, granted_scopes=granted)
        set_status(conn, row["id"], "active", None)
        return get_connection(conn, row["id"])


def connect_quickbooks(database_url: str, settings: Settings, keyring: Keyring, *, tenant_id, profile_id,
                       account: str | None, capabilities: dict[str, dict | None], on_url: Callable[[str], None],
                       timeout: float = 300.0) -> dict:
    """The CLI's flow: the web's two halves with a loopback redirect between them."""
    state = secrets.token_urlsafe(24)
    with LoopbackReceiver() as receiver:
        consent = begin_quickbooks(database_url, tenant_id=tenant_id, profile_id=profile_id, account=account,
                                   capabilities=capabilities, redirect_uri=receiver.redirect_uri, state=state)
        on_url(consent.url)
        answer = receiver.wait(timeout)
    if answer.get("state") != state:
        raise IntegrationsError("the consent answer carried the wrong state: start again")
    if "error" in answer or not answer.get("code"):
        raise IntegrationsError(f"consent refused: {answer.get('error') or 'no code'}")
    return finish_quickbooks(database_url, keyring, tenant_id=tenant_id, account=account,
                             capabilities=capabilities, answer=answer, redirect_uri=receiver.redirect_uri)
