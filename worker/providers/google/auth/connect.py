"""Connecting a Google account: validate, run consent, check who consented, then store.

Nothing is written before the consent is checked: the request is validated first in a
transaction that is rolled back, and the connection is created (or its capabilities enabled)
only in the same transaction that stores the tokens. A consent given as another account than
`--account` is refused and its fresh grant revoked, so a connection never holds one person's
mail under another's address; so is a consent short of a needed scope (unless a connection of
ours holds that account: revoking would end its grant too). Sends that waited for this reconnect are queued again in that
same transaction.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from typing import Callable

from worker.connections import (
    create_connection,
    enable_capability,
    get_connection,
    load_credentials,
    set_status,
    store_credentials,
)
from worker.crypto import Keyring
from worker.db.connect import session
from worker.errors import BadInput, IntegrationsError
from worker.providers.google.auth.oauth import (
    LoopbackReceiver,
    Pkce,
    authorization_url,
    consented_account,
    exchange_code,
    revoke_grant,
)
from worker.providers.google.client.endpoints import GoogleEndpoints
from worker.providers.google.gmail.tasks import resume_waiting_sends
from worker.providers.google.provider import GOOGLE
from worker.settings import Settings
from worker.store import query


class WrongAccount(BadInput):
    """Consent was given as another Google account than the one the connection is for."""


def canonical(account: str) -> str:
    """A mailbox address as stored and compared: Gmail names it in lower case (pushes, profile)."""
    return account.strip().lower()


def _owner_params(tenant_id, profile_id, account: str) -> dict:
    return {"tenant_id": tenant_id, "profile_id": profile_id, "provider": "google", "account_id": account}


def _apply_request(conn, *, tenant_id, profile_id, account: str, capabilities: dict[str, dict | None]) -> dict:
    """Create the connection or enable the capabilities on the existing one; returns the row."""
    existing = conn.execute(query("connections.find_owner_account"),
                            _owner_params(tenant_id, profile_id, account)).fetchone()
    if existing is None:
        return create_connection(conn, tenant_id=tenant_id, profile_id=profile_id, provider="google",
                                 account_id=account, capabilities=capabilities)
    for name, raw in capabilities.items():
        enable_capability(conn, existing["id"], name, raw)
    return get_connection(conn, existing["id"])


class MissingScope(BadInput):
    """The consent granted fewer scopes than the capabilities need (a box left unticked)."""


@dataclass(frozen=True)
class Consent:
    """The first half's answer: where to send the person, and what the second half needs."""

    url: str
    verifier: str
    scopes: list[str]


def begin_google(database_url: str, settings: Settings, *, tenant_id, profile_id, account: str,
                 capabilities: dict[str, dict | None], redirect_uri: str, state: str,
                 pkce: Pkce | None = None) -> Consent:
    """Validate the request (nothing kept) and build the consent URL with its minimal scopes and PKCE."""
    account = canonical(account)
    with session(database_url) as conn:
        with conn.transaction(force_rollback=True):  # validation only: nothing is kept before consent
            row = _apply_request(conn, tenant_id=tenant_id, profile_id=profile_id, account=account,
                                 capabilities=capabilities)
            wanted = GOOGLE.required_scopes({name: row["settings"].get(name) for name in capabilities})
        existing = conn.execute(query("connections.find_owner_account"),
                                _owner_params(tenant_id, profile_id, account)).fetchone()
        include_granted = bool(existing and existing["granted_scopes"])
    pkce = pkce or Pkce.new()
    url = authorization_url(GoogleEndpoints.from_settings(settings), settings.google_client_id, redirect_uri,
                            sorted(wanted), state, pkce, account, include_granted)
    return Consent(url, pkce.verifier, sorted(wanted))


