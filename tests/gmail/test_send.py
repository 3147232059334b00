"""send_email: composed correctly, sent exactly once, drafts, replies in thread, staged like any mail."""

import email
import email.policy

import pytest

from tests.gmail.conftest import SYNC_QUEUES

from worker.api import send_email
from worker.app import open_app_async
from worker.db.connect import connect
from worker.errors import BadInput

pytestmark = pytest.mark.asyncio
SEND = "gmail.users.messages.send"


async def drain(url):
    async with open_app_async(url) as app:
        await app.run_worker_async(concurrency=2, wait=False, queues=SYNC_QUEUES)


def outbound(url, outbound_id):
    with connect(url) as conn:
        return conn.execute("select * from integrations.outbound where id = %s", (outbound_id,)).fetchone()


def raw_of(sb, account, message_id):
    msg = sb.get_message(account, message_id, "raw")
    import base64
    return email.message_from_bytes(base64.urlsafe_b64decode(msg["raw"] + "=" * (-len(msg["raw"]) % 4)),
                                    policy=email.policy.default)


async def test_send_composes_sends_once_and_stages_the_sent_message(mailbox, tmp_path):
    box = mailbox()
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Quote", text="Plain body",
                              html="<p>HTML body</p>", idempotency_key="crm-1",
                              attachments=[{"filename": "q.txt", "content_type": "text/plain", "data_b64": "aGk="}])
    again = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Quote", text="Plain body",
                             idempotency_key="crm-1")
    assert again["job_id"] is None and again["outbound_id"] == result["outbound_id"]
    await drain(box.url)
    row = outbound(box.url, result["outbound_id"])
    assert row["status"] == "done" and row["attempts"] == 1
    assert box.sandbox.count_requests(method_id=SEND) == 1
    sent = raw_of(box.sandbox, box.email, row["provider_id"])
    assert sent["Message-ID"] == result["message_id"]
    assert sent.get_body(("plain",)).get_content().strip() == "Plain body"
    assert sent.get_body(("html",)).get_content().strip() == "<p>HTML body</p>"
    assert [p.get_filename() for p in sent.iter_attachments()] == ["q.txt"]
    assert "SENT" in box.heads()[row["provider_id"]]["payload"]["labelIds"]


async def test_retry_after_google_accepted_finds_the_message_instead_of_sending_again(mailbox):
    box = mailbox()
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Once", text="x")
    await drain(box.url)
    first = outbound(box.url, result["outbound_id"])
    # the state a worker killed between Google's answer and our commit leaves behind
    with connect(box.url) as conn:
        conn.execute("update integrations.outbound set status = 'sending', provider_id = null where id = %s",
                     (first["id"],))
        conn.commit()
    from worker.providers.google.tasks import send_email as send_task
    async with open_app_async(box.url) as app:
        await send_task.defer_async(connection_id=str(box.id), outbound_id=str(first["id"]))
        await app.run_worker_async(concurrency=1, wait=False, queues=SYNC_QUEUES)
    row = outbound(box.url, first["id"])
    assert row["status"] == "done" and row["attempts"] == 2 and row["provider_id"] == first["provider_id"]
    assert box.sandbox.count_requests(method_id=SEND) == 1


async def test_reply_is_threaded_with_in_reply_to_and_references(mailbox):
    box = mailbox()
    original = box.add("Question", message_id="<q-1@ext.example>")
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Re: Question", text="Answer",
                              reply_to_message=original)
    await drain(box.url)
    row = outbound(box.url, result["outbound_id"])
    sent = raw_of(box.sandbox, box.email, row["provider_id"])
    assert sent["In-Reply-To"] == "<q-1@ext.example>" and "<q-1@ext.example>" in sent["References"]
    assert row["thread_id"] == box.sandbox.get_message(box.email, original, "minimal")["threadId"]


async def test_draft_is_created_not_sent(mailbox):
    box = mailbox()
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Draft", text="d", draft=True)
    await drain(box.url)
    assert outbound(box.url, result["outbound_id"])["status"] == "done"
    assert box.sandbox.count_requests(method_id=SEND) == 0
    assert box.sandbox.count_requests(method_id="gmail.users.drafts.create") == 1


async def test_send_needs_the_capability_and_a_recipient(mailbox):
    box = mailbox(capabilities={"sync_inbox_live": None})
    with pytest.raises(BadInput, match="send_email is not enabled"):
        await send_email(box.url, box.id, to=["x@y.example"], subject="s", text="t")
    box2 = mailbox(email="other@tenant.example")
    with pytest.raises(BadInput, match="recipient"):
        await send_email(box2.url, box2.id, to=[], subject="s", text="t")


async def test_worker_killed_after_google_accepted_the_send_never_sends_twice(mailbox):
    """SIGKILL the worker while Google holds the send request (accepted, answer not yet back)."""
    import asyncio
    import os
    import signal
    import subprocess
    import sys
    import time

    from worker.tasks.maintenance import retry_stalled_jobs_now

    box = mailbox()
    box.sandbox.add_fault(r"/messages/send$", kind="delay", delay_seconds=2.5, count=1)
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Killed mid-send", text="x")
    worker = subprocess.Popen([sys.executable, "-m", "worker.cli.__main__", "worker", "--queue", "default"],
                              env=os.environ.copy(), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while outbound(box.url, result["outbound_id"])["attempts"] < 1 and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        await asyncio.sleep(0.8)  # the request is in flight, inside Google's (delayed) answer
        worker.send_signal(signal.SIGKILL)
        worker.wait(10)
    finally:
        if worker.poll() is None:
            worker.kill()
    deadline = time.monotonic() + 15
    while box.sandbox.count_requests(method_id=SEND) < 1 and time.monotonic() < deadline:
        await asyncio.sleep(0.1)
    assert box.sandbox.count_requests(method_id=SEND) == 1  # Google accepted it
    row = outbound(box.url, result["outbound_id"])
    assert row["status"] == "sending" and row["provider_id"] is None  # we never heard back

    await asyncio.sleep(1.5)
    async with open_app_async(box.url) as app:
        assert await retry_stalled_jobs_now(seconds_since_heartbeat=1) != []
        await app.run_worker_async(concurrency=1, wait=False, queues=SYNC_QUEUES)
    row = outbound(box.url, result["outbound_id"])
    assert row["status"] == "done" and row["attempts"] == 2
    assert box.sandbox.count_requests(method_id=SEND) == 1
    copies = [m for m in box.sandbox.message_ids(box.email)
              if raw_of(box.sandbox, box.email, m)["Message-ID"] == result["message_id"]]
    assert copies == [row["provider_id"]]
