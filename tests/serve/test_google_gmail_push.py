"""Gmail push: the Google sandbox's watches publish as Pub/Sub does (OIDC token, envelope) to serve's
`POST /webhooks/google/gmail`; the watches are created, renewed and stopped by the periodic task's
function, on a clock the test advances."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import psycopg
import pytest

from sandbox.google.pubsub import SERVICE_ACCOUNT
from tests.fixtures.accounts import connect_account
from tests.gmail.conftest import make_raw
from tests.serve.conftest import drain, jobs, received
from worker.app import open_app_async
from worker.db.connect import connect
from worker.providers.google.capabilities import GMAIL_READONLY
from worker.providers.google.push.gmail_watch import reconcile_gmail_watches
from worker.status import collect_status

pytestmark = pytest.mark.asyncio
TASK = "google:sync_inbox_live"
PATH = "/webhooks/google/gmail"


class Box:
    def __init__(self, sandbox, url: str, capabilities=None) -> None:
        self.sandbox, self.url = sandbox, url
        self.email = f"{uuid.uuid4().hex[:12]}@sandbox.test"
        self.id, _ = connect_account(sandbox, url, self.email, capabilities or {"sync_inbox_live": None},
                                     [GMAIL_READONLY])

    def add(self, subject: str) -> str:
        return self.sandbox.import_message(self.email, make_raw("bob@ext.example", self.email, subject),
                                           ["INBOX", "UNREAD"])["id"]

    def staged(self) -> int:
        with psycopg.connect(self.url) as conn:
            return conn.execute("select count(*) from integrations.raw_records where connection_id = %s"
                                " and resource_type = 'gmail.message'", (self.id,)).fetchone()[0]

    def watch_row(self):
        with psycopg.connect(self.url) as conn:
            return conn.execute("select expires_at, renewed_at from integrations.push_watches"
                                " where connection_id = %s", (self.id,)).fetchone()


@pytest.fixture
def gmail(server, in_env, sandbox):
    sandbox.set_quota(units_per_window=None, calendar_requests_per_window=None)
    sandbox.set_public_url(server.url)
    return sandbox


@pytest.fixture
def db(in_env) -> str:
    return in_env["INTEGRATIONS_DATABASE_URL"]


async def reconcile(box: "Box", now: datetime | None = None) -> str | None:
    """The periodic task's function (over every connection of the database); what it did to `box`."""
    async with open_app_async(box.url, max_size=2) as app:
        return (await reconcile_gmail_watches(app.connector.pool, now)).get(str(box.id))


def envelope(email: str, message_id: str, history_id: int = 1) -> bytes:
    data = base64.b64encode(json.dumps({"emailAddress": email, "historyId": history_id}).encode()).decode()
    return json.dumps({"message": {"data": data, "messageId": message_id, "publishTime": "2026-01-01T00:00:00Z",
                                   "attributes": {}}, "subscription": "projects/p/subscriptions/s"}).encode()


def post(server, body: bytes, token: str | None) -> httpx.Response:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    return httpx.post(server.url + PATH, content=body, headers=headers, timeout=10)


async def test_a_message_imported_in_a_watched_mailbox_is_pushed_synced_and_staged(gmail, server, db):
    box = Box(gmail, db)
    assert await reconcile(box) == "created"
    assert gmail.pubsub.watching(box.email) is not None
    box.add("pushed mail")
    [delivery] = gmail.webhooks.delivered
    assert delivery.status == 200, delivery.answer
    assert delivery.url == server.url + PATH
    assert jobs(box.url, box.id) == [(TASK, "todo")]
    await drain(box.url)
    assert box.staged() == 1
    assert received(box.url, box.id) == {"sync_inbox_live": 1}
    with connect(box.url) as conn:  # `status`: push health and the watch behind it
        [entry] = collect_status(conn, box.id)
    [inbox] = [c for c in entry["capabilities"] if c["capability"] == "sync_inbox_live"]
    assert inbox["push"] == "receiving" and inbox["push_notifications"] == 1
    assert inbox["watch_expires_at"] == box.watch_row()[0]


