"""The tokens of one QuickBooks connection: an access token for an hour, a refresh token that
rotates on every refresh.

Losing a rotated refresh token locks the integration out until a person reconnects, so a refresh
runs under the connection's row lock and the new pair is committed in the transaction that learned
it, before the new access token is used (`StoredGrant.rotate`). Two jobs of one company needing a
refresh at once: the second waits for the lock, finds the stored refresh token changed and adopts
the first one's pair without spending its own. A worker killed after Intuit answered but before
the commit leaves the previous refresh token stored; Intuit keeps it working for a grace period,
so the next run refreshes with it again. Slack keeps no such grace
(worker/providers/slack/auth/tokens.py): there the same crash loses the grant for good, and
`integrations status` asks for a reinstall of the app, naming the command.
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from worker.providers.quickbooks.auth.oauth import DEAD_GRANT, refresh, to_stored
from worker.providers.quickbooks.client.errors import Transient, Unauthorized
from worker.providers.quickbooks.settings import QuickBooksSettings
from worker.sync.grant import DeadGrant, StoredGrant

REAUTH_REASON = "reconnect the QuickBooks company: Intuit refused the refresh token (disconnected or expired)"
EARLY = timedelta(minutes=5)  # refresh this long before the access token expires


def usable(stored: dict[str, Any]) -> bool:
    if not stored.get("access_token"):
        return False
    expiry = stored.get("expiry")
    return expiry is None or datetime.fromisoformat(expiry) - EARLY > datetime.now(timezone.utc)


class QuickBooksTokens:
    """`await tokens(force_refresh)` → an access token for `QuickBooksClient`."""

    MAX_GRANT_CHANGES = 3

    def __init__(self, grant: StoredGrant, stored: dict[str, Any], settings: QuickBooksSettings,
                 http: httpx.AsyncClient) -> None:
        self.grant, self.stored, self.settings, self.http = grant, stored, settings, http
        self._lock = asyncio.Lock()
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"QuickBooksTokens(connection={self.grant.connection_id})"

    async def __call__(self, force_refresh: bool = False) -> str:
        async with self._lock:
            if force_refresh or not usable(self.stored):
                await self._refresh(force_refresh)
            return self.stored["access_token"]

    async def _rotate(self, refresh_token: str) -> dict[str, Any]:
        """Called under the row lock: Intuit's answer as the fields to store, or why not."""
        answer = await refresh(self.http, self.settings, refresh_token)
        if answer.get("access_token") and answer.get("refresh_token"):
            self.refreshes += 1
            return to_stored(answer)
        if not answer.get("transient") and answer.get("error") in DEAD_GRANT:
            raise DeadGrant(REAUTH_REASON, str(answer["error"]))
        raise Transient(str(answer.get("error") or "refresh_failed"), "token refresh failed, will retry")

    async def _refresh(self, forced: bool) -> None:
        held_access = self.stored.get("access_token")
        for _ in range(self.MAX_GRANT_CHANGES):
            try:
                refreshed, current = await self.grant.rotate(self.stored.get("refresh_token"), self._rotate)
            except DeadGrant as error:
                raise Unauthorized(error.code, error.reason, status=400) from None
            if not current:
                raise Unauthorized("disconnected", "the connection was deleted or disconnected")
            self.stored = current
            if refreshed:
                return
            # another job's refresh (or a reconnect) won: its pair is ours now, unless it is no
            # better than the token that was just refused
            if usable(current) and not (forced and current.get("access_token") == held_access):
                return
        raise Transient("grant_changing", "the connection's tokens changed repeatedly during a refresh; will retry")
