"""Grants over time: a reconnect during a running job, refreshes that race it, a revoked grant.

A job reads the connection's credentials when it starts; a person may reconnect (a new refresh
token, maybe more scopes) while it runs. The job's refresh must never overwrite the newer grant,
never write scopes, and never mark the reconnected connection `needs_reauth` for the old token.
"""

from __future__ import annotations

import asyncio

import httpx
import pytest
from google.oauth2.credentials import Credentials

from worker.app import open_app_async
from worker.connections import load_credentials
from worker.crypto import keyring_from_settings
from worker.providers.google.auth.connect import connect_google
from worker.providers.google.capabilities import CALENDAR_READONLY, GMAIL_READONLY
from worker.providers.google.context import google_context
from worker.settings import get_settings

pytestmark = pytest.mark.asyncio


def consent_in_sandbox(url: str) -> None:
    """What a browser does: open the consent URL; the sandbox redirects to the loopback receiver."""
    assert httpx.get(url, follow_redirects=True, timeout=10).status_code == 200


def reconnect(box, capabilities: dict | None = None, on_url=consent_in_sandbox) -> dict:
    """`integrations connect google` for the box's account, in-process (the consent is synchronous)."""
    row = box.row()
    settings = get_settings()
    return connect_google(box.url, settings, keyring_from_settings(settings), tenant_id=row["tenant_id"],
                          profile_id=row["profile_id"], account=box.email,
                          capabilities=capabilities or {"sync_inbox_live": None}, on_url=on_url, timeout=30)


def stored(box) -> dict:
    return load_credentials(keyring_from_settings(get_settings()), box.row())


async def test_a_job_refreshing_after_a_reconnect_uses_the_new_grant_and_never_marks_needs_reauth(mailbox):
    box = mailbox()
    old = stored(box)
    async with open_app_async(box.url) as app:
        async with google_context(app.connector.pool, box.id) as ctx:  # the job read the old credentials
            reconnect(box)
            new = stored(box)
            assert new["refresh_token"] != old["refresh_token"]
            box.sandbox.revoke_refresh_tokens(refresh_token=old["refresh_token"])  # the old grant is gone

            token = await ctx.client.token(True)  # the job's access token expired: it refreshes

    row = box.row()
    assert row["status"] == "active" and row["status_reason"] is None
    assert stored(box)["refresh_token"] == new["refresh_token"]
    profile = httpx.get(box.sandbox.base_url + "/gmail/v1/users/me/profile",
                        headers={"Authorization": f"Bearer {token}"})
    assert profile.status_code == 200 and profile.json()["emailAddress"] == box.email


async def test_a_refresh_racing_a_reconnect_never_overwrites_the_new_grant_or_its_scopes(mailbox, monkeypatch):
    box = mailbox(capabilities={"sync_inbox_live": None}, scopes=[GMAIL_READONLY])
    old = stored(box)
    original_refresh = Credentials.refresh
    reconnected = {}

    def refresh_then_reconnect(self, request):
        """Google answers the job's refresh; before the job writes it, the person reconnects."""
        original_refresh(self, request)
        if not reconnected:
            reconnected["row"] = reconnect(box, {"sync_calendar_live": None})

    monkeypatch.setattr(Credentials, "refresh", refresh_then_reconnect)
    async with open_app_async(box.url) as app:
        async with google_context(app.connector.pool, box.id) as ctx:
            token = await ctx.client.token(True)

    assert sorted(reconnected["row"]["granted_scopes"]) == sorted([CALENDAR_READONLY, GMAIL_READONLY])
    row = box.row()
    assert sorted(row["granted_scopes"]) == sorted([CALENDAR_READONLY, GMAIL_READONLY])
    assert row["status"] == "active"
    now = stored(box)
    assert now["refresh_token"] != old["refresh_token"]
    assert now["refresh_token"] == load_credentials(keyring_from_settings(get_settings()),
                                                    reconnected["row"])["refresh_token"]
    assert token  # the job still got a working token for the rest of its run


async def test_a_refresh_that_fails_for_the_stored_token_still_marks_needs_reauth(mailbox):
    box = mailbox()
    async with open_app_async(box.url) as app:
        async with google_context(app.connector.pool, box.id) as ctx:
            box.sandbox.revoke_refresh_tokens(box.email)
            from worker.providers.google.client.errors import Reauth
            with pytest.raises(Reauth):
                await ctx.client.token(True)
    row = box.row()
    assert row["status"] == "needs_reauth" and "reconnect" in row["status_reason"]


async def test_concurrent_refreshes_of_one_connection_keep_one_valid_stored_token(mailbox):
    box = mailbox()
    async with open_app_async(box.url) as app:
        async with google_context(app.connector.pool, box.id) as a, google_context(app.connector.pool, box.id) as b:
            await asyncio.gather(a.client.token(True), b.client.token(True))
    saved = stored(box)
    profile = httpx.get(box.sandbox.base_url + "/gmail/v1/users/me/profile",
                        headers={"Authorization": f"Bearer {saved['token']}"})
    assert profile.status_code == 200 and box.row()["status"] == "active"
