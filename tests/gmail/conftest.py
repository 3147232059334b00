"""Gmail tests: the real sandbox over HTTP, a real database, connections with real OAuth tokens."""

from __future__ import annotations

import uuid
from email.message import EmailMessage

import pytest

from tests.fixtures.accounts import connect_account
from worker.app import open_app_async
from worker.connections import get_connection
from worker.db.connect import connect
from worker.providers.google.capabilities import GMAIL_COMPOSE, GMAIL_READONLY, GMAIL_SEND
from worker.settings import get_settings

# Gmail tests run the sync jobs; normalization (dbt) has its own queue and tests
SYNC_QUEUES = ["default"]


@pytest.fixture(scope="session")
def google_sandbox(sandbox_server):
    return sandbox_server


@pytest.fixture
def gsb(sandbox_env, settings_env, monkeypatch):
    """The session's sandbox, reset, quotas off unless a test sets them, settings pointing at it."""
    sandbox_env.set_quota(units_per_window=None, calendar_requests_per_window=None)
    monkeypatch.setenv("INTEGRATIONS_GMAIL_QUOTA_UNITS_PER_MINUTE", "0")
    monkeypatch.setenv("INTEGRATIONS_CALENDAR_QUOTA_UNITS_PER_MINUTE", "0")
    get_settings.cache_clear()
    yield sandbox_env
    get_settings.cache_clear()


def make_raw(sender: str, to: str, subject: str, body: str = "hello", message_id: str | None = None) -> bytes:
    msg = EmailMessage()
    msg["From"], msg["To"], msg["Subject"] = sender, to, subject
    msg["Message-ID"] = message_id or f"<{uuid.uuid4().hex}@test.example>"
    msg.set_content(body)
    return msg.as_bytes()


class Mailbox:
    """One connected Gmail account: its connection row and helpers to run its jobs."""

    def __init__(self, sandbox, url: str, email: str, capabilities: dict, scopes: list[str]):
        self.sandbox, self.url, self.email = sandbox, url, email
        self.id, self.tenant_id = connect_account(sandbox, url, email, capabilities, scopes)

    def add(self, subject: str, labels=("INBOX",), **kw) -> str:
        return self.sandbox.import_message(self.email, make_raw("bob@ext.example", self.email, subject, **kw),
                                           list(labels))["id"]

    def row(self) -> dict:
        with connect(self.url) as conn:
            return get_connection(conn, self.id)

    def state(self, capability="sync_inbox_live", stream="") -> dict | None:
        with connect(self.url) as conn:
            return conn.execute("select * from integrations.sync_state where connection_id = %s and capability = %s"
                                " and stream = %s", (self.id, capability, stream)).fetchone()

    def heads(self) -> dict[str, dict]:
        with connect(self.url) as conn:
            rows = conn.execute("select h.external_id, h.is_deleted, r.payload from integrations.raw_heads h"
                                " join lateral (select payload from integrations.raw_records r where"
                                " r.connection_id = h.connection_id and r.external_id = h.external_id"
                                " order by id desc limit 1) r on true where h.connection_id = %s", (self.id,)).fetchall()
        return {r["external_id"]: r for r in rows}

    def raw_count(self) -> int:
        with connect(self.url) as conn:
            return conn.execute("select count(*) as n from integrations.raw_records where connection_id = %s",
                                (self.id,)).fetchone()["n"]

    async def run_live(self) -> None:
        from worker.tasks.dispatch import defer_live

        async with open_app_async(self.url) as app:
            await defer_live(self.id, "sync_inbox_live")
            await app.run_worker_async(concurrency=2, wait=False, queues=SYNC_QUEUES)


@pytest.fixture
def mailbox(gsb, database_url):
    def make(email="ana@tenant.example", capabilities=None, scopes=None) -> Mailbox:
        capabilities = capabilities or {"sync_inbox_live": None, "sync_inbox_once": None, "send_email": {"drafts": True}}
        return Mailbox(gsb, database_url, email, capabilities, scopes or [GMAIL_READONLY, GMAIL_SEND, GMAIL_COMPOSE])
    return make