async def test_a_push_finds_a_mailbox_whose_address_was_stored_with_capitals(gmail, server, db):
    """Gmail names the mailbox in lower case; a connection made before addresses were canonicalized
    holds it as typed (`Ana@Tenant.Example`)."""
    box = Box(gmail, db)
    with psycopg.connect(db) as conn:
        conn.execute("update integrations.connections set account_id = upper(account_id) where id = %s", (box.id,))
    answer = post(server, envelope(box.email, "m-" + uuid.uuid4().hex), gmail.pubsub.token(server.url + PATH))
    assert answer.status_code == 200, answer.text
    assert jobs(box.url, box.id) == [(TASK, "todo")]


async def test_tokens_that_do_not_verify_change_nothing(gmail, server, db):
    box = Box(gmail, db)
    audience = server.url + PATH
    good = gmail.pubsub.token(audience)
    assert post(server, envelope(box.email, "m-" + uuid.uuid4().hex), None).status_code == 401
    assert post(server, envelope(box.email, "m-" + uuid.uuid4().hex), "not.a.jwt").status_code == 401
    assert post(server, envelope(box.email, "m-" + uuid.uuid4().hex), good[:-3] + ("AAA" if good[-3:] != "AAA"
                                                                                      else "BBB")).status_code == 401
    assert post(server, envelope(box.email, "m-1"), gmail.pubsub.token("https://elsewhere.example" + PATH)
                ).status_code == 401  # another audience
    assert post(server, envelope(box.email, "m-2"), gmail.pubsub.token(audience, now=time.time() - 7200)
                ).status_code == 401  # expired
    gmail.pubsub.service_account = "someone-else@sandbox-project.iam.gserviceaccount.com"
    assert post(server, envelope(box.email, "m-3"), gmail.pubsub.token(audience)).status_code == 403
    gmail.pubsub.service_account, gmail.pubsub.wrong_issuer = SERVICE_ACCOUNT, True
    assert post(server, envelope(box.email, "m-4"), gmail.pubsub.token(audience)).status_code == 403
    gmail.pubsub.wrong_issuer, gmail.pubsub.email_unverified = False, True
    assert post(server, envelope(box.email, "m-6"), gmail.pubsub.token(audience)).status_code == 403
    assert jobs(box.url, box.id) == [] and received(box.url, box.id) == {}
    assert "OIDC token" in server.log()
    assert good not in server.log()  # a token is never logged

    gmail.pubsub.email_unverified = False
    assert post(server, b"{}", gmail.pubsub.token(audience)).status_code == 400
    assert post(server, envelope("nobody-" + uuid.uuid4().hex + "@sandbox.test", "m-5"),
                gmail.pubsub.token(audience)).status_code == 404
    ok = post(server, envelope(box.email.upper(), "m-" + uuid.uuid4().hex), gmail.pubsub.token(audience))
    assert ok.status_code == 200 and jobs(box.url, box.id) == [(TASK, "todo")]


async def test_redeliveries_of_a_message_are_handled_once_and_bad_signatures_refused(gmail, server, db):
    box = Box(gmail, db)
    await reconcile(box)
    gmail.webhooks.misbehave(duplicates=2)
    box.add("redelivered")
    assert [d.status for d in gmail.webhooks.delivered] == [200, 200, 200]
    assert len({json.loads(d.body)["message"]["messageId"] for d in gmail.webhooks.delivered}) == 1
    assert received(box.url, box.id) == {"sync_inbox_live": 1}

    other = Box(gmail, db)
    await reconcile(other)
    gmail.webhooks.misbehave(bad_signature=True)
    other.add("forged")
    assert gmail.webhooks.delivered[-1].status == 401
    assert jobs(other.url, other.id) == [] and received(other.url, other.id) == {}


