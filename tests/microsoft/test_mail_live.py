"""sync_inbox_live for Outlook over real HTTPS: per-folder delta, moves, deletions, expiry, resume."""

import pytest

from tests.microsoft.conftest import drain
from worker.db.connect import connect

pytestmark = pytest.mark.asyncio


def folder_names(box) -> set[str]:
    return {h["payload"]["displayName"] for h in box.heads("outlook.mail_folder").values()}


async def test_first_sync_stages_every_message_whole_with_its_headers_and_folders(outlook):
    box = outlook()
    inbox = [box.add(f"Hello {i}") for i in range(3)]
    sent = box.add("Our answer", folder="sentitems", sender=box.email)
    await box.run_live()

    heads = box.heads()
    assert set(heads) == set(inbox) | {sent} and not any(h["is_deleted"] for h in heads.values())
    payload = heads[inbox[0]]["payload"]
    assert payload["subject"] == "Hello 0" and payload["internetMessageId"].startswith("<")
    names = {h["name"].lower() for h in payload["internetMessageHeaders"]}
    assert "message-id" in names  # selected: Graph returns headers only when asked
    assert {"Inbox", "Sent Items"} <= folder_names(box)
    states = box.states()
    assert {"inbox", "sentitems"} <= set(states)
    for stream in ("inbox", "sentitems"):
        assert states[stream]["status"] == "ok" and states[stream]["cursor"].get("deltaLink")
        assert "full" not in states[stream]["cursor"]


async def test_new_mail_moves_and_deletions_follow_the_delta(outlook):
    box = outlook()
    moved, deleted, kept = box.add("Moved"), box.add("Deleted"), box.add("Kept")
    await box.run_live()
    before = box.raw_count()
    archive = box.sandbox.move_message(box.email, moved, "archive")
    box.sandbox.delete_message(box.email, deleted)
    new = box.add("New")
    await box.run_live()

    heads = box.heads()
    assert heads[new]["payload"]["subject"] == "New" and not heads[new]["is_deleted"]
    # a move keeps the immutable id: the message is staged where it is now, never tombstoned
    assert not heads[moved]["is_deleted"]
    assert heads[moved]["payload"]["parentFolderId"] == archive["parentFolderId"]
    assert heads[deleted]["is_deleted"]
    assert not heads[kept]["is_deleted"]
    assert box.raw_count() == before + 3  # the new message, the move, the tombstone: nothing restaged
    assert "Archive" in folder_names(box)


async def test_an_expired_delta_token_resyncs_the_folder_and_tombstones_what_vanished(outlook):
    box = outlook(capabilities={"sync_inbox_live": {"folders": ["inbox"]}})
    gone, stays = box.add("Gone while expired"), box.add("Stays")
    await box.run_live()
    box.sandbox.expire_delta_tokens(box.email)
    box.sandbox.delete_message(box.email, gone)
    later = box.add("Later")
    await box.run_live()

    heads = box.heads()
    assert heads[gone]["is_deleted"] and not heads[stays]["is_deleted"] and not heads[later]["is_deleted"]
    state = box.states()["inbox"]
    assert state["status"] == "ok" and state["cursor"].get("deltaLink") and not state["cursor"].get("settle")
    await box.run_live()  # and the new delta token works
    assert box.states()["inbox"]["cursor"].get("deltaLink")


async def test_a_failure_mid_full_sync_resumes_at_the_stored_next_link(outlook, monkeypatch):
    monkeypatch.setenv("INTEGRATIONS_MICROSOFT_PAGE_SIZE", "2")
    box = outlook(capabilities={"sync_inbox_live": {"folders": ["inbox"]}})
    ids = [box.add(f"M{i}") for i in range(5)]
    # the third delta page fails for good in this run (every retry), the first two are stored
    box.sandbox.add_fault(r"/messages/delta", kind="status", status=400, skip=2, count=1)
    await box.run_live()
    state = box.states()["inbox"]
    assert state["status"] == "failing" and "400" in state["last_error"]
    assert state["cursor"]["full"]["pageToken"]  # the nextLink is the checkpoint
    staged_first = set(box.heads())
    assert len(staged_first) == 4

    box.sandbox.clear_requests()
    with connect(box.url) as conn:  # due now instead of after its backoff
        conn.execute("update integrations.sync_state set next_run_at = now() where connection_id = %s", (box.id,))
        conn.commit()
    await box.run_live()
    assert set(box.heads()) == set(ids)
    assert box.states()["inbox"]["status"] == "ok"
    # resumed at the stored nextLink: the folder's delta was not enumerated from its start again
    calls = box.sandbox.requests(path=r"/messages/delta")
    assert calls and all(any("token" in key for key in r["query"]) for r in calls)


async def test_one_failing_folder_is_recorded_on_its_row_while_the_others_sync(outlook):
    box = outlook(capabilities={"sync_inbox_live": {"folders": ["inbox", "no-such-folder"]}})
    mail = box.add("Still synced")
    await box.run_live()
    states = box.states()
    assert states["inbox"]["status"] == "ok" and mail in box.heads()
    assert states["no-such-folder"]["status"] == "failing" and "404" in states["no-such-folder"]["last_error"]
    assert states[""]["status"] == "failing"  # the capability's own row says a stream failed


async def test_throttling_makes_the_sync_slower_never_failed(outlook):
    box = outlook(capabilities={"sync_inbox_live": {"folders": ["inbox"]}})
    ids = [box.add(f"T{i}") for i in range(4)]
    box.sandbox.add_fault(r"/v1.0/", kind="status", status=429, count=3, retry_after=1)
    await box.run_live()
    assert set(box.heads()) == set(ids) and box.states()["inbox"]["status"] == "ok"


async def test_a_refresh_stores_the_rotated_refresh_token_before_using_the_access_token(outlook):
    box = outlook()
    first = box.credentials()["refresh_token"]
    box.add("x")
    await box.run_live()
    second = box.credentials()["refresh_token"]
    assert second and second != first  # the identity platform rotated it and we kept the new one
    box.sandbox.expire_access_tokens(box.email)
    box.add("y")
    await box.run_live()
    assert box.credentials()["refresh_token"] not in (first, second)
    assert len(box.heads()) == 2


async def test_a_revoked_grant_is_needs_reauth_and_stops_nothing_else(outlook):
    box = outlook()
    other = outlook(email="ben@tenant.example")
    box.sandbox.revoke_refresh_tokens(box.email)
    other.add("Other mailbox mail")
    await box.run_live()
    await other.run_live()
    assert box.row()["status"] == "needs_reauth"
    assert box.states()[""]["status"] == "needs_reauth"
    assert len(other.heads()) == 1 and other.row()["status"] == "active"
    await drain(box.url)
