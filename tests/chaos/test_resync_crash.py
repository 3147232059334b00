"""The crash window the chaos test found: a Gmail resync after lost history lists everything,
commits its cursor, and its worker dies before the settle step that tombstones what vanished while
history was lost. The next run must still settle.

Two kinds of test: the cursor a dead worker leaves, written by hand (fast, exact), and a real
`integrations worker` process SIGKILLed while Google holds one of its requests (the deterministic
twin of the chaos scenario)."""

import json

import pytest

from tests.fixtures.killable import KillableWorker, doing_jobs, recover
from tests.gmail.conftest import SYNC_QUEUES, google_sandbox, gsb, mailbox  # noqa: F401  (shared fixtures)
from tests.gmail.isolated import own_mailbox  # noqa: F401  (fixture)
from worker.app import open_app_async
from worker.db.connect import connect

pytestmark = [pytest.mark.asyncio]


def set_cursor(box, cursor: dict) -> None:
    with connect(box.url) as conn:
        conn.execute("update integrations.sync_state set cursor = %s where connection_id = %s"
                     " and capability = 'sync_inbox_live' and stream = ''", (json.dumps(cursor), box.id))
        conn.commit()


async def test_a_cursor_left_with_a_pending_settle_settles_on_the_next_run(mailbox):  # noqa: F811
    box = mailbox()
    ids = [box.add(f"m{i}") for i in range(3)]
    await box.run_live()
    box.sandbox.delete_message(box.email, ids[0])  # vanishes while history is lost
    # the cursor a resync leaves when its worker dies after the listing, before settling
    set_cursor(box, {"historyId": str(box.sandbox.history_id(box.email)), "settle": True})
    await box.run_live()
    assert box.heads()[ids[0]]["is_deleted"]
    assert box.state()["cursor"] == {"historyId": str(box.sandbox.history_id(box.email))}


async def test_a_resync_cursor_left_mid_listing_settles_when_resumed(mailbox):  # noqa: F811
    box = mailbox()
    ids = [box.add(f"m{i}") for i in range(3)]
    await box.run_live()
    box.sandbox.delete_message(box.email, ids[1])
    start = str(box.sandbox.history_id(box.email))
    set_cursor(box, {"full": {"startHistoryId": start, "labels": ["INBOX", "SENT"], "label": 0, "pageToken": None,
                              "reason": "history expired", "settle": True}})
    await box.run_live()
    assert box.heads()[ids[1]]["is_deleted"]
    assert box.state()["cursor"] == {"historyId": start}


@pytest.mark.parametrize("held_listing", [1, 2], ids=["mid-listing", "before-settling"])
async def test_a_resync_whose_worker_is_sigkilled_settles_when_its_job_is_retried(own_mailbox, tmp_path,  # noqa: F811
                                                                                held_listing):
    """messages.list calls of the resync: INBOX (0), SENT (1), then the settle step's own listing
    (2). Google holds call `held_listing`; the worker is SIGKILLed inside it."""
    box = own_mailbox()
    ids = [box.add(f"m{i}") for i in range(3)]
    await box.run_live()
    box.sandbox.delete_message(box.email, ids[0])  # vanishes while history is lost
    box.sandbox.expire_history_before(box.email, box.sandbox.history_id(box.email) + 1)
    start = str(box.sandbox.history_id(box.email))
    listing = box.sandbox.add_fault(r"/gmail/v1/users/[^/]+/messages$", kind="hold", skip=held_listing)
    async with open_app_async(box.url):
        from worker.tasks.dispatch import defer_live
        await defer_live(box.id, "sync_inbox_live")
    worker = KillableWorker(box.url, tmp_path / "worker.log")
    try:
        assert box.sandbox.wait_held(listing["id"], timeout=60), worker.output()
        [job] = doing_jobs(box.url)
        worker.sigkill()
    finally:
        worker.stop()
        box.sandbox.clear_faults()  # lets the held request go; its answer reaches no one
    cursor = box.state()["cursor"]
    if held_listing == 1:
        assert (cursor["full"]["label"], cursor["full"]["settle"], cursor["full"]["startHistoryId"]) == (1, True, start)
    else:
        assert cursor == {"historyId": start, "settle": True}
    assert box.heads()[ids[0]]["is_deleted"] is False  # not settled yet

    await recover(box.url, job["id"])
    async with open_app_async(box.url) as app:
        await app.run_worker_async(concurrency=1, wait=False, queues=SYNC_QUEUES)
    heads = box.heads()
    assert heads[ids[0]]["is_deleted"] is True
    assert [heads[i]["is_deleted"] for i in ids[1:]] == [False, False]
    assert box.state()["cursor"] == {"historyId": start}
    assert box.state()["full_syncs"] == 2
