"""Deleting a Twilio connection takes its texts and calls out of product.text_messages and
product.calls (the post-hooks delete a key whose only copy became a removal marker), while another
connection's rows -- the same tenant's other account -- stay as they were. End to end: both
accounts synced from the Twilio sandbox, normalized, one deleted (`delete_and_revoke`), normalized
again."""

from __future__ import annotations

import asyncio

import pytest

from tests.normalize.helpers import dbt, query
from tests.twilio.conftest import TwilioAccount
from worker.connections import delete_and_revoke
from worker.crypto import keyring_from_settings
from worker.db.connect import connect
from worker.settings import get_settings

pytestmark = pytest.mark.asyncio


@pytest.fixture
def world(twilio_sandbox_env, settings_env, make_database, monkeypatch, tmp_path):
    """The Twilio sandbox, reset, and settings pointing at it and at a database of this test's own
    (dbt builds everything a database holds)."""
    url = make_database.create(prefix="nz_twdel")
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    get_settings.cache_clear()
    yield {"sandbox": twilio_sandbox_env, "url": url, "runs": tmp_path / "dbt-runs"}
    get_settings.cache_clear()


async def normalize(world) -> None:
    """product.text_messages and product.calls with everything they are built from (the whole build
    a deletion queues holds these; the rest of the project is not what this test is about). dbt
    runs its own event loop: in a thread."""
    await asyncio.to_thread(dbt, world["url"], world["runs"], select=["+text_messages", "+calls"],
                            command="run")


def rows(url: str, table: str, key: str) -> dict[str, dict]:
    """connection id -> {key: row} of a product table."""
    found: dict[str, dict] = {}
    for row in query(url, f"select * from {table}"):
        found.setdefault(str(row["connection_id"]), {})[row[key]] = row
    return found


async def test_a_deleted_twilio_connection_takes_its_texts_and_calls_and_leaves_the_others(world):
    tsb, url = world["sandbox"], world["url"]
    gone = TwilioAccount(tsb, url)
    kept = TwilioAccount(tsb, url, tenant_id=gone.tenant_id)  # the same tenant's other account
    for account, who in ((gone, "gone"), (kept, "kept")):
        account.text(f"{who}: see you at 10")
        account.text(f"{who}: on my way", inbound=True)
        account.call()
        await account.run_live("sync_sms_live")
        await account.run_live("sync_calls_live")
    await normalize(world)
    texts, calls = rows(url, "product.text_messages", "text_message_id"), rows(url, "product.calls", "call_id")
    assert {c: len(t) for c, t in texts.items()} == {str(gone.id): 2, str(kept.id): 2}
    assert {c: len(t) for c, t in calls.items()} == {str(gone.id): 1, str(kept.id): 1}

    with connect(url) as conn:
        outcome = delete_and_revoke(conn, keyring_from_settings(get_settings()), get_settings(), gone.id)
        conn.commit()
    assert outcome.connection_id == gone.id
    await normalize(world)

    assert rows(url, "product.text_messages", "text_message_id") == {str(kept.id): texts[str(kept.id)]}
    assert rows(url, "product.calls", "call_id") == {str(kept.id): calls[str(kept.id)]}
