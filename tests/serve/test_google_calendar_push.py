"""Calendar push: the Google sandbox's watch channels notify serve's `POST /webhooks/google/calendar`
(headers only); channels are created, renewed (new, then the old stopped) and stopped by the periodic
task's function, on a clock the test advances."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone

import httpx
import psycopg
import pytest

from tests.calendar.conftest import timed
from tests.fixtures.accounts import connect_account
from tests.serve.conftest import drain, jobs, received
from worker.app import open_app_async
from worker.providers.google.capabilities import CALENDAR_READONLY
from worker.providers.google.push.calendar_watch import reconcile_calendar_watches

pytestmark = pytest.mark.asyncio
TASK = "google:sync_calendar_live"
PATH = "/webhooks/google/calendar"


class Account:
    def __init__(self, sandbox, url: str) -> None:
        self.sandbox, self.url = sandbox, url
        self.email = f"{uuid.uuid4().hex[:12]}@sandbox.test"
        self.id, _ = connect_account(sandbox, url, self.email, {"sync_calendar_live": None}, [CALENDAR_READONLY])

    def add(self, summary: str) -> str:
        return self.sandbox.import_event(self.email, timed(summary, "2026-03-02T10:00:00Z", "2026-03-02T11:00:00Z"))["id"]

    def staged(self) -> int:
        with psycopg.connect(self.url) as conn:
            return conn.execute("select count(*) from integrations.raw_records where connection_id = %s"
                                " and resource_type = 'calendar.event'", (self.id,)).fetchone()[0]

    def channel(self):
        with psycopg.connect(self.url) as conn:
            return conn.execute("select channel_id, resource_id, token_hash, expires_at from integrations.push_watches"
                                " where connection_id = %s", (self.id,)).fetchone()


@pytest.fixture
def cal(server, in_env, sandbox):
    sandbox.set_quota(units_per_window=None, calendar_requests_per_window=None)
    sandbox.set_public_url(server.url)
    return sandbox


@pytest.fixture
def db(in_env) -> str:
    return in_env["INTEGRATIONS_DATABASE_URL"]


async def reconcile(account: Account, now: datetime | None = None) -> str | None:
    async with open_app_async(account.url, max_size=2) as app:
        return (await reconcile_calendar_watches(app.connector.pool, now)).get(str(account.id))


def notify(server, channel: str, token: str | None, resource: str, state: str = "exists", number: int = 2):
    headers = {"X-Goog-Channel-ID": channel, "X-Goog-Resource-ID": resource, "X-Goog-Resource-State": state,
               "X-Goog-Message-Number": str(number), **({"X-Goog-Channel-Token": token} if token else {})}
    return httpx.post(server.url + PATH, headers=headers, timeout=10)


async def test_an_event_created_in_a_watched_calendar_is_pushed_synced_and_staged(cal, server, db):
    account = Account(cal, db)
    assert await reconcile(account) == "created"
    [sync] = cal.webhooks.delivered  # the channel's creation: `sync`, answered, nothing enqueued
    assert sync.headers["X-Goog-Resource-State"] == "sync" and sync.status == 200
    assert jobs(account.url, account.id) == []
    channel_id, _, token_hash, _ = account.channel()
    assert token_hash and token_hash != cal.channels.channels[channel_id].token  # only its hash is stored
    account.add("pushed meeting")
    delivery = cal.webhooks.delivered[-1]
    assert delivery.status == 200 and delivery.headers["X-Goog-Resource-State"] == "exists"
    assert jobs(account.url, account.id) == [(TASK, "todo")]
    await drain(account.url)
    assert account.staged() == 1
    assert received(account.url, account.id) == {"sync_calendar_live": 1}


async def test_unknown_channels_wrong_tokens_and_repeats_change_nothing(cal, server, db):
    account = Account(cal, db)
    await reconcile(account)
    channel_id, resource_id, _, _ = account.channel()
    token = cal.channels.channels[channel_id].token
    unknown = str(uuid.uuid4())
    assert notify(server, unknown, token, resource_id).status_code == 404
    assert notify(server, unknown, token, resource_id, number=3).status_code == 404
    assert server.log().count(unknown) == 1  # logged once
    assert notify(server, channel_id, "wrong-" + token, resource_id).status_code == 403
    assert notify(server, channel_id, None, resource_id).status_code == 403
    assert notify(server, channel_id, token, "another-resource").status_code == 403
    assert jobs(account.url, account.id) == [] and received(account.url, account.id) == {}
    assert token not in server.log()

    cal.webhooks.misbehave(duplicates=2)  # Google's retries: the same message number, handled once
    account.add("retried")
    assert [d.status for d in cal.webhooks.delivered[-3:]] == [200, 200, 200]
    assert received(account.url, account.id) == {"sync_calendar_live": 1}
    cal.webhooks.misbehave(bad_signature=True)
    account.add("forged token")
    assert cal.webhooks.delivered[-1].status == 403
    assert received(account.url, account.id) == {"sync_calendar_live": 1}


async def test_channels_are_renewed_new_first_then_the_old_stopped_and_stopped_on_disable(cal, server, db):
    account = Account(cal, db)
    now = datetime.now(timezone.utc)
    assert await reconcile(account, now) == "created"
    old_channel, _, _, expires = account.channel()
    assert expires > now + timedelta(days=6)
    assert await reconcile(account, now + timedelta(hours=1)) is None
    assert await reconcile(account, now + timedelta(days=1, minutes=1)) == "renewed"
    new_channel = account.channel()[0]
    assert new_channel != old_channel and list(cal.channels.channels) == [new_channel]

    with psycopg.connect(account.url) as conn:
        conn.execute("update integrations.connections set capabilities = '{}' where id = %s", (account.id,))
    assert await reconcile(account) == "stopped"
    assert account.channel() is None and cal.channels.channels == {}
    before = len(cal.webhooks.delivered)
    account.add("after stop")
    assert len(cal.webhooks.delivered) == before
