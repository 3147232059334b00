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
                     " and capability = 'sync_inbox_live'", (json.dumps({"historyId": str(box.sandbox.history_id(box.email))}), box.id))  # noqa: E501
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
        from worker.reconcile.runner import reconcilable_keys
        from worker.store.reads import due_reconciles

        async with app.connector.pool.connection() as conn:  # just checked: not due again
            due = await due_reconciles(conn, reconcilable_keys(), 3600)
        assert box.id not in set(due)


def product_rows(url, connection_id) -> list[tuple]:
    with connect(url) as conn:
        return [tuple(r.values()) for r in conn.execute(
            "select m.provider_message_id, m.labels, m.is_deleted, e.subject, e.body_text, e.message_id_header"
            " from product.email_mailboxes m join product.emails e using (email_id)"
            " where m.connection_id = %s order by 1", (connection_id,)).fetchall()]


async def test_repair_restores_raw_rows_deleted_by_hand_and_normalize_reproduces_the_product_rows(gsb, make_database):
    from tests.gmail.conftest import Mailbox
    from worker.normalize import run_dbt
    from worker.providers.google.capabilities import GMAIL_READONLY

    url = make_database.create()
    box = Mailbox(gsb, url, "ana@tenant.example", {"sync_inbox_live": None}, [GMAIL_READONLY])
    ids = [box.add(f"m{i}", body=f"body {i}") for i in range(4)]
    await box.run_live()
    assert await run_dbt(url) == 0
    before = product_rows(url, box.id)
    assert [r[0] for r in before] == sorted(ids)

    lost = sorted(ids[:2])
    with connect(url) as conn:  # a bad restore, a hand-made delete
        conn.execute("delete from integrations.raw_records where external_id = any(%s)", (lost,))
        conn.commit()
    [found] = await reconcile(url, box.id, "sync_inbox_live")
    assert found["missing"] == lost and found["staged"] == 2

    [repaired] = await reconcile(url, box.id, "sync_inbox_live", repair=True)
    assert (repaired["repaired"], repaired["missing_count"], repaired["staged"]) == (2, 0, 4)
    with connect(url) as conn:
        back = conn.execute("select external_id from integrations.raw_records where external_id = any(%s)"
                            " order by 1", (lost,)).fetchall()
    assert [r["external_id"] for r in back] == lost
    assert await run_dbt(url, full_refresh=True) == 0
    assert product_rows(url, box.id) == before


async def test_raw_heads_never_claim_a_version_no_raw_row_holds(mailbox):
    box = mailbox()
    message = box.add("starred later")
    await box.run_live()
    box.sandbox.relabel(box.email, message, add=["STARRED"])
    await box.run_live()
    with connect(box.url) as conn:
        [old, new] = conn.execute("select id, payload_hash from integrations.raw_records where connection_id = %s"
                                  " and external_id = %s order by id", (box.id, message)).fetchall()
        conn.execute("delete from integrations.raw_records where id = %s", (new["id"],))
        head = conn.execute("select payload_hash from integrations.raw_heads where connection_id = %s"
                            " and external_id = %s", (box.id, message)).fetchone()
        assert head["payload_hash"] == old["payload_hash"]  # back to the newest version still held
        conn.execute("delete from integrations.raw_records where id = %s", (old["id"],))
        assert conn.execute("select count(*) as n from integrations.raw_heads where connection_id = %s"
                            " and external_id = %s", (box.id, message)).fetchone()["n"] == 0
        conn.commit()
    [repaired] = await reconcile(box.url, box.id, "sync_inbox_live", repair=True)
    assert repaired["missing_count"] == 0
    assert "STARRED" in box.heads()[message]["payload"]["labelIds"]


async def test_reconcile_reads_ids_and_labels_of_staged_objects_never_their_payloads(mailbox):
    """A mailbox's staged side is streamed from the server as ids, labels and status only: the
    payloads (bodies of megabytes) never reach the worker."""
    from worker.store import query

    box = mailbox()
    message = box.add("big", body="x" * 200_000)
    await box.run_live()
    with connect(box.url) as conn:
        cur = conn.execute(query("reconcile.staged_labels"), {"connection_id": box.id, "resource_type": "gmail.message"})
        rows = cur.fetchall()
    assert [c.name for c in cur.description] == ["external_id", "labels", "status"]
    assert [(r["external_id"], r["labels"], r["status"]) for r in rows] == [(message, ["INBOX"], None)]