async def test_a_burst_of_100_out_of_order_pushes_is_one_or_two_runs_and_everything_is_staged(gmail, server, db):
    box = Box(gmail, db)
    await reconcile(box)
    gmail.webhooks.hold()
    for i in range(100):
        box.add(f"burst {i}")
    released = gmail.webhooks.release(reverse=True)
    assert [d.status for d in released] == [200] * 100
    assert 1 <= len(jobs(box.url, box.id)) <= 2
    assert received(box.url, box.id) == {"sync_inbox_live": 100}
    await drain(box.url)
    assert box.staged() == 100


async def test_watches_are_renewed_daily_and_stopped_when_the_capability_is_disabled(gmail, server, db):
    box = Box(gmail, db)
    now = datetime.now(timezone.utc)
    assert await reconcile(box, now) == "created"
    first_expiry, first_renewal = box.watch_row()
    assert first_expiry > now + timedelta(days=6)
    assert await reconcile(box, now + timedelta(hours=1)) is None  # not due yet
    assert await reconcile(box, now + timedelta(days=1, minutes=1)) == "renewed"
    assert box.watch_row()[1] > first_renewal

    with psycopg.connect(box.url) as conn:
        conn.execute("update integrations.connections set capabilities = '{}' where id = %s", (box.id,))
    assert await reconcile(box) == "stopped"
    assert box.watch_row() is None and gmail.pubsub.watching(box.email) is None
    box.add("after stop")
    assert gmail.webhooks.delivered == []  # a stopped watch publishes nothing


async def test_an_expired_watch_publishes_nothing(gmail, server, db):
    box = Box(gmail, db)
    gmail.pubsub.watch_seconds = 0
    await reconcile(box)
    box.add("after expiry")
    assert gmail.webhooks.delivered == []


async def test_deleting_a_connection_stops_its_gmail_watch_and_calendar_channels_at_google(gmail, server, db):
    from worker.connections import delete_and_revoke
    from worker.crypto import keyring_from_settings
    from worker.providers.google.capabilities import CALENDAR_READONLY
    from worker.providers.google.push.calendar_watch import reconcile_calendar_watches
    from worker.settings import get_settings

    email = f"{uuid.uuid4().hex[:12]}@sandbox.test"
    both = {"sync_inbox_live": None, "sync_calendar_live": None}
    scopes = [GMAIL_READONLY, CALENDAR_READONLY]
    first, _ = connect_account(gmail, db, email, both, scopes)
    second, _ = connect_account(gmail, db, email, both, scopes)  # the same mailbox in another tenant

    async def watch_all():
        async with open_app_async(db, max_size=2) as app:
            await reconcile_gmail_watches(app.connector.pool)
            await reconcile_calendar_watches(app.connector.pool)

    def channels() -> int:
        return sum(1 for c in gmail.channels.channels.values() if c.email == email)

    await watch_all()
    assert gmail.pubsub.watching(email) is not None and channels() == 2

    def delete(connection_id):
        settings = get_settings()
        with connect(db) as conn:
            outcome = delete_and_revoke(conn, keyring_from_settings(settings), settings, connection_id)
            conn.commit()
        return outcome

    # the mailbox is still the other connection's: its one Gmail watch stays, this connection's channel goes
    assert delete(first).grant == "kept_shared"
    assert gmail.pubsub.watching(email) is not None and channels() == 1
    # the last connection of the mailbox: the watch and the channel are stopped before the grant is revoked
    assert delete(second).grant == "revoked"
    assert gmail.pubsub.watching(email) is None and channels() == 0
    before = len(gmail.webhooks.delivered)  # the channels' `sync` notifications at their creation
    gmail.import_message(email, make_raw("bob@ext.example", email, "after the deletion"), ["INBOX"])
    gmail.import_event(email, {"summary": "after the deletion", "start": {"date": "2026-12-24"},
                               "end": {"date": "2026-12-25"}})
    assert gmail.webhooks.delivered[before:] == []  # nothing reaches serve any more
