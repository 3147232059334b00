"""send_email through Graph: exactly once (draft with our Message-ID, /send, lookup on a retry),
drafts, replies in thread, the sent copy staged like any mail."""

import pytest

from tests.microsoft.conftest import drain
from worker.api import send_email
from worker.db.connect import connect
from worker.errors import BadInput, KeyConflict

pytestmark = pytest.mark.asyncio
SEND = r"/messages/[^/]+/send$"


def outbound(url, outbound_id):
    with connect(url) as conn:
        return conn.execute("select * from integrations.outbound where id = %s", (outbound_id,)).fetchone()


def sent_copies(sb, email, message_id) -> list[dict]:
    return [m for m in (sb.get_message(email, i) for i in sb.message_ids(email, "sentitems"))
            if m.get("internetMessageId") == message_id]


async def test_send_goes_out_once_with_our_message_id_and_is_staged(outlook):
    box = outlook()
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Quote", text="Plain body",
                              html="<p>HTML body</p>", idempotency_key="crm-1",
                              attachments=[{"filename": "q.txt", "content_type": "text/plain", "data_b64": "aGk="}])
    again = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Quote", text="Plain body",
                             html="<p>HTML body</p>", idempotency_key="crm-1",
                             attachments=[{"filename": "q.txt", "content_type": "text/plain", "data_b64": "aGk="}])
    assert again["job_id"] is None and again["outbound_id"] == result["outbound_id"]
    with pytest.raises(KeyConflict):  # the key names that request: another one under it is refused
        await send_email(box.url, box.id, to=["bob@ext.example"], subject="Quote", text="x", idempotency_key="crm-1")
    await drain(box.url)
    row = outbound(box.url, result["outbound_id"])
    assert row["status"] == "done" and row["attempts"] == 1
    assert box.sandbox.count_requests(path=SEND, method="POST") == 1
    [copy] = sent_copies(box.sandbox, box.email, result["message_id"])
    assert copy["id"] == row["provider_id"] and copy["subject"] == "Quote"
    assert copy["body"]["content"] == "<p>HTML body</p>"
    staged = box.heads()[row["provider_id"]]["payload"]
    assert staged["internetMessageId"] == result["message_id"] and not staged["isDraft"]


async def test_a_retry_after_graph_sent_it_finds_it_in_sent_items_instead_of_sending_again(outlook, monkeypatch):
    from tests.fixtures.killable import wait_for

    monkeypatch.setenv("INTEGRATIONS_MICROSOFT_HTTP_TIMEOUT_SECONDS", "1")
    box = outlook()
    # Graph carries the send out, but only after our client gave up waiting for the answer
    box.sandbox.add_fault(SEND, kind="delay", delay_seconds=2.5, count=1)
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Once", text="x")
    await drain(box.url)
    row = outbound(box.url, result["outbound_id"])
    assert row["status"] == "sending" and row["attempts"] == 1 and "not retried" in row["last_error"]
    assert wait_for(lambda: len(sent_copies(box.sandbox, box.email, result["message_id"])) == 1, timeout=30)
    with connect(box.url) as conn:  # the queue's retry is due: run it now instead of after its backoff
        conn.execute("update procrastinate_jobs set scheduled_at = now() where id = %s", (result["job_id"],))
        conn.commit()
    await drain(box.url)
    row = outbound(box.url, result["outbound_id"])
    assert row["status"] == "done" and row["attempts"] == 2
    assert box.sandbox.count_requests(path=SEND, method="POST") == 1  # found in Sent Items, not sent again
    assert [c["id"] for c in sent_copies(box.sandbox, box.email, result["message_id"])] == [row["provider_id"]]


async def test_a_draft_is_created_not_sent(outlook):
    box = outlook()
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Draft", text="x", draft=True)
    await drain(box.url)
    row = outbound(box.url, result["outbound_id"])
    assert row["status"] == "done" and box.sandbox.count_requests(path=SEND) == 0
    assert box.sandbox.get_message(box.email, row["provider_id"])["isDraft"] is True


async def test_a_reply_is_threaded_with_the_original(outlook):
    box = outlook()
    original = box.add("Question")
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Re: Question", text="Answer",
                              reply_to_message=original)
    await drain(box.url)
    row = outbound(box.url, result["outbound_id"])
    assert row["status"] == "done"
    question = box.sandbox.get_message(box.email, original)
    reply = box.sandbox.get_message(box.email, row["provider_id"])
    assert reply["conversationId"] == question["conversationId"]
    headers = {h["name"].lower(): h["value"] for h in reply.get("internetMessageHeaders") or []}
    assert headers.get("in-reply-to") == question["internetMessageId"]


async def test_send_needs_a_recipient_and_the_capability(outlook):
    box = outlook(capabilities={"sync_inbox_live": None})
    with pytest.raises(BadInput, match="send_email is not enabled"):
        await send_email(box.url, box.id, to=["bob@ext.example"], subject="s", text="t")
    box2 = outlook(email="ben@tenant.example")
    with pytest.raises(BadInput, match="recipient"):
        await send_email(box2.url, box2.id, to=[], subject="s", text="t")


async def test_a_revoked_grant_parks_the_send_visibly(outlook):
    box = outlook()
    box.sandbox.revoke_refresh_tokens(box.email)
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Parked", text="x")
    await drain(box.url)
    row = outbound(box.url, result["outbound_id"])
    assert row["status"] == "waiting_reauth" and "reconnect" in row["last_error"]
    assert box.sandbox.count_requests(path=SEND) == 0
