"""What the toy tests share: a registered toy provider with one connection, and a worker's turn."""

from __future__ import annotations

import uuid

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.toy_provider.provider import CAPABILITY, TOY
from tests.toy_provider.world import ACCOUNTS, ToyAccount
from worker.app import open_app_async
from worker.connections import create_connection
from worker.registry import register, unregister
from worker.tasks.dispatch import schedule_due_live_syncs


@pytest.fixture
def toy(make_database, settings_env):
    """(database url, the toy connection's id, its account at the toy provider)."""
    register(TOY)
    url = make_database.create(prefix="toy")
    account = f"acct-{uuid.uuid4().hex[:6]}"
    ACCOUNTS[account] = ToyAccount()
    with psycopg.connect(url, row_factory=dict_row) as conn:
        row = create_connection(conn, tenant_id=uuid.uuid4(), profile_id=None, provider="toy", account_id=account,
                                capabilities={CAPABILITY: None})
        conn.commit()
    yield url, row["id"], ACCOUNTS[account]
    unregister("toy")
    ACCOUNTS.pop(account)


async def run_due(url: str) -> int:
    """What a worker does: the scheduler defers every due live capability, the jobs run."""
    async with open_app_async(url) as app:
        queued = await schedule_due_live_syncs()
        await app.run_worker_async(concurrency=1, wait=False, queues=["default"])
    return queued


def make_due(url: str, connection_id) -> None:
    with psycopg.connect(url) as conn:
        conn.execute("update integrations.sync_state set next_run_at = now() where connection_id = %s",
                     (connection_id,))
