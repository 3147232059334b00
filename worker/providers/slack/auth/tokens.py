"""The bot token of one Slack connection; with token rotation on, refreshed and stored by compare-and-swap.

A workspace without rotation has one long-lived bot token: nothing to refresh, and a refused token
means reinstalling. With rotation the token expires; each refresh answers a new refresh token and
revokes the old one at once. So a refresh runs under the connection's row lock and the new pair is
stored in the transaction that learned it, before it is used (`StoredGrant.rotate`, as QuickBooks
does): two jobs needing a refresh at once make one rotation -- the second waits for the lock, finds
the stored refresh token changed and adopts the first one's pair without spending its own. A
refused refresh token marks the connection `needs_reauth` only while it is still the stored one
under that lock, so a refresh in flight or committed by another job never reads as a dead grant.

Unlike Intuit, Slack keeps no grace period for the refresh token it rotated away: a worker killed
after Slack answered a refresh but before our commit leaves only a revoked refresh token stored.
The grant is lost for good; the next refresh is refused and the connection is `needs_reauth` until
someone reinstalls the app (`integrations status` says so and names the command).
"""

from __future__ import annotations

import asyncio
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx

from worker.providers.slack.auth.oauth import DEAD_GRANT, refresh, to_stored
from worker.providers.slack.client.errors import Transient, Unauthorized
from worker.providers.slack.settings import SlackSettings
from worker.sync.grant import DeadGrant, StoredGrant

REAUTH_REASON = "reinstall the Slack app: its token was revoked or its refresh token refused"
# a refused refresh token: stored as the connection's status_reason, explained by `reauth_remedy`
REFRESH_REFUSED = "reinstall the Slack app: Slack refused the stored refresh token"


def reauth_remedy(status_reason: str | None) -> str:
    """What `status` says of a Slack connection that needs a person (the reinstall command follows)."""
    if status_reason == REFRESH_REFUSED:
        return ("reconnect by reinstalling the Slack app: Slack refused the stored refresh token. Slack revokes"
                " a refresh token as soon as it answers a refresh, with no grace period: a worker stopped"
                " between that answer and storing the new pair loses the grant for good (as does"
                " uninstalling the app)")
    return "reconnect by reinstalling the Slack app: its token was revoked (the app was uninstalled or its token revoked)"
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
                await self._refresh(force_refresh)
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

    async def _rotate(self, refresh_token: str) -> dict[str, Any]:
        """Called under the row lock: Slack's answer as the fields to store, or why not."""
        try:
            answer = await refresh(self.http, self.settings, refresh_token)
        except httpx.HTTPError as error:
            raise Transient("refresh_failed", f"token refresh failed ({type(error).__name__})") from None
        if answer.get("ok") and answer.get("access_token"):
            self.refreshes += 1
            return {k: v for k, v in to_stored(answer).items() if v not in (None, {}, [])}
        if answer.get("transient") or answer.get("error") not in DEAD_GRANT | {"invalid_refresh_token"}:
            raise Transient(str(answer.get("error") or "refresh_failed"), "token refresh failed, will retry")
        raise DeadGrant(REFRESH_REFUSED, str(answer["error"]))

    async def _refresh(self, forced: bool) -> None:
        held_token = self.stored.get("token")
        for _ in range(self.MAX_GRANT_CHANGES):
            if not self.stored.get("refresh_token"):  # no rotation: the one bot token was refused (or is expired)
                refused = self.stored.get("token")
                newer = await self.grant.newer_or_mark_reauth(refused, REAUTH_REASON, field="token")
                if newer is not None and usable(newer) and newer.get("token") != refused:
                    self.stored = newer
                    return
                raise Unauthorized("token_expired", REAUTH_REASON)
            try:
                refreshed, current = await self.grant.rotate(self.stored["refresh_token"], self._rotate)
            except DeadGrant as error:
                raise Unauthorized(error.code, error.reason) from None
            if not current:
                raise Unauthorized("disconnected", "the connection was deleted or disconnected")
            self.stored = current
            if refreshed:
                return
            # another job's refresh (or a reinstall) won: its pair is ours now, unless it is no
            # better than the token that was just refused
            if usable(current) and not (forced and current.get("token") == held_token):
                return
        raise Transient("grant_changing", "the connection was reinstalled repeatedly during a refresh; will retry")
