"""Slack tests: the real Slack sandbox over HTTP, a real database, real workers."""

from __future__ import annotations

import uuid

import pytest

from worker.app import open_app_async
from worker.connections import create_connection, get_connection, load_credentials, store_credentials
from worker.crypto import keyring_from_settings
from worker.db.connect import connect
from worker.providers.slack.auth.oauth import to_stored
from worker.providers.slack.capabilities import CHAT_WRITE, READ_SCOPES
from worker.settings import get_settings

SYNC_QUEUES = ["default"]
SCOPES = sorted(READ_SCOPES | {CHAT_WRITE})


def new_team() -> str:
    return "T" + uuid.uuid4().hex[:9].upper()


class Workspace:
    """One installed Slack workspace of a tenant: its connection row and helpers to run its jobs."""

    def __init__(self, sandbox, url: str, capabilities: dict, scopes: list[str] | None = None,
                 tenant_id: uuid.UUID | None = None, team: str | None = None) -> None:
        self.sandbox, self.url = sandbox, url
        self.team = team or new_team()
        self.tenant_id = tenant_id or uuid.uuid4()
        self.scopes = scopes or SCOPES
        answer = sandbox.issue_bot_token(self.team, self.scopes)
        with connect(url) as conn:
            row = create_connection(conn, tenant_id=self.tenant_id, profile_id=None, provider="slack",
                                    account_id=self.team, capabilities=capabilities)
            stored = to_stored(answer)
            store_credentials(conn, keyring_from_settings(get_settings()), row["id"], stored,
                              granted_scopes=stored["scopes"])
            conn.commit()
        self.id = row["id"]
        self.users: dict[str, dict] = {}

    def user(self, name: str, email: str | None = None) -> str:
        user = self.sandbox.add_user(self.team, {
            "name": name, "real_name": name.title(),
            "profile": {"email": email or f"{name}@{self.team.lower()}.example", "display_name": name,
                        "real_name": name.title()}})
        self.users[name] = user
        return user["id"]

    def channel(self, name: str, **kw) -> str:
        return self.sandbox.add_channel(self.team, name, **kw)["id"]

    def say(self, channel: str, text: str, user: str, ts: str | None = None, thread_ts: str | None = None) -> str:
        message = {"type": "message", "user": user, "text": text}
        if ts:
            message["ts"] = ts
        if thread_ts:
            message["thread_ts"] = thread_ts
        return self.sandbox.import_message(self.team, channel, message)["ts"]

    def row(self) -> dict:
        with connect(self.url) as conn:
            return get_connection(conn, self.id)

    def credentials(self) -> dict:
        return load_credentials(keyring_from_settings(get_settings()), self.row())

    def states(self, capability: str = "sync_channels_live") -> dict[str, dict]:
        with connect(self.url) as conn:
            rows = conn.execute("select * from integrations.sync_state where connection_id = %s and capability = %s",
                                (self.id, capability)).fetchall()
        return {r["stream"]: r for r in rows}

    def heads(self, resource_type: str = "slack.message") -> dict[str, dict]:
        with connect(self.url) as conn:
            rows = conn.execute(
                "select h.external_id, h.is_deleted, r.payload from integrations.raw_heads h"
                " join lateral (select payload from integrations.raw_records r where r.connection_id = h.connection_id"
                " and r.resource_type = h.resource_type and r.external_id = h.external_id order by id desc limit 1)"
                " r on true where h.connection_id = %s and h.resource_type = %s", (self.id, resource_type)).fetchall()
        return {r["external_id"]: r for r in rows}

    def live(self, resource_type: str = "slack.message") -> dict[str, dict]:
        return {k: v["payload"] for k, v in self.heads(resource_type).items() if not v["is_deleted"]}

    def raw_count(self, resource_type: str = "slack.message") -> int:
        with connect(self.url) as conn:
            return conn.execute("select count(*) as n from integrations.raw_records where connection_id = %s"
                                " and resource_type = %s", (self.id, resource_type)).fetchone()["n"]

    async def run_live(self, capability: str = "sync_channels_live") -> None:
        from worker.tasks.dispatch import defer_live

        async with open_app_async(self.url) as app:
            await defer_live(self.id, capability)
            await app.run_worker_async(concurrency=2, wait=False, queues=SYNC_QUEUES)


async def drain(url: str) -> None:
    async with open_app_async(url) as app:
        await app.run_worker_async(concurrency=2, wait=False, queues=SYNC_QUEUES)


@pytest.fixture
def ssb(slack_sandbox_env, settings_env):
    """The session's Slack sandbox, reset, settings pointing at it."""
    get_settings.cache_clear()
    yield slack_sandbox_env
    get_settings.cache_clear()


@pytest.fixture
def workspace(ssb, database_url):
    def make(capabilities=None, scopes=None, tenant_id=None, team=None) -> Workspace:
        capabilities = capabilities or {"sync_channels_live": None, "sync_channels_once": None, "post_message": None}
        return Workspace(ssb, database_url, capabilities, scopes, tenant_id, team)
    return make
