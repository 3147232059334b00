"""Microsoft push: the Microsoft sandbox's Graph subscriptions validate and notify serve's
`POST /webhooks/microsoft`; subscriptions are created, renewed and deleted by the periodic task's
function (on a clock the test advances), lifecycle events handled by the task they defer."""

from __future__ import annotations

import hashlib
import json
import uuid
from datetime import datetime, timedelta, timezone

import httpx
import psycopg
import pytest

from tests.microsoft.conftest import Outlook
from tests.serve.conftest import drain, jobs, received
from worker.app import open_app_async
from worker.connections import delete_and_revoke
from worker.crypto import keyring_from_settings
from worker.db.connect import connect
from worker.providers.microsoft.capabilities import CALENDARS_READ, MAIL_READ, OFFLINE_ACCESS
from worker.providers.microsoft.push.subscriptions import reconcile_subscriptions
from worker.settings import get_settings
from worker.status import collect_status

pytestmark = pytest.mark.asyncio
MAIL, CALENDAR = "sync_inbox_live", "sync_calendar_live"
MAIL_TASK = "microsoft:sync_inbox_live"
LIFECYCLE_TASK = "microsoft:subscription_lifecycle"
PATH = "/webhooks/microsoft"


class Mailbox(Outlook):
    def __init__(self, sandbox, url: str, capabilities=(MAIL,)) -> None:
        super().__init__(sandbox, url, f"{uuid.uuid4().hex[:12]}@tenant.example", dict.fromkeys(capabilities),
                         [MAIL_READ, CALENDARS_READ, OFFLINE_ACCESS])

    def watches(self) -> dict[str, tuple]:
        """capability -> (subscription id, token_hash, expires_at)."""
        with psycopg.connect(self.url) as conn:
            rows = conn.execute("select capability, channel_id, token_hash, expires_at from integrations.push_watches"
                                " where connection_id = %s", (self.id,)).fetchall()
        return {r[0]: r[1:] for r in rows}

    def subscription(self, capability: str = MAIL):
        return self.sandbox.subscriptions.subscriptions[self.watches()[capability][0]]

    async def reconcile(self, now: datetime | None = None) -> dict[str, str]:
        async with open_app_async(self.url, max_size=2) as app:
            outcomes = await reconcile_subscriptions(app.connector.pool, now)
        return {k.split(":", 1)[1]: v for k, v in outcomes.items() if k.startswith(f"{self.id}:")}


@pytest.fixture
def msb(server, in_env, microsoft_sandbox):
    microsoft_sandbox.set_public_url(server.url)
    return microsoft_sandbox


@pytest.fixture
def db(in_env) -> str:
    return in_env["INTEGRATIONS_DATABASE_URL"]


def post(server, items: list[dict]) -> httpx.Response:
    return httpx.post(server.url + PATH, json={"value": items}, timeout=10)


def item(subscription: str, client_state: str | None, **extra) -> dict:
    return {"subscriptionId": subscription, "clientState": client_state, "changeType": "created",
            "resource": "Users/x/Messages/y", "tenantId": "t", "resourceData": {"id": "y"}, **extra}


async def test_the_handshake_echoes_the_token_and_a_new_message_is_pushed_synced_and_staged(msb, server, db):
    answer = httpx.post(server.url + PATH, params={"validationToken": "Validation: a b+c&d"}, timeout=10)
    assert (answer.status_code, answer.text) == (200, "Validation: a b+c&d")
    assert answer.headers["content-type"].startswith("text/plain")

    box = Mailbox(msb, db, capabilities=(MAIL, CALENDAR))
    assert await box.reconcile() == {MAIL: "created", CALENDAR: "created"}
    assert [v.status for v in msb.subscriptions.validations] == [200, 200]  # Graph validated our URL
    mail = box.subscription(MAIL)
    assert (mail.resource, box.subscription(CALENDAR).resource) == ("me/messages", "me/events")
    subscription_id, token_hash, expires = box.watches()[MAIL]
    assert token_hash == hashlib.sha256(mail.client_state.encode()).hexdigest() != mail.client_state
    assert timedelta(hours=60) < expires - datetime.now(timezone.utc) < timedelta(minutes=4230)
    assert jobs(box.url, box.id) == []

    box.add("pushed message")
    delivery = msb.webhooks.delivered[-1]
    assert delivery.status == 202
    assert json.loads(delivery.body)["value"][0]["subscriptionId"] == subscription_id
    assert jobs(box.url, box.id) == [(MAIL_TASK, "todo")]
    await drain(box.url)
    assert box.raw_count() == 1
    assert received(box.url, box.id) == {MAIL: 1}
    assert mail.client_state not in server.log()
    with connect(box.url) as conn:
        [status] = collect_status(conn, box.id)
    shown = {c["capability"]: c for c in status["capabilities"] if c["stream"] is None}  # `status`'s push health
    assert shown[MAIL]["push"] == "receiving" and shown[MAIL]["push_notifications"] == 1
    assert shown[MAIL]["watch_expires_at"] == expires and shown[CALENDAR]["watch_expires_at"] is not None


