"""Access tokens for one Microsoft connection, refreshed through msal and stored with compare-and-swap.

The identity platform rotates refresh tokens: each refresh answers a new one. It is stored in the
transaction that learns it, before the new access token is used, and only while the stored grant is
still the one refreshed (worker/sync/grant.py): a concurrent reconnect or refresh wins and is adopted.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

from worker.providers.microsoft.auth.identity import REAUTH_ERRORS, error_text, msal_app, requestable, to_stored
from worker.providers.microsoft.client.errors import Transient, Unauthorized
from worker.providers.microsoft.settings import MicrosoftSettings
from worker.sync.grant import StoredGrant

REAUTH_REASON = "reconnect: the Microsoft refresh token was revoked or expired (invalid_grant)"
EARLY = timedelta(minutes=5)  # refresh this long before the access token expires


def usable(stored: dict[str, Any]) -> bool:
    expiry = stored.get("expiry")
    if not stored.get("token") or not expiry:
        return False
    return datetime.fromisoformat(expiry) - EARLY > datetime.now(timezone.utc)


class MicrosoftTokens:
    """`await tokens(force_refresh)` → an access token for `GraphClient`."""

    MAX_GRANT_CHANGES = 3

    def __init__(self, grant: StoredGrant, stored: dict[str, Any], settings: MicrosoftSettings) -> None:
        self.grant, self.stored, self.settings = grant, stored, settings
        self._lock = asyncio.Lock()
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"MicrosoftTokens(connection={self.grant.connection_id})"

    async def __call__(self, force_refresh: bool = False) -> str:
        async with self._lock:
            if force_refresh or not usable(self.stored):
                await self._refresh()
            return self.stored["token"]

    def _acquire(self, refresh_token: str) -> dict:
        scopes = requestable(self.stored.get("scopes") or [])
        return msal_app(self.settings).acquire_token_by_refresh_token(refresh_token, scopes=scopes)

    async def _refresh(self) -> None:
        for _ in range(self.MAX_GRANT_CHANGES):
            used = self.stored.get("refresh_token")
            if not used:
                raise Unauthorized(401, "noRefreshToken", REAUTH_REASON)
            try:
                answer = await asyncio.to_thread(self._acquire, used)
            except Exception as error:  # the authority unreachable (requests), msal's own errors
                raise Transient(0, "refreshFailed", f"token refresh failed ({type(error).__name__}), will retry") from None
            if "access_token" in answer:
                self.refreshes += 1
                refreshed = to_stored(answer, used)
                refreshed["scopes"] = self.stored.get("scopes") or refreshed["scopes"]  # scopes belong to the consent
                current = await self.grant.write_if_current(used, refreshed)
                if current is None:
                    self.stored = {**self.stored, **refreshed}
                    return
                if not current:
                    raise Unauthorized(401, "disconnected", "the connection was deleted or disconnected")
                self.stored = current  # a reconnect or another job's refresh won: use its grant
                if usable(current):
                    return
                continue
            if answer.get("error") in REAUTH_ERRORS:
                newer = await self.grant.newer_or_mark_reauth(used, REAUTH_REASON)
                if newer is None:
                    raise Unauthorized(400, answer.get("error"), f"{REAUTH_REASON}: {error_text(answer)}")
                self.stored = newer
                if usable(newer):
                    return
                continue
            raise Transient(0, str(answer.get("error") or "refreshFailed"), f"token refresh failed: {error_text(answer)}")
        raise Transient(0, "grantChanging", "the connection was reconnected repeatedly during a refresh; will retry")
