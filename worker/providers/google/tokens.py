"""Access tokens for one connection: google-auth refreshes them, we persist them encrypted.

`Credentials` is built directly with `token_uri` from settings (google-auth's
`from_authorized_user_info` would replace it with Google's own). An `invalid_grant` marks the
connection `needs_reauth`; staged data and cursors stay, so reconnecting resumes.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timezone
from typing import Any

from google.auth.exceptions import RefreshError, TransportError
from google.oauth2.credentials import Credentials

from worker.crypto import Keyring
from worker.providers.google.endpoints import GoogleEndpoints
from worker.providers.google.errors import Reauth, Transient
from worker.settings import Settings
from worker.store import query

REAUTH_REASON = "reconnect: the refresh token was revoked or expired (invalid_grant)"


def build_credentials(stored: dict[str, Any], settings: Settings, endpoints: GoogleEndpoints) -> Credentials:
    expiry = stored.get("expiry")
    return Credentials(
        token=stored.get("token"),
        refresh_token=stored.get("refresh_token"),
        token_uri=endpoints.token,
        client_id=settings.google_client_id,
        client_secret=settings.google_client_secret.get_secret_value(),
        scopes=stored.get("scopes"),
        expiry=datetime.fromisoformat(expiry).replace(tzinfo=None) if expiry else None,
    )


def credentials_to_store(creds: Credentials, scopes: list[str] | None) -> dict[str, Any]:
    expiry = creds.expiry.replace(tzinfo=timezone.utc).isoformat() if creds.expiry else None
    return {"token": creds.token, "refresh_token": creds.refresh_token, "expiry": expiry, "scopes": scopes}


class ConnectionTokens:
    """Callable token source for `GoogleClient`: `await tokens(force_refresh)` → access token."""

    def __init__(self, pool, keyring: Keyring, connection: dict, stored: dict[str, Any],
                 settings: Settings, endpoints: GoogleEndpoints) -> None:
        self.pool = pool
        self.keyring = keyring
        self.connection = connection
        self.scopes = stored.get("scopes") or list(connection["granted_scopes"])
        self.creds = build_credentials(stored, settings, endpoints)
        self._lock = asyncio.Lock()

    def __repr__(self) -> str:
        return f"ConnectionTokens(connection={self.connection['id']})"

    async def __call__(self, force_refresh: bool = False) -> str:
        async with self._lock:
            if force_refresh or not self.creds.valid:
                await self._refresh()
            return self.creds.token

    async def _refresh(self) -> None:
        from google.auth.transport.requests import Request

        try:
            await asyncio.to_thread(self.creds.refresh, Request())
        except RefreshError as error:
            if getattr(error, "retryable", False):
                raise Transient(0, "refreshFailed", "token refresh failed, will retry") from None
            await self._mark_needs_reauth()
            raise Reauth(400, "invalid_grant", REAUTH_REASON) from None
        except TransportError:
            raise Transient(0, "refreshTransport", "token endpoint did not answer") from None
        blob = self.keyring.encrypt(credentials_to_store(self.creds, self.scopes), str(self.connection["id"]))
        async with self.pool.connection() as conn:
            await conn.execute(query("connections.set_credentials"), {
                "id": self.connection["id"], "credentials": blob, "key_id": self.keyring.current.key_id,
                "granted_scopes": list(self.connection["granted_scopes"])})

    async def _mark_needs_reauth(self) -> None:
        async with self.pool.connection() as conn:
            await conn.execute(query("connections.set_status"),
                               {"id": self.connection["id"], "status": "needs_reauth", "reason": REAUTH_REASON})
