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
from worker.providers.google.client.endpoints import GoogleEndpoints
from worker.providers.google.client.errors import Reauth, Transient
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
    """Callable token source for `GoogleClient`: `await tokens(force_refresh)` → access token.

    The credentials were read when the job started; a person may reconnect while it runs. So a
    refresh is written back only while the stored grant is still the one we refreshed
    (compare-and-swap on the refresh token, under the row lock), only the access token and its
    expiry are written (never scopes: they belong to the consent), and a failed refresh marks the
    connection `needs_reauth` only if the stored grant is still the one that failed — otherwise the
    newer grant is adopted and used.
    """

    MAX_GRANT_CHANGES = 3  # reconnects observed during one refresh before giving up for this run

    def __init__(self, pool, keyring: Keyring, connection: dict, stored: dict[str, Any],
                 settings: Settings, endpoints: GoogleEndpoints) -> None:
        self.pool = pool
        self.keyring = keyring
        self.connection = connection
        self.settings = settings
        self.endpoints = endpoints
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

        for _ in range(self.MAX_GRANT_CHANGES):
            used = self.creds.refresh_token
            try:
                await asyncio.to_thread(self.creds.refresh, Request())
            except RefreshError as error:
                if getattr(error, "retryable", False):
                    raise Transient(0, "refreshFailed", "token refresh failed, will retry") from None
                if await self._adopt_newer_grant_or_mark_reauth(used):
                    if self.creds.valid:
                        return  # a reconnect stored a newer grant with a live access token: use it
                    continue  # ... or one whose access token must be refreshed first
                raise Reauth(400, "invalid_grant", REAUTH_REASON) from None
            except TransportError:
                raise Transient(0, "refreshTransport", "token endpoint did not answer") from None
            if await self._save_unless_replaced(used) or self.creds.valid:
                return
        raise Transient(0, "grantChanging", "the connection was reconnected repeatedly during a refresh; will retry")

    async def _locked_stored(self, conn) -> dict[str, Any] | None:
        """The stored credentials, with the connection row locked until the transaction ends."""
        cur = await conn.execute(query("connections.credentials_for_update"), {"id": self.connection["id"]})
        row = await cur.fetchone()
        blob = None if row is None else (row["credentials"] if isinstance(row, dict) else row[0])
        if blob is None:
            return None
        return self.keyring.decrypt(blob, str(self.connection["id"]))

    def _adopt(self, current: dict[str, Any]) -> None:
        self.creds = build_credentials(current, self.settings, self.endpoints)

    async def _save_unless_replaced(self, used: str | None) -> bool:
        """Write the refreshed access token if the stored grant is still `used`; else adopt the stored one."""
        async with self.pool.connection() as conn, conn.transaction():
            current = await self._locked_stored(conn)
            if current is None:
                return False  # deleted or disconnected meanwhile: nothing to write
            if current.get("refresh_token") != used:
                self._adopt(current)
                return False
            refreshed = credentials_to_store(self.creds, current.get("scopes"))
            blob = self.keyring.encrypt({**current, "token": refreshed["token"], "expiry": refreshed["expiry"]},
                                        str(self.connection["id"]))
            await conn.execute(query("connections.set_refreshed_credentials"), {
                "id": self.connection["id"], "credentials": blob, "key_id": self.keyring.current.key_id})
            return True

    async def _adopt_newer_grant_or_mark_reauth(self, failed: str | None) -> bool:
        """After invalid_grant: True (and adopted) when a newer grant is stored; else mark needs_reauth."""
        async with self.pool.connection() as conn, conn.transaction():
            current = await self._locked_stored(conn)
            if current is not None and current.get("refresh_token") not in (None, failed):
                self._adopt(current)
                return True
            if current is not None:
                await conn.execute(query("connections.set_status"),
                                   {"id": self.connection["id"], "status": "needs_reauth", "reason": REAUTH_REASON})
            return False
