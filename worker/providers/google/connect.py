"""Connecting a Google account: create or reuse the connection, run consent, store tokens."""

from __future__ import annotations

import secrets
from typing import Callable

from worker.connections import (
    create_connection, enable_capability, get_connection, load_credentials, set_status, store_credentials,
)
from worker.crypto import Keyring
from worker.db.connect import session
from worker.errors import IntegrationsError
from worker.providers.google.endpoints import GoogleEndpoints
from worker.providers.google.oauth import LoopbackReceiver, Pkce, authorization_url, exchange_code
from worker.registry import get_provider
from worker.settings import Settings
from worker.store import query


def connect_google(database_url: str, settings: Settings, keyring: Keyring, *, tenant_id, profile_id,
                   account: str, capabilities: dict[str, dict | None], on_url: Callable[[str], None],
                   timeout: float = 300.0) -> dict:
    google = get_provider("google")
    with session(database_url) as conn:
        existing = conn.execute(query("connections.find_owner_account"), {
            "tenant_id": tenant_id, "profile_id": profile_id, "provider": "google", "account_id": account,
        }).fetchone()
        if existing is None:
            row = create_connection(conn, tenant_id=tenant_id, profile_id=profile_id, provider="google",
                                    account_id=account, capabilities=capabilities)
        else:
            for name, raw in capabilities.items():
                enable_capability(conn, existing["id"], name, raw)
            row = get_connection(conn, existing["id"])
        connection_id = row["id"]
        wanted = google.required_scopes({name: row["settings"].get(name) for name in capabilities})
        include_granted = bool(row["granted_scopes"])
        previous = load_credentials(keyring, row) if row["credentials"] is not None else None

    endpoints = GoogleEndpoints.from_settings(settings)
    pkce, state = Pkce.new(), secrets.token_urlsafe(24)
    with LoopbackReceiver() as receiver:
        on_url(authorization_url(endpoints, settings.google_client_id, receiver.redirect_uri, sorted(wanted),
                                 state, pkce, account, include_granted))
        answer = receiver.wait(timeout)
    if answer.get("state") != state:
        raise IntegrationsError("the consent answer carried the wrong state: start again")
    if "error" in answer:
        raise IntegrationsError(f"consent refused: {answer['error']}")
    tokens = exchange_code(settings, endpoints, answer["code"], pkce, receiver.redirect_uri)
    if not tokens.get("refresh_token") and previous:
        tokens["refresh_token"] = previous.get("refresh_token")
    if not tokens.get("refresh_token"):
        raise IntegrationsError("Google returned no refresh token: revoke the app's access and connect again")

    with session(database_url) as conn:
        store_credentials(conn, keyring, connection_id, tokens, granted_scopes=tokens["scopes"])
        set_status(conn, connection_id, "active", None)
        return get_connection(conn, connection_id)
