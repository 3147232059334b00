"""QuickBooks tests: the real QuickBooks Online sandbox over HTTP, a real database, real workers."""

from __future__ import annotations

import random
import uuid

import pytest

from worker.app import open_app_async
from worker.connections import create_connection, get_connection, load_credentials, store_credentials
from worker.crypto import keyring_from_settings
from worker.db.connect import connect
from worker.providers.quickbooks.auth.oauth import to_stored
from worker.providers.quickbooks.capabilities import SCOPE
from worker.settings import get_settings

SYNC_QUEUES = ["default"]
LIVE = "sync_accounting_live"


def new_realm() -> str:
    return str(random.SystemRandom().randrange(10**15, 10**16))


class Company:
    """One connected QuickBooks company of a tenant: its connection row and helpers to run its jobs."""

    def __init__(self, sandbox, url: str, capabilities: dict | None = None, tenant_id: uuid.UUID | None = None,
                 realm: str | None = None) -> None:
        self.sandbox, self.url = sandbox, url
        self.realm = sandbox.add_realm(realm or new_realm())
        self.tenant_id = tenant_id or uuid.uuid4()
        answer = sandbox.issue_tokens(self.realm)
        with connect(url) as conn:
            row = create_connection(conn, tenant_id=self.tenant_id, profile_id=None, provider="quickbooks",
                                    account_id=self.realm, capabilities=capabilities or {LIVE: None})
            store_credentials(conn, keyring_from_settings(get_settings()), row["id"],
                              {**to_stored(answer), "realm_id": self.realm}, granted_scopes=[SCOPE])
            conn.commit()
        self.id = row["id"]

    def customer(self, name: str, **fields) -> dict:
        return self.sandbox.import_entity(self.realm, "customer", {
            "DisplayName": name, "PrimaryEmailAddr": {"Address": f"{name.lower().replace(' ', '.')}@example.com"},
            **fields})

    def invoice(self, customer: dict, amount: float = 100.0, **fields) -> dict:
        return self.sandbox.import_entity(self.realm, "invoice", {
            "CustomerRef": {"value": customer["Id"], "name": customer["DisplayName"]},
            "Line": [{"Amount": amount, "DetailType": "SalesItemLineDetail", "Description": "Hours"}], **fields})

    def row(self) -> dict:
        with connect(self.url) as conn:
            return get_connection(conn, self.id)

    def credentials(self) -> dict:
        return load_credentials(keyring_from_settings(get_settings()), self.row())

    def states(self, capability: str = LIVE) -> dict[str, dict]:
        with connect(self.url) as conn:
            rows = conn.execute("select * from integrations.sync_state where connection_id = %s and capability = %s",
                                (self.id, capability)).fetchall()
        return {r["stream"]: r for r in rows}

    def heads(self, entity: str = "customer") -> dict[str, dict]:
        with connect(self.url) as conn:
            rows = conn.execute(
                "select h.external_id, h.is_deleted, r.payload from integrations.raw_heads h"
                " join lateral (select payload from integrations.raw_records r where r.connection_id = h.connection_id"
                " and r.resource_type = h.resource_type and r.external_id = h.external_id order by id desc limit 1)"
                " r on true where h.connection_id = %s and h.resource_type = %s",
                (self.id, f"quickbooks.{entity}")).fetchall()
        return {r["external_id"]: r for r in rows}

    def live(self, entity: str = "customer") -> dict[str, dict]:
        return {k: v["payload"] for k, v in self.heads(entity).items() if not v["is_deleted"]}

    def deleted(self, entity: str = "customer") -> set[str]:
        return {k for k, v in self.heads(entity).items() if v["is_deleted"]}

    def raw_count(self, entity: str = "customer") -> int:
        with connect(self.url) as conn:
            return conn.execute("select count(*) as n from integrations.raw_records where connection_id = %s"
                                " and resource_type = %s", (self.id, f"quickbooks.{entity}")).fetchone()["n"]

    def at_quickbooks(self, entity: str = "customer") -> dict[str, dict]:
        return {e["Id"]: e for e in self.sandbox.entities(self.realm, entity)}

    def queries(self) -> list[str]:
        """The query texts this company's syncs sent, in order."""
        return [(r["query"].get("query") or [""])[0]
                for r in self.sandbox.requests(provider="quickbooks", method_id="query", user=self.realm)]

    async def run_live(self, capability: str = LIVE) -> None:
        from worker.tasks.dispatch import defer_live

        async with open_app_async(self.url) as app:
            await defer_live(self.id, capability)
            await app.run_worker_async(concurrency=2, wait=False, queues=SYNC_QUEUES)


async def drain(url: str) -> None:
    async with open_app_async(url) as app:
        await app.run_worker_async(concurrency=2, wait=False, queues=SYNC_QUEUES)


@pytest.fixture
def qsb(quickbooks_sandbox_env, settings_env):
    """The session's QuickBooks sandbox, reset, settings pointing at it."""
    get_settings.cache_clear()
    yield quickbooks_sandbox_env
    get_settings.cache_clear()


@pytest.fixture
def company(qsb, database_url):
    def make(capabilities=None, tenant_id=None, realm=None) -> Company:
        return Company(qsb, database_url, capabilities, tenant_id, realm)
    return make


@pytest.fixture
async def app_pool(database_url):
    async with open_app_async(database_url) as app:
        yield app.connector.pool
