"""A refresh racing a reconnect writes nothing: the stored access token stays the reconnect's own.

`ConnectionTokens` writes a refreshed access token back only while the stored refresh token is
still the one it refreshed (compare-and-swap under the row lock). Keeping the reconnect's refresh
token and scopes is not enough: without the compare, the job's access token — minted for the old
grant — would replace the reconnect's in the stored credentials. The mutation gate
(mutations/mutations.toml, `token-refresh-overwrites-a-newer-grant`) removes the compare; this
test notices.
"""

from __future__ import annotations

import httpx
import pytest
from google.oauth2.credentials import Credentials

from worker.app import open_app_async
from worker.connections import load_credentials
from worker.crypto import keyring_from_settings
from worker.providers.google.auth.connect import connect_google
from worker.providers.google.capabilities import GMAIL_READONLY
from worker.providers.google.context import google_context
from worker.settings import get_settings

pytestmark = pytest.mark.asyncio


def _consent(url: str) -> None:
    """What a browser does: open the consent URL; the sandbox redirects to the loopback receiver."""
    assert httpx.get(url, follow_redirects=True, timeout=10).status_code == 200


def _reconnect(box) -> dict:
    row = box.row()
    settings = get_settings()
    return connect_google(box.url, settings, keyring_from_settings(settings), tenant_id=row["tenant_id"],
                          profile_id=row["profile_id"], account=box.email,
                          capabilities={"sync_inbox_live": None}, on_url=_consent, timeout=30)


def _stored(box, row: dict | None = None) -> dict:
    return load_credentials(keyring_from_settings(get_settings()), row or box.row())


async def test_a_refresh_racing_a_reconnect_leaves_the_reconnects_access_token_stored_and_adopts_it(
        mailbox, monkeypatch):
    box = mailbox(capabilities={"sync_inbox_live": None}, scopes=[GMAIL_READONLY])
    original_refresh = Credentials.refresh
    minted: dict = {}

    def refresh_then_reconnect(self, request):
        """Google answers the job's refresh; before the job writes it, the person reconnects."""
        original_refresh(self, request)
        if not minted:
            minted["job_token"] = self.token
            minted["reconnect"] = _stored(box, _reconnect(box))

    monkeypatch.setattr(Credentials, "refresh", refresh_then_reconnect)
    async with open_app_async(box.url) as app:
        async with google_context(app.connector.pool, box.id) as ctx:
            token = await ctx.client.token(True)

    reconnect_token = minted["reconnect"]["token"]
    assert reconnect_token and reconnect_token != minted["job_token"]
    now = _stored(box)
    assert now["token"] == reconnect_token  # the old grant's access token was never written
    assert now["refresh_token"] == minted["reconnect"]["refresh_token"]
    assert token == reconnect_token  # the job adopted the newer grant for the rest of its run
