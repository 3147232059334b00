"""The crash window the chaos test found: a Gmail resync after lost history lists everything,
commits its cursor, and its worker dies before the settle step that tombstones what vanished while
history was lost. The next run must still settle (deterministic twin of the chaos scenario)."""

import json

import pytest

from tests.gmail.conftest import google_sandbox, gsb, mailbox  # noqa: F401  (shared fixtures)
from worker.db.connect import connect

pytestmark = [pytest.mark.asyncio]


def set_cursor(box, cursor: dict) -> None:
    with connect(box.url) as conn:
        conn.execute("update integrations.sync_state set cursor = %s where connection_id = %s"
                     " and capability = 'sync_inbox_live' and stream = ''", (json.dumps(cursor), box.id))
        conn.commit()


async def test_a_resync_killed_before_settling_settles_on_the_next_run(mailbox):  # noqa: F811
    box = mailbox()
    ids = [box.add(f"m{i}") for i in range(3)]
    await box.run_live()
    box.sandbox.delete_message(box.email, ids[0])  # vanishes while history is lost
    # the resync finished listing and committed its cursor; then its worker was SIGKILLed
    set_cursor(box, {"historyId": str(box.sandbox.history_id(box.email)), "settle": True})
    await box.run_live()
    assert box.heads()[ids[0]]["is_deleted"]
    assert box.state()["cursor"] == {"historyId": str(box.sandbox.history_id(box.email))}


async def test_a_resync_killed_mid_listing_settles_when_resumed(mailbox):  # noqa: F811
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
