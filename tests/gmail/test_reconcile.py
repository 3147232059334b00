"""reconcile: provider ids against staged and normalized ones; --repair stages what is missing."""

import asyncio
import json

import pytest
from click.testing import CliRunner

from tests.gmail.isolated import own_mailbox  # noqa: F401  (fixture)
from worker.api import reconcile
from worker.cli import cli
from worker.db.connect import connect
from worker.settings import get_settings

pytestmark = pytest.mark.asyncio


async def test_reconcile_finds_and_repairs_missing_and_vanished_messages(own_mailbox):  # noqa: F811
    box = own_mailbox()  # its own database: no product tables, so nothing is counted as not normalized
    ids = [box.add(f"m{i}") for i in range(6)]
    await box.run_live()
    [clean] = await reconcile(box.url, box.id, "sync_inbox_live")
    assert clean["provider"] == 6 and clean["staged"] == 6 and clean["missing_count"] == clean["extra_count"] == 0
    assert clean["normalized"] is None and clean["differences"] == 0

    # lose what history would have told us: a new message, a deletion, an archive
    late = box.add("late")
    box.sandbox.delete_message(box.email, ids[0])
    box.sandbox.relabel(box.email, ids[1], remove=["INBOX"])
    with connect(box.url) as conn:  # as if the sync never saw those changes
        conn.execute("update integrations.sync_state set cursor = %s where connection_id = %s"
                     " and capability = 'sync_inbox_live'", (json.dumps({"historyId": str(box.sandbox.history_id(box.email))}), box.id))
        conn.commit()

    [found] = await reconcile(box.url, box.id, "sync_inbox_live")
    assert found["missing"] == [late] and sorted(found["extra"]) == sorted([ids[0], ids[1]])
    assert (found["provider"], found["staged"], found["differences"]) == (5, 6, 3)
    assert found["not_normalized"] == found["normalized_extra"] == []
    with connect(box.url) as conn:
        stored = conn.execute("select reconcile from integrations.sync_state where connection_id = %s"
                              " and capability = 'sync_inbox_live' and stream = ''", (box.id,)).fetchone()
    assert stored["reconcile"]["missing_count"] == 1

    get_settings.cache_clear()
    result = await asyncio.to_thread(  # the CLI runs its own event loop
        CliRunner().invoke, cli, ["reconcile", "--connection", str(box.id), "--repair", "--json"])
    assert result.exit_code == 0, result.output
    [repaired] = json.loads(result.output)
    assert repaired["missing_count"] == 0 and repaired["extra_count"] == 0 and repaired["repaired"] == 3
    heads = box.heads()
    assert heads[ids[0]]["is_deleted"] and "INBOX" not in heads[ids[1]]["payload"]["labelIds"] and late in heads
    assert box.sandbox.count_requests(method_id="gmail.users.messages.send") == 0


async def test_reconcile_rejects_what_it_cannot_check(mailbox):
    from worker.errors import BadInput
    box = mailbox(capabilities={"send_email": None})
    with pytest.raises(BadInput, match="nothing to reconcile"):
        await reconcile(box.url, box.id, "send_email")
    with pytest.raises(BadInput, match="not enabled"):
        await reconcile(box.url, box.id, "sync_inbox_live")


async def test_periodic_reconcile_checks_due_connections_and_records_the_result(own_mailbox):  # noqa: F811
    from worker.app import open_app_async
    from worker.tasks.reconcile import reconcile_due

    box = own_mailbox()  # its own database: the periodic task scans every connection there
    [box.add(f"m{i}") for i in range(2)]
    await box.run_live()
    async with open_app_async(box.url) as app:
        assert await reconcile_due(timestamp=0) == 1
        await app.run_worker_async(concurrency=2, wait=False, queues=["maintenance"])
        with connect(box.url) as conn:
            rec = conn.execute("select reconcile from integrations.sync_state where connection_id = %s"
                               " and capability = 'sync_inbox_live' and stream = ''", (box.id,)).fetchone()["reconcile"]
        assert rec["provider"] == 2 and rec["differences"] == 0
        with connect(box.url) as conn:  # just checked: not due again
            due = conn.execute(__import__("worker.tasks.reconcile", fromlist=["DUE"]).DUE, (3600,)).fetchall()
        assert box.id not in {r["connection_id"] for r in due}
