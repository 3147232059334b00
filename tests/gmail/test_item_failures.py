"""Items that fail on their own are recorded, retried later and resolved — never silently skipped."""

import pytest

from worker.db.connect import connect

pytestmark = pytest.mark.asyncio


def failures(box):
    with connect(box.url) as conn:
        return {r["external_id"]: r for r in conn.execute(
            "select * from integrations.item_failures where connection_id = %s", (box.id,)).fetchall()}


def make_due(box):
    with connect(box.url) as conn:
        conn.execute("update integrations.item_failures set next_attempt_at = now() where connection_id = %s",
                     (box.id,))
        conn.execute("update integrations.sync_state set next_run_at = null where connection_id = %s", (box.id,))
        conn.commit()


async def test_a_message_failing_once_is_recorded_then_staged_by_a_later_run(mailbox):
    box = mailbox()
    ids = [box.add(f"m{i}") for i in range(5)]
    box.sandbox.add_fault(rf"/messages/{ids[2]}$", kind="status", status=404, count=1)
    await box.run_live()
    assert box.state()["status"] == "ok"
    assert set(box.heads()) == set(ids) - {ids[2]}
    failed = failures(box)[ids[2]]
    assert failed["resolved_at"] is None and failed["attempts"] == 1 and "404" in failed["last_error"]

    await box.run_live()  # not due yet: retries back off
    assert failures(box)[ids[2]]["resolved_at"] is None
    make_due(box)
    await box.run_live()
    assert set(box.heads()) == set(ids)
    assert failures(box)[ids[2]]["resolution"] == "staged"


async def test_a_message_gone_for_good_is_resolved_as_gone(mailbox):
    box = mailbox()
    ids = [box.add(f"m{i}") for i in range(3)]
    box.sandbox.add_fault(rf"/messages/{ids[0]}$", kind="status", status=404, count=None, probability=1.0)
    await box.run_live()
    make_due(box)
    await box.run_live()
    assert failures(box)[ids[0]]["attempts"] == 2 and failures(box)[ids[0]]["resolved_at"] is None
    make_due(box)
    await box.run_live()
    assert failures(box)[ids[0]]["resolution"] == "gone"
    assert ids[0] not in box.heads()


async def test_one_batch_part_answering_401_forever_is_an_item_failure_and_the_page_goes_on(mailbox):
    """The token works for the other parts of the batch, so a part a refresh did not cure is that
    message's own failure: recorded, shown, retried later -- never the whole page's (invariant 2)."""
    box = mailbox()
    ids = [box.add(f"m{i}") for i in range(5)]
    bad = ids[2]
    box.sandbox.add_fault(rf"/messages/{bad}$", kind="status", status=401, count=None, probability=1.0)
    await box.run_live()
    assert box.state()["status"] == "ok"
    assert set(box.heads()) == set(ids) - {bad}
    failed = failures(box)[bad]
    assert failed["resolved_at"] is None and "401" in failed["last_error"]
    assert box.row()["status"] == "active"

    make_due(box)
    await box.run_live()  # retried alone, still 401: still the item's failure, the run goes on
    assert box.state()["status"] == "ok"
    assert failures(box)[bad]["attempts"] == 2 and failures(box)[bad]["resolved_at"] is None
    later = box.add("after")
    box.sandbox.clear_faults()
    make_due(box)
    await box.run_live()
    assert set(box.heads()) == set(ids) | {later}
    assert failures(box)[bad]["resolution"] == "staged"
