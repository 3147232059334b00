"""Twilio tests: the real Twilio sandbox over HTTP, a real database, jobs run by real workers."""

from __future__ import annotations

import uuid
from datetime import datetime, timedelta, timezone
from email.utils import format_datetime

import pytest

from worker.app import open_app_async
from worker.connections import create_connection, get_connection, store_credentials
from worker.crypto import keyring_from_settings
from worker.db.connect import connect
from worker.providers.twilio.capabilities import API_KEY
from worker.settings import get_settings

SYNC_QUEUES = ["default"]
ALL = {"sync_sms_live": None, "sync_calls_live": None, "send_sms": {"from_number": "+14155550100"}}
OURS = "+14155550100"


def rfc2822(moment: datetime) -> str:
    return format_datetime(moment.astimezone(timezone.utc).replace(microsecond=0), usegmt=False)


def ago(sandbox, **delta) -> datetime:
    """A moment on the sandbox's clock, `delta` before its now."""
    return sandbox.world.clock.now() - timedelta(**delta)


class TwilioAccount:
    """One connected Twilio account: its connection row and helpers to add data and run its jobs."""

    def __init__(self, sandbox, url: str, capabilities: dict | None = None, tenant_id: uuid.UUID | None = None,
                 account_sid: str | None = None) -> None:
        self.sandbox, self.url = sandbox, url
        self.tenant_id = tenant_id or uuid.uuid4()
        self.sid = sandbox.add_account(account_sid)
        sandbox.add_number(self.sid, OURS)
        self.key = sandbox.create_api_key(self.sid)
        with connect(url) as conn:
            row = create_connection(conn, tenant_id=self.tenant_id, profile_id=None, provider="twilio",
                                    account_id=self.sid, capabilities=capabilities or ALL)
            store_credentials(conn, keyring_from_settings(get_settings()), row["id"],
                              {"account_sid": self.sid, "api_key": self.key["sid"], "api_secret": self.key["secret"]},
                              granted_scopes=[API_KEY])
            conn.commit()
        self.id = row["id"]

    def text(self, body: str = "hello", *, sent: datetime | None = None, status: str = "delivered",
             inbound: bool = False, other: str = "+14155550123", **fields) -> dict:
        """A message in the account, sent at `sent` (now by the sandbox clock when None)."""
        sent = sent or self.sandbox.world.clock.now()
        message = {"body": body, "status": status, "direction": "inbound" if inbound else "outbound-api",
                   "from": other if inbound else OURS, "to": OURS if inbound else other,
                   "date_created": rfc2822(sent), "date_sent": rfc2822(sent), "date_updated": rfc2822(sent), **fields}
        return self.sandbox.import_message(self.sid, message)

    def call(self, *, start: datetime | None = None, status: str = "completed", seconds: int = 60, **fields) -> dict:
        start = start or self.sandbox.world.clock.now()
        call = {"from": "+14155550123", "to": OURS, "direction": "inbound", "status": status,
                "date_created": rfc2822(start), "start_time": rfc2822(start),
                "end_time": rfc2822(start + timedelta(seconds=seconds)) if status == "completed" else None,
                **fields}
        return self.sandbox.import_call(self.sid, call)

    def row(self) -> dict:
        with connect(self.url) as conn:
            return get_connection(conn, self.id)

    def state(self, capability: str = "sync_sms_live") -> dict | None:
        with connect(self.url) as conn:
            return conn.execute("select * from integrations.sync_state where connection_id = %s and capability = %s"
                                " and stream = ''", (self.id, capability)).fetchone()

    def heads(self, resource_type: str = "twilio.message") -> dict[str, dict]:
        """external id -> {is_deleted, payload} of the newest staged version."""
        with connect(self.url) as conn:
            rows = conn.execute(
                "select h.external_id, h.is_deleted, r.payload from integrations.raw_heads h"
                " join lateral (select payload from integrations.raw_records r where r.connection_id = h.connection_id"
                " and r.resource_type = h.resource_type and r.external_id = h.external_id order by id desc limit 1)"
                " r on true where h.connection_id = %s and h.resource_type = %s", (self.id, resource_type)).fetchall()
        return {r["external_id"]: r for r in rows}

    def versions(self, sid: str, resource_type: str = "twilio.message") -> list[dict]:
        with connect(self.url) as conn:
            return conn.execute("select payload, is_deleted, capability from integrations.raw_records where"
                                " connection_id = %s and resource_type = %s and external_id = %s order by id",
                                (self.id, resource_type, sid)).fetchall()

    async def run_live(self, capability: str = "sync_sms_live") -> None:
        from worker.tasks.dispatch import defer_live

        async with open_app_async(self.url) as app:
            await defer_live(self.id, capability)
            await app.run_worker_async(concurrency=2, wait=False, queues=SYNC_QUEUES)

    async def reconcile(self, capability: str = "sync_sms_live", repair: bool = False) -> dict:
        from worker.api import reconcile

        [result] = await reconcile(self.url, self.id, capability, repair)
        return result


async def drain(url: str) -> None:
    async with open_app_async(url) as app:
        await app.run_worker_async(concurrency=2, wait=False, queues=SYNC_QUEUES)


@pytest.fixture
def tsb(twilio_sandbox_env, settings_env, monkeypatch):
    """The session's Twilio sandbox, reset, settings pointing at it; no retry waits longer than needed."""
    get_settings.cache_clear()
    yield twilio_sandbox_env
    get_settings.cache_clear()


@pytest.fixture
def twilio(tsb, database_url):
    def make(capabilities=None, tenant_id=None, account_sid=None) -> TwilioAccount:
        return TwilioAccount(tsb, database_url, capabilities, tenant_id, account_sid)
    return make
