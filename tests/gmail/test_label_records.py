"""A label-only change of a staged message is fetched with format=minimal and stored as a small
`gmail.labels` record, not as another full copy of the message (issue 10, growth); the staging
model takes labels from the newest of the message and its label records, content from the
message; a stale label record never overwrites a newer state or a tombstone."""

import base64
import uuid

import pytest

from tests.gmail.conftest import Mailbox, make_raw
from worker.db.connect import connect
from worker.normalize import run_dbt
from worker.providers.google.capabilities import GMAIL_READONLY
from worker.store.staging import RawObject, stage_records

pytestmark = pytest.mark.asyncio


def _rows(url: str, connection_id, external_id: str) -> list[dict]:
    with connect(url) as conn:
        return conn.execute(
            "select resource_type, payload, octet_length(payload::text) as size from integrations.raw_records"
            " where connection_id = %s and external_id = %s order by id", (connection_id, external_id)).fetchall()


async def test_a_label_only_change_stores_a_small_labels_record_not_a_full_copy(mailbox):
    box = mailbox()
    message = box.add("toggled", body="a body long enough to matter\n" * 40)
    await box.run_live()
    for n in range(6):  # read / unread toggles, one sync after each
        if n % 2 == 0:
            box.sandbox.relabel(box.email, message, add=["UNREAD"])
        else:
            box.sandbox.relabel(box.email, message, remove=["UNREAD"])
        await box.run_live()

    rows = _rows(box.url, box.id, message)
    assert [r["resource_type"] for r in rows] == ["gmail.message"] + ["gmail.labels"] * 6
    full_size = rows[0]["size"]
    for row in rows[1:]:
        assert "payload" not in row["payload"] and row["size"] < 400 < full_size
    assert rows[-1]["payload"]["labelIds"] == box.sandbox.get_message(box.email, message, "minimal")["labelIds"]
    assert rows[-1]["payload"]["historyId"] == str(box.sandbox.history_id(box.email))
    assert box.state()["status"] == "ok"


async def test_a_labels_change_whose_minimal_answer_shows_another_change_is_fetched_in_full(mailbox):
    box = mailbox()
    message = box.add("moved to another thread")
    await box.run_live()
    with box.sandbox.world.lock:  # Gmail moved it to another thread (no history record of its own)
        box.sandbox.world.mailbox(box.email).messages[message].thread_id = "thread-elsewhere"
    box.sandbox.relabel(box.email, message, add=["STARRED"])
    await box.run_live()

    rows = _rows(box.url, box.id, message)
    assert [r["resource_type"] for r in rows] == ["gmail.message", "gmail.message"]
    assert rows[-1]["payload"]["threadId"] == "thread-elsewhere" and "payload" in rows[-1]["payload"]
    assert box.sandbox.count_requests(method_id="gmail.users.messages.get") == 3  # full, minimal, full


async def test_a_label_change_then_a_content_changing_event_ends_with_the_right_content_and_labels(
        gsb, make_database):
    url = make_database.create()
    box = Mailbox(gsb, url, "relabel@tenant.example", {"sync_inbox_live": None}, [GMAIL_READONLY])
    message = box.add("first subject", message_id="<first@x.example>")
    await box.run_live()
    gsb.relabel(box.email, message, add=["STARRED"])
    await box.run_live()
    assert [r["resource_type"] for r in _rows(url, box.id, message)] == ["gmail.message", "gmail.labels"]
    output: list[str] = []
    assert await run_dbt(url, on_line=output.append) == 0, "\n".join(output[-30:])
    with connect(url) as conn:
        row = conn.execute("select labels from product.email_mailboxes where provider_message_id = %s",
                           (message,)).fetchone()
    assert sorted(row["labels"]) == ["INBOX", "STARRED"]

    # the message is replaced under the same id with new content and labels (deleted, imported)
    gsb.delete_message(box.email, message)
    await box.run_live()
    raw = make_raw("bob@ext.example", box.email, "second subject", message_id="<second@x.example>")
    imported = gsb.import_message(box.email, {"id": message, "raw": base64.urlsafe_b64encode(raw).decode(),
                                              "labelIds": ["INBOX", "IMPORTANT"]})
    assert imported["id"] == message
    await box.run_live()
    assert await run_dbt(url, on_line=output.append) == 0, "\n".join(output[-30:])
    with connect(url) as conn:
        row = conn.execute(
            "select e.subject, m.labels, m.is_deleted from product.email_mailboxes m"
            " join product.emails e using (email_id) where m.provider_message_id = %s and not m.is_deleted",
            (message,)).fetchone()
    assert (row["subject"], sorted(row["labels"])) == ("second subject", ["IMPORTANT", "INBOX"])


