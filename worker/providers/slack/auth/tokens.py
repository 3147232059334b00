"""The bot token of one Slack connection; with token rotation on, refreshed and stored by compare-and-swap.

A workspace without rotation has one long-lived bot token: nothing to refresh, and a refused token
means reinstalling. With rotation the token expires; each refresh answers a new refresh token and
revokes the old one, so the new pair is stored in the transaction that learns it, before it is
used, and only while the stored grant is still the one refreshed: a concurrent refresh or
reinstall wins and is adopted (worker/sync/grant.py).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from worker.providers.slack.auth.oauth import DEAD_GRANT, refresh, to_stored
from worker.providers.slack.client.errors import Transient, Unauthorized
from worker.providers.slack.settings import SlackSettings
from worker.sync.grant import StoredGrant

REAUTH_REASON = "reinstall the Slack app: its token was revoked or its refresh token refused"
EARLY = timedelta(minutes=10)  # refresh this long before a rotating token expires


def usable(stored: dict[str, Any]) -> bool:
    if not stored.get("token"):
        return False
    expiry = stored.get("expiry")
    return expiry is None or datetime.fromisoformat(expiry) - EARLY > datetime.now(timezone.utc)


class SlackTokens:
    """`await tokens(force_refresh)` → the bot token for `SlackClient`."""

    MAX_GRANT_CHANGES = 3

    def __init__(self, grant: StoredGrant, stored: dict[str, Any], settings: SlackSettings,
                 http: httpx.AsyncClient) -> None:
        self.grant, self.stored, self.settings, self.http = grant, stored, settings, http
        self._lock = asyncio.Lock()
        self.refreshes = 0

    def __repr__(self) -> str:
        return f"SlackTokens(connection={self.grant.connection_id})"

    async def __call__(self, force_refresh: bool = False) -> str:
        async with self._lock:
            if force_refresh or not usable(self.stored):
                await self._refresh()
            return self.stored["token"]

    async def refused(self, token: str) -> bool:
        """Slack refused `token` (revoked, app uninstalled): True when a reinstall or a refresh has
        stored another one meanwhile (adopted: try again); else the connection is marked
        `needs_reauth` — only while the refused token is still the stored one."""
        async with self._lock:
            if self.stored.get("token") != token and usable(self.stored):
                return True
            newer = await self.grant.newer_or_mark_reauth(token, REAUTH_REASON, field="token")
            if newer is None or not usable(newer):
                return False
            self.stored = newer
            return True

    async def _refresh(self) -> None:
        for _ in range(self.MAX_GRANT_CHANGES):
            used = self.stored.get("refresh_token")
            if not used:  # no rotation: the one bot token was refused (or is expired)
                refused = self.stored.get("token")
                newer = await self.grant.newer_or_mark_reauth(refused, REAUTH_REASON, field="token")
                if newer is not None and usable(newer) and newer.get("token") != refused:
                    self.stored = newer
                    return
                raise Unauthorized("token_expired", REAUTH_REASON)
            try:
                answer = await refresh(self.http, self.settings, used)
            except httpx.HTTPError as error:
                raise Transient("refresh_failed", f"token refresh failed ({type(error).__name__})") from None
            if answer.get("ok") and answer.get("access_token"):
                self.refreshes += 1
                refreshed = {k: v for k, v in to_stored(answer).items() if v not in (None, {}, [])}
                current = await self.grant.write_if_current(used, refreshed)
                if current is None:
                    self.stored = {**self.stored, **refreshed}
                    return
                if not current:
                    raise Unauthorized("disconnected", "the connection was deleted or disconnected")
                self.stored = current  # a reinstall or another job's refresh won: use its grant
                if usable(current):
                    return
                continue
            if answer.get("transient") or answer.get("error") not in DEAD_GRANT | {"invalid_refresh_token"}:
                raise Transient(str(answer.get("error") or "refresh_failed"), "token refresh failed, will retry")
            newer = await self.grant.newer_or_mark_reauth(used, REAUTH_REASON)
            if newer is None:
                raise Unauthorized(str(answer.get("error")), REAUTH_REASON)
            self.stored = newer
            if usable(newer):
                return
        raise Transient("grant_changing", "the connection was reinstalled repeatedly during a refresh; will retry")
