"""reconcile for Outlook mail and calendar: Graph's ids against what is staged; --repair stages the
missing and tombstones the vanished. Each test has a database of its own (no product tables)."""

import pytest

from tests.microsoft.conftest import Outlook
from tests.microsoft.test_calendar import CAL_SCOPES, event
from worker.api import reconcile

pytestmark = pytest.mark.asyncio


@pytest.fixture
def own_outlook(msb, make_database):
    def make(capabilities, scopes=CAL_SCOPES):
        return Outlook(msb, make_database.create(prefix="msrec"), "ana@tenant.example", capabilities, scopes)
    return make


async def test_mail_reconcile_finds_and_repairs_missing_and_vanished_messages(own_outlook):
    box = own_outlook({"sync_inbox_live": {"folders": ["inbox"]}})
    ids = [box.add(f"m{i}") for i in range(4)]
    await box.run_live()
    [clean] = await reconcile(box.url, box.id, "sync_inbox_live")
    assert (clean["provider"], clean["staged"], clean["differences"]) == (4, 4, 0) and clean["normalized"] is None

    late = box.add("late")  # changes no sync has seen yet
    box.sandbox.delete_message(box.email, ids[0])
    box.sandbox.move_message(box.email, ids[1], "archive")
    [found] = await reconcile(box.url, box.id, "sync_inbox_live")
    assert found["missing"] == [late] and sorted(found["extra"]) == sorted([ids[0], ids[1]])

    [repaired] = await reconcile(box.url, box.id, "sync_inbox_live", repair=True)
    assert repaired["repaired"] == 3
    heads = box.heads()
    assert heads[ids[0]]["is_deleted"] and not heads[ids[1]]["is_deleted"] and late in heads
    [after] = await reconcile(box.url, box.id, "sync_inbox_live")
    assert after["differences"] == 0 and after["provider"] == after["staged"] == 3


async def test_calendar_reconcile_finds_and_repairs(own_outlook):
    box = own_outlook({"sync_calendar_live": {}})
    kept = box.sandbox.import_event(box.email, event("Kept", 2))
    dropped = box.sandbox.import_event(box.email, event("Dropped", 3))
    await box.run_live("sync_calendar_live")
    late = box.sandbox.import_event(box.email, event("Late", 4))
    box.sandbox.delete_event(box.email, dropped["id"])
    [found] = await reconcile(box.url, box.id, "sync_calendar_live")
    assert found["missing"] == [late["id"]] and found["extra"] == [dropped["id"]]
    [repaired] = await reconcile(box.url, box.id, "sync_calendar_live", repair=True)
    assert repaired["repaired"] == 2 and repaired["differences"] == 0
    heads = box.heads("outlook.event")
    assert heads[dropped["id"]]["is_deleted"] and late["id"] in heads and not heads[kept["id"]]["is_deleted"]