def _message(external_id: str, history_id: int, labels=("INBOX",)) -> dict:
    return {"id": external_id, "threadId": external_id, "labelIds": list(labels), "historyId": str(history_id),
            "internalDate": "1700000000000", "sizeEstimate": 1234,
            "payload": {"mimeType": "text/plain", "headers": [], "body": {"size": 2, "data": "aGk="}}}


def _labels(external_id: str, history_id: int, labels) -> dict:
    return {"id": external_id, "threadId": external_id, "labelIds": list(labels), "historyId": str(history_id),
            "internalDate": "1700000000000", "sizeEstimate": 1234}


def test_a_stale_labels_record_never_overwrites_a_newer_state_or_a_tombstone(db):
    from tests.normalize.helpers import create_connection

    connection = create_connection(db, uuid.uuid4(), "stale@tenant.example")
    tenant = db.execute("select tenant_id from integrations.connections where id = %s", (connection,)).fetchone()[
        "tenant_id"]

    def stage(resource_type: str, payload: dict, deleted=False) -> int:
        return stage_records(db, connection, tenant, "sync_inbox_live", resource_type,
                             [RawObject(payload["id"], payload, is_deleted=deleted)])

    assert stage("gmail.message", _message("m1", 10)) == 1
    assert stage("gmail.labels", _labels("m1", 20, ["INBOX", "STARRED"])) == 1
    assert stage("gmail.labels", _labels("m1", 15, ["INBOX", "UNREAD"])) == 0  # older than the labels head
    assert stage("gmail.message", _message("m1", 30, ["INBOX"])) == 1
    assert stage("gmail.labels", _labels("m1", 25, ["STARRED"])) == 0  # older than the message head
    assert stage("gmail.message", {"id": "m1"}, deleted=True) == 1
    assert stage("gmail.labels", _labels("m1", 40, ["INBOX"])) == 0  # the tombstone wins
    db.commit()
    labels = [r["payload"]["labelIds"] for r in db.execute(
        "select payload from integrations.raw_records where connection_id = %s and resource_type = 'gmail.labels'"
        " order by id", (connection,)).fetchall()]
    assert labels == [["INBOX", "STARRED"]]


async def test_reconcile_sees_the_labels_of_label_records_and_repair_restages_the_message(mailbox):
    from worker.api import reconcile

    box = mailbox()
    _kept, archived = box.add("kept"), box.add("archived")
    await box.run_live()
    box.sandbox.relabel(box.email, archived, remove=["INBOX"])
    await box.run_live()
    assert [r["resource_type"] for r in _rows(box.url, box.id, archived)] == ["gmail.message", "gmail.labels"]

    [clean] = await reconcile(box.url, box.id, "sync_inbox_live")
    assert (clean["provider"], clean["staged"], clean["missing"], clean["extra"]) == (1, 1, [], [])

    # back in the inbox, but the sync never saw it (history lost): repair restages the message
    box.sandbox.relabel(box.email, archived, add=["INBOX"])
    with connect(box.url) as conn:
        conn.execute("update integrations.sync_state set cursor = jsonb_build_object('historyId', %s::text)"
                     " where connection_id = %s and capability = 'sync_inbox_live'",
                     (str(box.sandbox.history_id(box.email)), box.id))
        conn.commit()
    [found] = await reconcile(box.url, box.id, "sync_inbox_live")
    assert found["missing"] == [archived]
    [repaired] = await reconcile(box.url, box.id, "sync_inbox_live", repair=True)
    assert (repaired["repaired"], repaired["missing"], repaired["extra"], repaired["staged"]) == (1, [], [], 2)
    assert [r["resource_type"] for r in _rows(box.url, box.id, archived)] == [
        "gmail.message", "gmail.labels", "gmail.message"]