async def test_wrong_client_states_unknown_subscriptions_and_bursts(msb, server, db):
    box = Mailbox(msb, db)
    await box.reconcile()
    subscription = box.subscription()
    assert post(server, [item(subscription.id, "wrong-" + subscription.client_state)]).status_code == 403
    assert post(server, [item(subscription.id, None)]).status_code == 403
    # one forged item refuses the whole delivery
    assert post(server, [item(subscription.id, subscription.client_state), item(subscription.id, "x")]).status_code == 403
    unknown = str(uuid.uuid4())
    assert post(server, [item(unknown, "anything")]).status_code == 404
    assert post(server, [item(unknown, "anything")]).status_code == 404
    assert server.log().count(unknown) == 1  # logged once
    assert httpx.post(server.url + PATH, content=b"not json", timeout=10).status_code == 400
    assert jobs(box.url, box.id) == [] and received(box.url, box.id) == {}

    msb.webhooks.misbehave(bad_signature=True)  # the sandbox sends a wrong clientState
    box.add("forged")
    assert msb.webhooks.delivered[-1].status == 403
    assert jobs(box.url, box.id) == []

    msb.webhooks.misbehave(duplicates=2)  # Graph's retries, and a burst: one queued sync
    for n in range(3):
        box.add(f"burst {n}")
    assert [d.status for d in msb.webhooks.delivered[-9:]] == [202] * 9
    assert jobs(box.url, box.id) == [(MAIL_TASK, "todo")]
    assert received(box.url, box.id) == {MAIL: 9}


async def test_subscriptions_are_renewed_before_expiry_and_deleted_on_disable(msb, server, db):
    box = Mailbox(msb, db)
    now = datetime.now(timezone.utc)
    assert await box.reconcile(now) == {MAIL: "created"}
    subscription_id, token_hash, expires = box.watches()[MAIL]
    assert await box.reconcile(now + timedelta(hours=1)) == {}  # not due
    msb.subscriptions.subscriptions[subscription_id].expiration -= timedelta(hours=10)
    assert await box.reconcile(now + timedelta(days=1, minutes=1)) == {MAIL: "renewed"}
    renewed_id, renewed_hash, renewed_expires = box.watches()[MAIL]
    assert (renewed_id, renewed_hash) == (subscription_id, token_hash) and renewed_expires > expires
    assert msb.subscriptions.subscriptions[subscription_id].expiration == renewed_expires
    del msb.subscriptions.subscriptions[subscription_id]  # gone at Graph: the renewal creates a new one
    assert await box.reconcile(now + timedelta(days=2, minutes=2)) == {MAIL: "recreated"}
    assert box.watches()[MAIL][0] != subscription_id

    with psycopg.connect(box.url) as conn:
        conn.execute("update integrations.connections set capabilities = '{}' where id = %s", (box.id,))
    assert await box.reconcile() == {MAIL: "deleted"}
    assert box.watches() == {} and msb.subscriptions.subscriptions == {}
    before = len(msb.webhooks.delivered)
    box.add("after delete")
    assert len(msb.webhooks.delivered) == before


async def test_deleting_the_connection_deletes_its_subscriptions_at_graph(msb, server, db):
    box = Mailbox(msb, db, capabilities=(MAIL, CALENDAR))
    other = Mailbox(msb, db)
    await box.reconcile()
    await other.reconcile()
    assert len(msb.subscriptions.subscriptions) == 3
    with connect(box.url) as conn:  # its stored access token has no expiry: deleting refreshes it first
        deletion = delete_and_revoke(conn, keyring_from_settings(get_settings()), get_settings(), box.id)
        conn.commit()
    assert deletion.grant == "not_revocable"
    assert [s.email for s in msb.subscriptions.subscriptions.values()] == [other.email]
    assert box.watches() == {} and len(other.watches()) == 1


async def test_lifecycle_events_reauthorize_resync_and_recreate(msb, server, db):
    box = Mailbox(msb, db)
    await box.reconcile()
    subscription_id = box.watches()[MAIL][0]

    [delivery] = msb.lifecycle(subscription_id, "reauthorizationRequired")
    assert delivery.status == 202
    assert jobs(box.url, box.id) == [(LIFECYCLE_TASK, "todo")]
    await drain(box.url)
    assert msb.log.count(method_id="subscriptions.reauthorize", status=204) == 1
    assert box.watches()[MAIL][0] == subscription_id and received(box.url, box.id) == {}

    [delivery] = msb.lifecycle(subscription_id, "missed")
    assert delivery.status == 202
    assert jobs(box.url, box.id, MAIL_TASK) == [(MAIL_TASK, "todo")]
    await drain(box.url)

    [delivery] = msb.lifecycle(subscription_id, "subscriptionRemoved")
    assert delivery.status == 202 and msb.subscriptions.subscriptions == {}
    assert jobs(box.url, box.id)[-2:] == [(LIFECYCLE_TASK, "todo"), (MAIL_TASK, "todo")]
    await drain(box.url)
    new_id = box.watches()[MAIL][0]
    assert new_id != subscription_id and list(msb.subscriptions.subscriptions) == [new_id]
    assert received(box.url, box.id) == {MAIL: 2}  # missed, removed: each ran the delta sync
    box.add("after recreate")
    assert msb.webhooks.delivered[-1].status == 202
