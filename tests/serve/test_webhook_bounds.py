"""Issue 31 item 5: `POST /webhooks/microsoft` needs no secret, so what one request can cost is bounded:
a body that cannot parse (100k levels deep included) is a 400, never a 500 with a traceback; more
items than INTEGRATIONS_MICROSOFT_PUSH_MAX_ITEMS are refused before any lookup; items repeating a
subscription are looked up once; and past INTEGRATIONS_WEBHOOK_CONCURRENCY handlers at once (and
INTEGRATIONS_WEBHOOK_WAIT_SECONDS of waiting for a slot) serve answers 503 instead of queueing on
the database pool (/healthz keeps answering)."""

from __future__ import annotations

import threading
import uuid

import httpx
import pytest

from tests.serve.conftest import Server, free_port, jobs, received
from tests.serve.test_gmail_push_forged_kids import post_forged
from tests.serve.test_microsoft_push import MAIL, MAIL_TASK, PATH, Mailbox, item, post

pytestmark = pytest.mark.asyncio
MAX_ITEMS = 1000  # the default


@pytest.fixture
def msb(server, in_env, microsoft_sandbox):
    microsoft_sandbox.set_public_url(server.url)
    return microsoft_sandbox


@pytest.fixture
def db(in_env) -> str:
    return in_env["INTEGRATIONS_DATABASE_URL"]


@pytest.mark.parametrize("body", [b"[" * 100_000 + b"]" * 100_000,
                                  b'{"value": [' + b"[" * 100_000 + b"]" * 100_000 + b"]}",
                                  b'{"value": [{"subscriptionId": "s", "clientState": ' + b"{" * 1 + b"}",
                                  b"\xff\xfe not utf-8"])
async def test_a_body_that_cannot_parse_is_a_400_never_a_traceback(server, body):
    logged = len(server.log())
    answer = httpx.post(server.url + PATH, content=body, headers={"Content-Type": "application/json"}, timeout=30)
    assert answer.status_code == 400, answer.text
    assert "Traceback" not in server.log()[logged:] and "RecursionError" not in server.log()[logged:]


async def test_more_items_than_the_cap_are_refused_and_nothing_is_enqueued(msb, server, db):
    box = Mailbox(msb, db)
    await box.reconcile()
    subscription = box.subscription()
    known = item(subscription.id, subscription.client_state)
    unknown = [item(str(uuid.uuid4()), "anything") for _ in range(MAX_ITEMS)]
    answer = post(server, [known, *unknown])
    assert answer.status_code == 400 and b"at most" in answer.content
    assert jobs(box.url, box.id) == [] and received(box.url, box.id) == {}
    assert post(server, [known, *unknown[:-1]]).status_code == 202  # at the cap: accepted
    assert jobs(box.url, box.id) == [(MAIL_TASK, "todo")]


async def test_an_item_without_a_client_state_refuses_the_delivery_whatever_the_others(msb, server, db):
    box = Mailbox(msb, db)
    await box.reconcile()
    subscription = box.subscription()
    known = item(subscription.id, subscription.client_state)
    assert post(server, [known] * 500 + [item(str(uuid.uuid4()), "")]).status_code == 403
    assert jobs(box.url, box.id) == []
    assert post(server, [known] * 500).status_code == 202  # the same subscription 500 times: one notice
    assert jobs(box.url, box.id) == [(MAIL_TASK, "todo")] and received(box.url, box.id) == {MAIL: 1}


@pytest.fixture
def one_slot_server(serve_env, sandbox, tmp_path):
    """A serve of its own running one webhook handler at a time, that has never fetched Google's certs."""
    running = Server({**serve_env, "INTEGRATIONS_PUBLIC_URL": f"http://127.0.0.1:{free_port()}",
                      "INTEGRATIONS_WEBHOOK_CONCURRENCY": "1", "INTEGRATIONS_WEBHOOK_WAIT_SECONDS": "0"},
                     tmp_path / "serve.log")
    yield running
    sandbox.clear_faults()
    running.stop()


async def test_past_the_concurrency_bound_webhooks_answer_503_at_once_and_healthz_still_answers(
        one_slot_server, sandbox):
    fault = sandbox.add_fault(r"/oauth2/v1/certs", kind="hold", count=None, probability=1.0)
    held: list[int] = []
    busy = threading.Thread(target=lambda: held.append(post_forged(one_slot_server.url + "/webhooks/google/gmail")))
    busy.start()  # its handler waits on Google's certs, holding the one slot
    try:
        assert sandbox.wait_held(fault["id"], 1, timeout=30)
        over = httpx.post(one_slot_server.url + PATH, json={"value": [item(str(uuid.uuid4()), "x")]}, timeout=10)
        assert over.status_code == 503 and over.headers.get("retry-after")
        assert httpx.get(one_slot_server.url + "/healthz", timeout=10).status_code == 200
    finally:
        sandbox.release(fault["id"])
        busy.join()
    assert held == [401]
    after = httpx.post(one_slot_server.url + PATH, json={"value": [item(str(uuid.uuid4()), "x")]}, timeout=10)
    assert after.status_code == 404  # the slot is free again: handled (an unknown subscription)
