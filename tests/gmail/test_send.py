"""send_email: composed correctly, sent exactly once, drafts, replies in thread, staged like any mail."""

import email
import email.policy

import pytest

from tests.gmail.conftest import SYNC_QUEUES
from tests.gmail.isolated import own_mailbox  # noqa: F401  (fixture: a database of its own)
from worker.api import send_email
from worker.app import open_app_async
from worker.db.connect import connect
from worker.errors import BadInput, KeyConflict

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
                             html="<p>HTML body</p>", idempotency_key="crm-1",
                             attachments=[{"filename": "q.txt", "content_type": "text/plain", "data_b64": "aGk="}])
    assert again["job_id"] is None and again["outbound_id"] == result["outbound_id"]
    with pytest.raises(KeyConflict):  # the key names that request: another one under it is refused
        await send_email(box.url, box.id, to=["bob@ext.example"], subject="Quote", text="Plain body",
                         idempotency_key="crm-1")
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
    from worker.providers.google.gmail.tasks import send_email as send_task
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


async def test_worker_killed_after_google_accepted_the_send_never_sends_twice(own_mailbox, tmp_path):  # noqa: F811
    """SIGKILL the worker while Google holds the send request (accepted, answer not yet back)."""
    from tests.fixtures.killable import KillableWorker, doing_jobs, recover, wait_for

    box = own_mailbox()  # the worker subprocess takes every job it finds: a database of its own
    held = box.sandbox.add_fault(r"/messages/send$", kind="hold")
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Killed mid-send", text="x")
    worker = KillableWorker(box.url, tmp_path / "worker.log")
    try:
        assert box.sandbox.wait_held(held["id"], timeout=60), worker.output()  # the request is at Google
        [job] = doing_jobs(box.url)
        assert job["id"] == result["job_id"]
        worker.sigkill()
    finally:
        worker.stop()
        box.sandbox.release(held["id"])  # Google carries the send out; its answer reaches no one
    assert wait_for(lambda: box.sandbox.count_requests(method_id=SEND) == 1, timeout=30)  # Google accepted it
    row = outbound(box.url, result["outbound_id"])
    assert row["status"] == "sending" and row["attempts"] == 1 and row["provider_id"] is None  # we never heard back

    await recover(box.url, job["id"])
    await drain(box.url)
    row = outbound(box.url, result["outbound_id"])
    assert row["status"] == "done" and row["attempts"] == 2
    assert box.sandbox.count_requests(method_id=SEND) == 1
    copies = [m for m in box.sandbox.message_ids(box.email)
              if raw_of(box.sandbox, box.email, m)["Message-ID"] == result["message_id"]]
    assert copies == [row["provider_id"]]


def status_of(url, connection_id) -> dict:
    """`integrations status --connection X --json`, through the real CLI."""
    import json
    import os
    import subprocess
    import sys

    done = subprocess.run([sys.executable, "-m", "worker.cli.__main__", "status", "--connection", str(connection_id),
                           "--json"], capture_output=True, text=True, env=os.environ.copy(), timeout=60)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)[0]


def sent_count(sb) -> int:
    return sb.count_requests(method_id=SEND, status=200)


async def test_send_with_a_revoked_grant_waits_visibly_and_completes_exactly_once_after_reconnect(mailbox):
    from tests.gmail.test_grants import reconnect

    box = mailbox()
    box.sandbox.revoke_refresh_tokens(box.email)  # the person removed the app's access at Google
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="While revoked", text="x",
                              idempotency_key="crm-revoked-1")
    await drain(box.url)

    row = outbound(box.url, result["outbound_id"])
    assert row["status"] == "waiting_reauth"
    assert row["last_error"].startswith("waiting for the account to be reconnected: reconnect")
    assert sent_count(box.sandbox) == 0
    again = await send_email(box.url, box.id, to=["bob@ext.example"], subject="While revoked", text="x",
                             idempotency_key="crm-revoked-1")
    assert again["outbound_id"] == result["outbound_id"] and again["status"] == "waiting_reauth"
    assert again["job_id"] is None
    # a send requested while the connection already needs reauth waits the same way
    second = await send_email(box.url, box.id, to=["carol@ext.example"], subject="Also waiting", text="y")
    await drain(box.url)
    assert outbound(box.url, second["outbound_id"])["status"] == "waiting_reauth"

    import os
    import subprocess
    import sys
    text = subprocess.run([sys.executable, "-m", "worker.cli.__main__", "status", "--connection", str(box.id)],
                          capture_output=True, text=True, env=os.environ.copy(), timeout=60).stdout
    assert "actions waiting_reauth: 2 (latest reason: waiting for the account to be reconnected: reconnect" in text
    shown = status_of(box.url, box.id)
    assert shown["status"] == "needs_reauth"
    assert shown["outbound"] == {"waiting_reauth": {"actions": 2, "reason": outbound(box.url, second["outbound_id"])
                                                    ["last_error"]}}

    reconnect(box, {"send_email": {"drafts": True}})
    await drain(box.url)

    for outbound_id in (result["outbound_id"], second["outbound_id"]):
        done = outbound(box.url, outbound_id)
        assert done["status"] == "done" and done["last_error"] is None and done["provider_id"]
    assert sent_count(box.sandbox) == 2
    subjects = sorted(raw_of(box.sandbox, box.email, m)["Subject"] for m in box.sandbox.message_ids(box.email))
    assert subjects == ["Also waiting", "While revoked"]
    assert status_of(box.url, box.id)["outbound"] == {}


