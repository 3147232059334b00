"""Microsoft tests: the real Microsoft sandbox over HTTPS, a real database, real msal refreshes."""

from __future__ import annotations

import uuid

import pytest

from worker.app import open_app_async
from worker.connections import create_connection, get_connection, store_credentials
from worker.crypto import keyring_from_settings
from worker.db.connect import connect
from worker.providers.microsoft.capabilities import MAIL_READ, MAIL_READWRITE, MAIL_SEND, OFFLINE_ACCESS
from worker.settings import get_settings

SYNC_QUEUES = ["default"]
SCOPES = [MAIL_READ, MAIL_READWRITE, MAIL_SEND, OFFLINE_ACCESS]


def graph_message(subject: str, sender: str = "bob@ext.example", to: str = "ana@tenant.example",
                  body: str = "hello", message_id: str | None = None, html: bool = False,
                  in_reply_to: str | None = None) -> dict:
    """A received message as Graph returns it, with the transport headers a received message has."""
    message_id = message_id or f"<{uuid.uuid4().hex}@ext.example>"
    headers = [{"name": "Message-ID", "value": message_id}, {"name": "From", "value": f"Bob <{sender}>"},
               {"name": "To", "value": to}, {"name": "Subject", "value": subject}]
    if in_reply_to:
        headers += [{"name": "In-Reply-To", "value": in_reply_to}, {"name": "References", "value": in_reply_to}]
    return {"subject": subject, "from": {"emailAddress": {"name": "Bob", "address": sender}},
            "toRecipients": [{"emailAddress": {"address": to}}],
            "body": {"contentType": "html" if html else "text", "content": body},
            "internetMessageId": message_id, "internetMessageHeaders": headers}


class Outlook:
    """One connected Outlook mailbox: its connection row and helpers to run its jobs."""

    def __init__(self, sandbox, url: str, email: str, capabilities: dict, scopes: list[str],
                 tenant_id: uuid.UUID | None = None) -> None:
        self.sandbox, self.url, self.email = sandbox, url, email
        self.tenant_id = tenant_id or uuid.uuid4()
        tokens = sandbox.issue_tokens(email, scopes)
        with connect(url) as conn:
            row = create_connection(conn, tenant_id=self.tenant_id, profile_id=uuid.uuid4(), provider="microsoft",
                                    account_id=email, capabilities=capabilities)
            store_credentials(conn, keyring_from_settings(get_settings()), row["id"],
                              {"token": tokens["access_token"], "refresh_token": tokens["refresh_token"],
                               "expiry": None, "scopes": scopes}, granted_scopes=scopes)
            conn.commit()
        self.id = row["id"]

    def add(self, subject: str, folder: str = "inbox", **kw) -> str:
        return self.sandbox.import_message(self.email, graph_message(subject, to=self.email, **kw), folder)["id"]

    def row(self) -> dict:
        with connect(self.url) as conn:
            return get_connection(conn, self.id)

    def credentials(self) -> dict:
        from worker.connections import load_credentials
        return load_credentials(keyring_from_settings(get_settings()), self.row())

    def states(self, capability: str = "sync_inbox_live") -> dict[str, dict]:
        with connect(self.url) as conn:
            rows = conn.execute("select * from integrations.sync_state where connection_id = %s and capability = %s",
                                (self.id, capability)).fetchall()
        return {r["stream"]: r for r in rows}

    def heads(self, resource_type: str = "outlook.message") -> dict[str, dict]:
        with connect(self.url) as conn:
            rows = conn.execute(
                "select h.external_id, h.is_deleted, r.payload from integrations.raw_heads h"
                " join lateral (select payload from integrations.raw_records r where r.connection_id = h.connection_id"
                " and r.resource_type = h.resource_type and r.external_id = h.external_id order by id desc limit 1)"
                " r on true where h.connection_id = %s and h.resource_type = %s", (self.id, resource_type)).fetchall()
        return {r["external_id"]: r for r in rows}

    def raw_count(self, resource_type: str = "outlook.message") -> int:
        with connect(self.url) as conn:
            return conn.execute("select count(*) as n from integrations.raw_records where connection_id = %s"
                                " and resource_type = %s", (self.id, resource_type)).fetchone()["n"]

    async def run_live(self, capability: str = "sync_inbox_live") -> None:
        from worker.tasks.dispatch import defer_live

        async with open_app_async(self.url) as app:
            await defer_live(self.id, capability)
            await app.run_worker_async(concurrency=2, wait=False, queues=SYNC_QUEUES)


async def drain(url: str) -> None:
    async with open_app_async(url) as app:
        await app.run_worker_async(concurrency=2, wait=False, queues=SYNC_QUEUES)


@pytest.fixture
def msb(microsoft_sandbox_env, settings_env):
    """The session's Microsoft sandbox, reset, quotas as constructed, settings pointing at it."""
    get_settings.cache_clear()
    yield microsoft_sandbox_env
    get_settings.cache_clear()


@pytest.fixture
def outlook(msb, database_url):
    def make(email="ana@tenant.example", capabilities=None, scopes=None, tenant_id=None) -> Outlook:
        capabilities = capabilities or {"sync_inbox_live": None, "sync_inbox_once": None, "send_email": None}
        return Outlook(msb, database_url, email, capabilities, scopes or SCOPES, tenant_id)
    return make
