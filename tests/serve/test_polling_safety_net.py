"""Polling goes on beside push: while pushes arrive a live capability is polled only every
INTEGRATIONS_PUSH_POLL_INTERVAL_SECONDS (the safety net for a lost notification); when they stop
arriving it is polled at the normal interval again, and `status` says push stopped."""

from __future__ import annotations

import uuid

import pytest

from worker.app import open_app_async
from worker.connections import create_connection, store_credentials
from worker.crypto import keyring_from_settings
from worker.db.connect import connect
from worker.settings import get_settings
from worker.status import collect_status
from worker.tasks.dispatch import schedule_due_live_syncs

pytestmark = pytest.mark.asyncio
CAPABILITY = "sync_channels_live"


@pytest.fixture(scope="module")
def database_url(make_database) -> str:
    """A database of its own: the scheduler queues every due capability it finds."""
    return make_database.create()


@pytest.fixture
def connection(settings_env, database_url):
    with connect(database_url) as conn:
        row = create_connection(conn, tenant_id=uuid.uuid4(), profile_id=None, provider="slack",
                                account_id="T" + uuid.uuid4().hex[:9].upper(), capabilities={CAPABILITY: None})
        store_credentials(conn, keyring_from_settings(get_settings()), row["id"],
                          {"access_token": "xoxb-unused", "scopes": []}, granted_scopes=[])
        # its last run succeeded 5 minutes ago and the normal interval has passed
        conn.execute("insert into integrations.sync_state (connection_id, capability, stream, status, last_success_at,"
                     " next_run_at) values (%s, %s, '', 'ok', now() - interval '5 minutes', now() - interval '4 minutes')"
                     " on conflict (connection_id, capability, stream) do update set status = 'ok',"
                     " last_success_at = excluded.last_success_at, next_run_at = excluded.next_run_at",
                     (row["id"], CAPABILITY))
        conn.commit()
    return row["id"]


def push_received(url: str, connection_id, minutes_ago: int) -> None:
    with connect(url) as conn:
        conn.execute("insert into integrations.push_received (connection_id, capability, last_received_at)"
                     " values (%s, %s, now() - make_interval(mins => %s)) on conflict (connection_id, capability)"
                     " do update set last_received_at = excluded.last_received_at", (connection_id, CAPABILITY, minutes_ago))
        conn.commit()


async def scheduled(url: str, connection_id) -> bool:
    """Whether the scheduler queues the capability now (its job is then removed again)."""
    async with open_app_async(url):
        await schedule_due_live_syncs()
    with connect(url) as conn:
        removed = conn.execute("delete from procrastinate_jobs where args ->> 'connection_id' = %s and status = 'todo'"
                               " returning id", (str(connection_id),)).fetchall()
        conn.commit()
    return bool(removed)


async def test_while_pushes_arrive_polling_waits_for_the_longer_interval(database_url, connection):
    push_received(database_url, connection, minutes_ago=1)
    assert not await scheduled(database_url, connection)  # 5 minutes since the last poll < 15
    with connect(database_url) as conn:
        [entry] = collect_status(conn, connection)
    assert entry["capabilities"][0]["push"] == "receiving"
    with connect(database_url) as conn:  # 15 minutes since the last poll: the safety net polls
        conn.execute("update integrations.sync_state set last_success_at = now() - interval '16 minutes'"
                     " where connection_id = %s", (connection,))
        conn.commit()
    assert await scheduled(database_url, connection)


async def test_when_pushes_stop_arriving_polling_resumes_its_normal_interval(database_url, connection):
    assert await scheduled(database_url, connection)  # never pushed: the normal interval
    push_received(database_url, connection, minutes_ago=16)
    assert await scheduled(database_url, connection)
    with connect(database_url) as conn:
        [entry] = collect_status(conn, connection)
    assert entry["capabilities"][0]["push"] == "stopped"
