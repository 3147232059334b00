"""Connecting a Microsoft 365 mailbox: validate, consent through msal, check who consented, store.

Nothing is written before the consent is checked: the request is validated in a transaction that
is rolled back, and the connection is created (or its capabilities enabled) only in the transaction
that stores the tokens. A consent given as another account than `--account` is refused and nothing
is stored (the identity platform has no endpoint to revoke the stray grant; it expires unused).
"""

from __future__ import annotations

import json
import warnings
from dataclasses import dataclass
from typing import Callable

from worker.connections import create_connection, enable_capability, get_connection, set_status, store_credentials
from worker.crypto import Keyring
from worker.db.connect import session
from worker.errors import BadInput, IntegrationsError
from worker.loopback import LoopbackReceiver
from worker.providers.microsoft.auth.identity import error_text, granted_scopes, msal_app, requestable, to_stored
from worker.providers.microsoft.provider import MICROSOFT
from worker.providers.microsoft.settings import microsoft_settings
from worker.settings import Settings
from worker.store import query
from worker.sync.actions import resume_waiting_sends


class WrongAccount(BadInput):
    """Consent was given as another Microsoft account than the one the connection is for."""


def _owner(tenant_id, profile_id, account: str) -> dict:
    return {"tenant_id": tenant_id, "profile_id": profile_id, "provider": MICROSOFT.name, "account_id": account}


def _apply_request(conn, *, tenant_id, profile_id, account: str, capabilities: dict[str, dict | None]) -> dict:
    existing = conn.execute(query("connections.find_owner_account"), _owner(tenant_id, profile_id, account)).fetchone()
    if existing is None:
        return create_connection(conn, tenant_id=tenant_id, profile_id=profile_id, provider=MICROSOFT.name,
                                 account_id=account, capabilities=capabilities)
    for name, raw in capabilities.items():
        enable_capability(conn, existing["id"], name, raw)
    return get_connection(conn, existing["id"])


def consented_account(answer: dict) -> str:
    """The signed-in account of the answer's id token (msal checked its nonce against our request)."""
    claims = answer.get("id_token_claims") or {}
    address = claims.get("preferred_username") or claims.get("email") or claims.get("upn")
    if not isinstance(address, str) or "@" not in address:
        raise IntegrationsError("cannot tell which account consented: the id token names no address")
    return address.strip().lower()


@dataclass(frozen=True)
class Consent:
    """The first half's answer: where to send the person, and what the second half needs. msal's
    auth code flow is a dict (state, PKCE verifier, nonce, redirect URI, scopes) that must come back
    to `acquire_token_by_auth_code_flow`: `verifier` is that dict as JSON (kept encrypted)."""

    url: str
    verifier: str
    scopes: list[str]


def begin_microsoft(database_url: str, *, tenant_id, profile_id, account: str, capabilities: dict[str, dict | None],
                    redirect_uri: str, state: str | None = None) -> Consent:
    """Validate the request (nothing kept) and build the consent URL with the minimal scopes and PKCE."""
    ms = microsoft_settings()
    account = account.strip().lower()
    with session(database_url) as conn:
        with conn.transaction(force_rollback=True):  # validation only: nothing is kept before consent
            row = _apply_request(conn, tenant_id=tenant_id, profile_id=profile_id, account=account,
                                 capabilities=capabilities)
            enabled = {name: row["settings"].get(name) for name in row["capabilities"]}
            wanted = MICROSOFT.required_scopes(enabled)
    with warnings.catch_warnings():
        # msal recommends form_post; a redirect the browser follows carries the query (RFC 8252)
        warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended")
        flow = msal_app(ms).initiate_auth_code_flow(requestable(wanted), redirect_uri=redirect_uri,
                                                   login_hint=account, state=state)
    return Consent(flow["auth_uri"], json.dumps(flow), sorted(wanted))


def finish_microsoft(database_url: str, keyring: Keyring, *, tenant_id, profile_id, account: str,
                     capabilities: dict[str, dict | None], answer: dict, verifier: str, scopes: list[str]) -> dict:
    """Exchange the code (msal checks the state and the id token's nonce against the flow), check who
    consented, then store; returns the connection (with `missing_scopes` when some were not granted).

    Raises WrongAccount (nothing stored) when the consent was given as another account."""
    ms = microsoft_settings()
    account = account.strip().lower()
    if "error" in answer:
        raise IntegrationsError(f"consent refused: {answer['error']} {answer.get('error_description', '')}".strip())
    try:
        tokens = msal_app(ms).acquire_token_by_auth_code_flow(json.loads(verifier), answer)
    except ValueError:
        raise IntegrationsError("the consent answer carried the wrong state: start again") from None
    except Exception as error:
        raise IntegrationsError(f"the code exchange failed ({type(error).__name__}): connect again") from None
    if "access_token" not in tokens:
        raise IntegrationsError(f"the code exchange failed: {error_text(tokens)}")
    actual = consented_account(tokens)
    if actual != account:
        raise WrongAccount(f"consent was given as {actual}, not {account}: nothing was stored. Connect again and"
                           f" sign in as {account} (or pass --account {actual} to connect that account)")
    if not tokens.get("refresh_token"):
        raise IntegrationsError("Microsoft returned no refresh token (offline_access not granted): connect again")
    granted = granted_scopes(tokens)
    missing = sorted(set(scopes) - set(granted))
    with session(database_url) as conn:
        row = _apply_request(conn, tenant_id=tenant_id, profile_id=profile_id, account=account,
                             capabilities=capabilities)
        store_credentials(conn, keyring, row["id"], to_stored(tokens), granted_scopes=granted)
        set_status(conn, row["id"], "active", None)
        resume_waiting_sends(conn, row["id"], MICROSOFT.task_name("send_email"))
        stored = get_connection(conn, row["id"])
    if missing:  # stored (what was granted works), but the operator must know what is not
        stored["missing_scopes"] = missing
    return stored


def connect_microsoft(database_url: str, settings: Settings, keyring: Keyring, *, tenant_id, profile_id,
                      account: str, capabilities: dict[str, dict | None], on_url: Callable[[str], None],
                      timeout: float = 300.0) -> dict:
    """The CLI's flow: the same two halves as the web's, with a loopback redirect between them."""
    with LoopbackReceiver() as receiver:
        consent = begin_microsoft(database_url, tenant_id=tenant_id, profile_id=profile_id, account=account,
                                  capabilities=capabilities, redirect_uri=receiver.redirect_uri)
        on_url(consent.url)
        answer = receiver.wait(timeout)
    return finish_microsoft(database_url, keyring, tenant_id=tenant_id, profile_id=profile_id, account=account,
                            capabilities=capabilities, answer=answer, verifier=consent.verifier, scopes=consent.scopes)