async def test_a_send_google_refuses_ends_failed_with_the_reason(mailbox):
    box = mailbox()
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Re: gone", text="x",
                              reply_to_message="no-such-message")
    await drain(box.url)
    row = outbound(box.url, result["outbound_id"])
    assert row["status"] == "failed" and row["completed_at"] is not None
    assert row["last_error"] == "cannot reply: message no-such-message not found in this mailbox"
    assert sent_count(box.sandbox) == 0
    assert status_of(box.url, box.id)["outbound"] == {"failed": {"actions": 1, "reason": row["last_error"]}}


async def test_send_email_alone_completes_exactly_once_after_a_transport_reset_on_send(mailbox):
    from worker.providers.google.gmail.tasks import send_email as send_task
    from worker.registry import get_provider

    scopes = sorted(get_provider("google").required_scopes({"send_email": None}))
    box = mailbox(capabilities={"send_email": None}, scopes=scopes)
    box.sandbox.add_fault(r"/messages/send$", kind="reset", count=1)
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Reset once", text="x")
    await drain(box.url)
    interrupted = outbound(box.url, result["outbound_id"])
    assert interrupted["status"] == "sending" and interrupted["attempts"] == 1

    async with open_app_async(box.url) as app:  # the queue's retry, without waiting for its backoff
        await send_task.defer_async(connection_id=str(box.id), outbound_id=str(interrupted["id"]))
        await app.run_worker_async(concurrency=1, wait=False, queues=SYNC_QUEUES)

    row = outbound(box.url, result["outbound_id"])
    assert row["status"] == "done" and row["attempts"] == 2, row["last_error"]
    assert box.sandbox.count_requests(method_id="gmail.users.messages.list", status=200) == 1  # it looked first
    assert sent_count(box.sandbox) == 1
    copies = [m for m in box.sandbox.message_ids(box.email)
              if raw_of(box.sandbox, box.email, m)["Message-ID"] == result["message_id"]]
    assert copies == [row["provider_id"]]
    assert "not retried" in interrupted["last_error"]  # while it waited for the retry, the reason showed


async def test_send_on_a_connection_without_the_lookup_scope_is_refused_with_the_remedy(mailbox):
    from tests.gmail.conftest import GMAIL_SEND

    box = mailbox(capabilities={"send_email": None}, scopes=[GMAIL_SEND])
    with pytest.raises(BadInput, match="lacks the scopes https://www.googleapis.com/auth/gmail.readonly: reconnect"):
        await send_email(box.url, box.id, to=["bob@ext.example"], subject="s", text="t")


async def test_a_send_that_fails_until_the_last_retry_ends_failed_with_the_reason(mailbox):
    from worker.providers.google.gmail.tasks import SEND_RETRY

    box = mailbox()
    box.sandbox.add_fault(r"/messages/send$", kind="reset", count=1)
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Unlucky", text="x")
    with connect(box.url) as conn:  # the queue already retried it as often as it will
        conn.execute("update procrastinate_jobs set attempts = %s where id = %s",
                     (SEND_RETRY.max_attempts, result["job_id"]))
        conn.commit()
    await drain(box.url)
    row = outbound(box.url, result["outbound_id"])
    assert row["status"] == "failed" and row["completed_at"] is not None
    assert row["last_error"].startswith("gave up after the last retry: ")
    assert "(if Google accepted it, it is in Sent)" in row["last_error"]
    with connect(box.url) as conn:
        job = conn.execute("select status from procrastinate_jobs where id = %s", (result["job_id"],)).fetchone()
    assert job["status"] == "failed"  # the queue agrees: no retry is left that could revive it


async def test_a_reconnect_landing_just_before_a_send_parks_makes_it_retry_not_wait_forever(mailbox, monkeypatch):
    """Interleaving: the job hits the revoked grant; the person reconnects (which resumes the
    sends waiting so far: none yet); only then does the job try to park its row."""
    from tests.gmail.test_grants import reconnect
    from worker.sync import actions as send_module

    box = mailbox()
    box.sandbox.revoke_refresh_tokens(box.email)
    real_mark = send_module.mark

    async def reconnect_then_mark(pool, name, outbound_id, error, **params):
        if name == "outbound.wait_for_reauth" and not box.sandbox.count_requests(method_id="oauth.authorize"):
            reconnect(box, {"send_email": {"drafts": True}})
        return await real_mark(pool, name, outbound_id, error, **params)

    monkeypatch.setattr(send_module, "mark", reconnect_then_mark)
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Raced", text="x")
    await drain(box.url)

    row = outbound(box.url, result["outbound_id"])
    assert row["status"] == "sending" and box.row()["status"] == "active"
    with connect(box.url) as conn:  # the queue's retry is due: run it now instead of after its backoff
        retried = conn.execute("update procrastinate_jobs set scheduled_at = now() where id = %s and status = 'todo'"
                               " returning id", (result["job_id"],)).fetchall()
        conn.commit()
    assert len(retried) == 1
    await drain(box.url)
    row = outbound(box.url, result["outbound_id"])
    assert row["status"] == "done" and sent_count(box.sandbox) == 1
