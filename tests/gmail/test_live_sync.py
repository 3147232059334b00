"""sync_inbox_live against the sandbox: full sync, incremental changes, 404 resync, dedup."""

import pytest

pytestmark = pytest.mark.asyncio


async def test_first_run_full_syncs_inbox_and_sent_only(mailbox):
    box = mailbox()
    inbox = [box.add(f"inbox {i}") for i in range(7)]
    sent = [box.add(f"sent {i}", labels=("SENT",)) for i in range(3)]
    box.add("spam", labels=("SPAM",))
    box.add("other label", labels=("CATEGORY_FORUMS",))
    await box.run_live()
    heads = box.heads()
    assert set(heads) == set(inbox + sent)
    payload = heads[inbox[0]]["payload"]
    assert payload["payload"]["headers"] and payload["internalDate"]  # format=full
    state = box.state()
    assert state["status"] == "ok" and state["cursor"]["historyId"] and state["full_syncs"] == 1


async def test_incremental_adds_deletes_and_label_changes(mailbox):
    box = mailbox()
    _keep, gone, relabel = box.add("keep"), box.add("gone"), box.add("relabel")
    await box.run_live()
    before = box.raw_count()
    new = box.add("new one")
    box.sandbox.delete_message(box.email, gone)
    box.sandbox.relabel(box.email, relabel, add=["STARRED"])
    await box.run_live()
    heads = box.heads()
    assert heads[new]["payload"]["id"] == new
    assert heads[gone]["is_deleted"] is True
    assert "STARRED" in heads[relabel]["payload"]["labelIds"]
    assert box.raw_count() == before + 3
    assert box.state()["full_syncs"] == 1  # no resync was needed


async def test_same_payload_fetched_twice_is_one_row(mailbox):
    box = mailbox()
    box.add("a")
    await box.run_live()
    count = box.raw_count()
    with __import__("psycopg").connect(box.url) as conn:  # force a second full sync over unchanged mail
        conn.execute("update integrations.sync_state set cursor = '{}' where connection_id = %s", (box.id,))
    await box.run_live()
    assert box.raw_count() == count


async def test_expired_history_id_triggers_full_resync_without_duplicates(mailbox):
    box = mailbox()
    ids = [box.add(f"m{i}") for i in range(5)]
    await box.run_live()
    count = box.raw_count()
    late = box.add("after expiry")
    box.sandbox.expire_history_before(box.email, box.sandbox.history_id(box.email) + 1)
    await box.run_live()
    state = box.state()
    assert state["full_syncs"] == 2 and "404" in state["last_full_sync_reason"]
    assert set(box.heads()) == set(ids + [late])
    assert box.raw_count() == count + 1


async def test_messages_deleted_while_history_was_lost_are_tombstoned_by_the_resync(mailbox):
    box = mailbox()
    ids = [box.add(f"m{i}") for i in range(4)]
    await box.run_live()
    box.sandbox.delete_message(box.email, ids[0])
    box.sandbox.relabel(box.email, ids[1], remove=["INBOX"], add=["CATEGORY_FORUMS"])
    box.sandbox.expire_history_before(box.email, box.sandbox.history_id(box.email) + 1)
    await box.run_live()
    heads = box.heads()
    assert box.state()["full_syncs"] == 2
    assert heads[ids[0]]["is_deleted"] is True
    assert "INBOX" not in heads[ids[1]]["payload"]["labelIds"]
    assert not heads[ids[2]]["is_deleted"]