def finish_google(database_url: str, settings: Settings, keyring: Keyring, *, tenant_id, profile_id,
                  account: str, capabilities: dict[str, dict | None], code: str, verifier: str,
                  redirect_uri: str, scopes: list[str]) -> dict:
    """Exchange the code, check who consented and what was granted, then store; returns the connection.

    Raises WrongAccount or MissingScope (nothing stored) when the consent is not what was asked.
    """
    account = canonical(account)
    endpoints = GoogleEndpoints.from_settings(settings)
    tokens = exchange_code(settings, endpoints, code, Pkce(verifier, ""), redirect_uri)
    missing = sorted(set(scopes) - set(tokens["scopes"]))
    if missing:
        _discard_fresh_grant(database_url, settings, endpoints, tokens)
        raise MissingScope(f"the consent did not grant {', '.join(missing)}: nothing was stored. Connect again "
                           "and leave every requested permission ticked")
    _check_account(database_url, settings, endpoints, tokens, account)
    with session(database_url) as conn:
        existing = conn.execute(query("connections.find_owner_account"),
                                _owner_params(tenant_id, profile_id, account)).fetchone()
        previous = load_credentials(keyring, existing) if existing and existing["credentials"] is not None else None
    if not tokens.get("refresh_token") and previous:
        tokens["refresh_token"] = previous.get("refresh_token")
    if not tokens.get("refresh_token"):
        raise IntegrationsError("Google returned no refresh token: revoke the app's access and connect again")

    with session(database_url) as conn:
        row = _apply_request(conn, tenant_id=tenant_id, profile_id=profile_id, account=account,
                             capabilities=capabilities)
        store_credentials(conn, keyring, row["id"], tokens, granted_scopes=tokens["scopes"])
        set_status(conn, row["id"], "active", None)
        resume_waiting_sends(conn, row["id"])
        return get_connection(conn, row["id"])


def connect_google(database_url: str, settings: Settings, keyring: Keyring, *, tenant_id, profile_id,
                   account: str, capabilities: dict[str, dict | None], on_url: Callable[[str], None],
                   timeout: float = 300.0) -> dict:
    """The CLI's flow: the same two halves as the web's, with a loopback redirect between them."""
    state = secrets.token_urlsafe(24)
    with LoopbackReceiver() as receiver:
        consent = begin_google(database_url, settings, tenant_id=tenant_id, profile_id=profile_id,
                               account=account, capabilities=capabilities, redirect_uri=receiver.redirect_uri,
                               state=state)
        on_url(consent.url)
        answer = receiver.wait(timeout)
    if answer.get("state") != state:
        raise IntegrationsError("the consent answer carried the wrong state: start again")
    if "error" in answer:
        raise IntegrationsError(f"consent refused: {answer['error']}")
    return finish_google(database_url, settings, keyring, tenant_id=tenant_id, profile_id=profile_id,
                         account=account, capabilities=capabilities, code=answer["code"],
                         verifier=consent.verifier, redirect_uri=receiver.redirect_uri, scopes=consent.scopes)


def _check_account(database_url: str, settings: Settings, endpoints: GoogleEndpoints, tokens: dict,
                   account: str) -> None:
    """Refuse (exit 2) a consent given as another account, and revoke the grant it created.

    The stray grant is kept only when a connection of ours already holds that other account:
    revoking could end its grant too (see `connections.delete_and_revoke`).
    """
    actual = consented_account(settings, endpoints, tokens["token"], tokens["scopes"])
    wanted = account.strip().lower()
    if actual == wanted:
        return
    _revoke_unless_held(database_url, settings, tokens, actual)
    raise WrongAccount(
        f"consent was given as {actual}, not {wanted}: nothing was stored. Connect again and choose "
        f"{wanted} in Google's account chooser (or pass --account {actual} to connect that account)")


def _revoke_unless_held(database_url: str, settings: Settings, tokens: dict, actual: str) -> None:
    """Revoke a grant we will not store, unless a connection of ours holds `actual`'s: Google's
    revoke ends the whole grant of that account to our app, theirs too."""
    with session(database_url) as conn:
        held = conn.execute(query("connections.holders_of_account"),
                            {"provider": "google", "account_id": actual}).fetchone()
    if held is None:
        try:
            revoke_grant(settings, tokens)
        except IntegrationsError:
            pass  # the refusal the caller raises matters more


def _discard_fresh_grant(database_url: str, settings: Settings, endpoints: GoogleEndpoints, tokens: dict) -> None:
    """A consent short of a scope stores nothing: its fresh grant must not stay alive at Google.
    When the granted scopes cannot tell whose it is, it is kept (it may be a connection's)."""
    try:
        actual = consented_account(settings, endpoints, tokens["token"], tokens["scopes"])
    except IntegrationsError:
        return
    _revoke_unless_held(database_url, settings, tokens, actual)
