"""Connecting a Microsoft 365 mailbox: validate, consent through msal, check who consented, store.

Nothing is written before the consent is checked: the request is validated in a transaction that
is rolled back, and the connection is created (or its capabilities enabled) only in the transaction
that stores the tokens. A consent given as another account than `--account` is refused and nothing
is stored (the identity platform has no endpoint to revoke the stray grant; it expires unused).
"""

from __future__ import annotations

import warnings
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


def connect_microsoft(database_url: str, settings: Settings, keyring: Keyring, *, tenant_id, profile_id,
                      account: str, capabilities: dict[str, dict | None], on_url: Callable[[str], None],
                      timeout: float = 300.0) -> dict:
    ms = microsoft_settings()
    account = account.strip().lower()
    with session(database_url) as conn:
        with conn.transaction(force_rollback=True):  # validation only: nothing is kept before consent
            row = _apply_request(conn, tenant_id=tenant_id, profile_id=profile_id, account=account,
                                 capabilities=capabilities)
            enabled = {name: row["settings"].get(name) for name in row["capabilities"]}
            wanted = MICROSOFT.required_scopes(enabled)

    app = msal_app(ms)
    with LoopbackReceiver() as receiver, warnings.catch_warnings():
        # msal recommends form_post; an installed app's loopback receiver reads the query (RFC 8252)
        warnings.filterwarnings("ignore", message="response_mode='form_post' is recommended")
        flow = app.initiate_auth_code_flow(requestable(wanted), redirect_uri=receiver.redirect_uri, login_hint=account)
        on_url(flow["auth_uri"])
        answer = receiver.wait(timeout)
    if "error" in answer:
        raise IntegrationsError(f"consent refused: {answer['error']} {answer.get('error_description', '')}".strip())
    try:
        tokens = app.acquire_token_by_auth_code_flow(flow, answer)
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
    missing = sorted(wanted - set(granted))
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
