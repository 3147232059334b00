"""A provider added as one folder and one registry entry runs through the generic core unchanged:
dispatch and the scheduler find its task, the live loop drives its stream (full, incremental, an
expired token resynced and settled), `status` shows it and reconcile compares it."""

from __future__ import annotations

import psycopg
import pytest
from psycopg.rows import dict_row

from tests.toy_provider.harness import make_due, run_due
from tests.toy_provider.provider import CAPABILITY, RESOURCE
from worker.api import reconcile
from worker.status import collect_status

pytestmark = pytest.mark.asyncio


def heads(url: str, connection_id) -> dict[str, bool]:
    with psycopg.connect(url) as conn:
        return dict(conn.execute("select external_id, is_deleted from integrations.raw_heads"
                                 " where connection_id = %s and resource_type = %s", (connection_id, RESOURCE)))


def state(url: str, connection_id) -> dict:
    with psycopg.connect(url, row_factory=dict_row) as conn:
        return conn.execute("select * from integrations.sync_state where connection_id = %s and capability = %s"
                            " and stream = ''", (connection_id, CAPABILITY)).fetchone()


async def test_a_toy_provider_syncs_shows_status_and_reconciles_through_the_generic_core(toy):
    url, connection_id, account = toy
    for name in "abcde":
        account.put(name, title=f"thing {name}")

    assert await run_due(url) == 1  # the scheduler found the toy's live capability in the registry
    assert heads(url, connection_id) == dict.fromkeys("abcde", False)
    first = state(url, connection_id)
    assert first["status"] == "ok" and first["cursor"] == {"sync_token": "5"} and first["full_syncs"] == 1

    account.put("b", title="renamed")
    account.delete("c")
    make_due(url, connection_id)
    assert await run_due(url) == 1
    assert heads(url, connection_id) == {"a": False, "b": False, "c": True, "d": False, "e": False}
    assert state(url, connection_id)["cursor"] == {"sync_token": "7"}

    account.delete("d")  # lost with the token: only the settle step of the resync can see it
    account.expire_tokens()
    make_due(url, connection_id)
    await run_due(url)
    resynced = state(url, connection_id)
    assert resynced["full_syncs"] == 2 and resynced["last_full_sync_reason"] == "toy sync token expired"
    assert resynced["cursor"] == {"sync_token": "8"}  # settled: the flag is gone
    assert heads(url, connection_id) == {"a": False, "b": False, "c": True, "d": True, "e": False}

    with psycopg.connect(url, row_factory=dict_row) as conn:
        [entry] = collect_status(conn, connection_id)
    assert entry["provider"] == "toy"
    [capability] = entry["capabilities"]
    assert capability["capability"] == CAPABILITY and capability["status"] == "ok"
    assert capability["staged_records"] >= 8 and capability["remedy"] is None

    account.put("f", title="missed")  # a change the sync has not seen yet: reconcile finds it
    [result] = await reconcile(url, connection_id, repair=False)
    assert (result["capability"], result["provider"], result["staged"]) == (CAPABILITY, 4, 3)
    assert result["missing"] == ["f"] and result["extra"] == []
    [repaired] = await reconcile(url, connection_id, repair=True)
    assert repaired["repaired"] == 1 and repaired["missing"] == []
    assert heads(url, connection_id)["f"] is False


async def test_a_failing_toy_run_is_recorded_on_its_own_row_with_backoff(toy):
    url, connection_id, account = toy
    account.put("a", title="x")
    account.list_page = None  # the provider's API is broken: calling it raises TypeError
    await run_due(url)
    failed = state(url, connection_id)
    assert failed["status"] == "failing" and failed["consecutive_failures"] == 1
    assert "TypeError" in failed["last_error"]
