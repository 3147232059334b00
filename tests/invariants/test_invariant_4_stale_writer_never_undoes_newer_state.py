"""Invariant 4: every writer of a (connection, resource) takes the same lock, and a stale writer — a
manual sync overlapping the live one, a stalled job woken up after its retry ran — never undoes a
newer state such as a tombstone.

The rules (worker/store/stage_records.sql): a writer takes a snapshot of committed transactions
before it fetches; a live version it fetched never replaces a tombstone committed after that
snapshot — the provider answered before the deletion was recorded. Where the provider orders an
object's versions (Gmail historyId, Calendar `updated`), an older version never replaces a newer
head. A live writer's cursor only moves from the value it loaded, so a stalled job never moves a
newer cursor back.

The interleavings are driven step by step with the production functions (real sandbox over HTTP,
real database), so each test is deterministic.
"""

import pytest

from tests.gmail.conftest import Mailbox, google_sandbox, gsb  # noqa: F401 - fixtures
from worker.app import open_app_async
from worker.db.connect import connect
from worker.providers.google.capabilities import GMAIL_READONLY
from worker.providers.google.context import google_context
from worker.providers.google.gmail.api import GmailApi
from worker.providers.google.gmail.live import InboxCursor
from worker.providers.google.gmail.messages import fetch_objects
from worker.store.staging import RawObject, StaleWriter, stage_records
from worker.sync.cursors import OnceProgress
from worker.sync.stager import PageStager

pytestmark = pytest.mark.asyncio


@pytest.fixture
def box(gsb, make_database):  # noqa: F811
    return Mailbox(gsb, make_database.create(), "ana@tenant.example",
                   {"sync_inbox_live": None, "sync_inbox_once": None}, [GMAIL_READONLY])


def raw_versions(box, external_id) -> list[bool]:
    with connect(box.url) as conn:
        return [r["is_deleted"] for r in conn.execute(
            "select is_deleted from integrations.raw_records where connection_id = %s and external_id = %s"
            " order by id", (box.id, external_id)).fetchall()]


async def test_a_manual_sync_that_fetched_a_message_before_its_deletion_never_restages_it(box):
    doomed, other = box.add("doomed"), box.add("other")
    await box.run_live()
    async with open_app_async(box.url) as app, google_context(app.connector.pool, box.id, "gmail") as ctx:
        once = PageStager(ctx, "sync_inbox_once", resource="gmail.message", stream="run:overlap")
        await once.load_cursor()  # the manual run starts ...
        fetched = await fetch_objects(GmailApi(ctx), [doomed, other], gone_is_tombstone=False)  # ... and fetches
        box.sandbox.delete_message(box.email, doomed)
        await box.run_live()  # the live sync records the deletion meanwhile
        assert box.heads()[doomed]["is_deleted"] is True

        await once.stage_page(fetched.objects, OnceProgress(done=True))  # the manual run's page lands late

    assert box.heads()[doomed]["is_deleted"] is True
    assert raw_versions(box, doomed) == [False, True]


async def test_a_manual_sync_that_fetched_an_older_label_state_never_overwrites_the_newer_one(box):
    message = box.add("starred meanwhile")
    await box.run_live()
    async with open_app_async(box.url) as app, google_context(app.connector.pool, box.id, "gmail") as ctx:
        once = PageStager(ctx, "sync_inbox_once", resource="gmail.message", stream="run:labels")
        await once.load_cursor()
        fetched = await fetch_objects(GmailApi(ctx), [message], gone_is_tombstone=False)
        box.sandbox.relabel(box.email, message, add=["STARRED"])
        await box.run_live()
        assert set(box.heads()[message]["payload"]["labelIds"]) == {"INBOX", "STARRED"}

        await once.stage_page(fetched.objects, OnceProgress(done=True))

    assert set(box.heads()[message]["payload"]["labelIds"]) == {"INBOX", "STARRED"}
    assert raw_versions(box, message) == [False, False]


async def test_a_stalled_live_job_woken_after_its_retry_ran_neither_restages_nor_moves_the_cursor_back(box):
    doomed = box.add("doomed")
    await box.run_live()
    box.sandbox.relabel(box.email, doomed, add=["STARRED"])
    async with open_app_async(box.url) as app, google_context(app.connector.pool, box.id, "gmail") as ctx:
        stalled = PageStager(ctx, "sync_inbox_live", resource="gmail.message")
        cursor = await stalled.load_cursor()
        history = await GmailApi(ctx).history(cursor["historyId"], None)
        fetched = await fetch_objects(GmailApi(ctx), [doomed], gone_is_tombstone=True)
        box.sandbox.delete_message(box.email, doomed)
        await box.run_live()  # the retry runs to the end: the star, then the deletion
        newer = box.state()["cursor"]
        assert newer == {"historyId": str(box.sandbox.history_id(box.email))}

        with pytest.raises(StaleWriter, match="cursor"):
            await stalled.stage_page(fetched.objects, InboxCursor(historyId=str(history["historyId"])))

    assert box.heads()[doomed]["is_deleted"] is True
    assert box.state()["cursor"] == newer


async def test_a_message_found_alive_after_its_tombstone_was_stored_is_restaged(box):
    """A tombstone is not forever: a fetch that starts after it (the message really is there, e.g.
    after a wrong 404) stages the live version again."""
    back = box.add("back")
    await box.run_live()
    async with open_app_async(box.url) as app, google_context(app.connector.pool, box.id, "gmail") as ctx:
        repair = PageStager(ctx, "sync_inbox_live", resource="gmail.message", stream="repair")
        await repair.stage_page([RawObject(back, {"id": back}, is_deleted=True)], None)
        assert box.heads()[back]["is_deleted"] is True
        await repair.begin_fetch()
        fetched = await fetch_objects(GmailApi(ctx), [back], gone_is_tombstone=False)
        await repair.stage_page(fetched.objects, None)
    assert box.heads()[back]["is_deleted"] is False
    assert raw_versions(box, back) == [False, True, False]


async def test_every_writer_of_a_connection_resource_takes_the_same_lock(box):
    """Two writers of different objects of one (connection, resource) still serialize: the second
    waits for the first to commit (here it gives up after its lock_timeout)."""
    import psycopg

    with connect(box.url) as first, connect(box.url) as second:
        first.execute("select 1")  # an open transaction: the stage below is a savepoint, its lock stays held
        stage_records(first, box.id, box.tenant_id, "sync_inbox_live", "gmail.message", [RawObject("a", {"id": "a"})])
        second.execute("set lock_timeout = '200ms'")
        with pytest.raises(psycopg.errors.LockNotAvailable):
            stage_records(second, box.id, box.tenant_id, "sync_inbox_once", "gmail.message",
                          [RawObject("b", {"id": "b"})])
        second.rollback()
        assert stage_records(second, box.id, box.tenant_id, "sync_inbox_once", "calendar.event",
                             [RawObject("c", {"id": "c"})]) == 1  # another resource: not blocked
        first.commit()
        assert stage_records(second, box.id, box.tenant_id, "sync_inbox_once", "gmail.message",
                             [RawObject("b", {"id": "b"})]) == 1
        second.commit()


async def test_a_superseded_run_is_neither_a_failure_nor_a_backoff_of_the_healthy_stream(box):
    """The runner treats a fenced stale writer as superseded: recording it as a failure would
    back off the stream the newer run just brought up to date."""
    from worker.sync.outcome import run_capability

    message = box.add("starred meanwhile")
    await box.run_live()
    async with open_app_async(box.url) as app, google_context(app.connector.pool, box.id, "gmail") as ctx:
        stalled = PageStager(ctx, "sync_inbox_live", resource="gmail.message")

        async def stale_run() -> dict:
            cursor = await stalled.load_cursor()
            fetched = await fetch_objects(GmailApi(ctx), [message], gone_is_tombstone=True)
            box.sandbox.relabel(box.email, message, add=["STARRED"])
            await box.run_live()  # the newer run finishes first
            await stalled.stage_page(fetched.objects, InboxCursor(historyId=cursor["historyId"]))
            return {"status": "ok"}

        result = await run_capability(app.connector.pool, box.id, "sync_inbox_live", stale_run)

    assert result == {"status": "superseded"}
    state = box.state()
    assert (state["status"], state["consecutive_failures"], state["last_error"]) == ("ok", 0, None)
    assert set(box.heads()[message]["payload"]["labelIds"]) == {"INBOX", "STARRED"}
