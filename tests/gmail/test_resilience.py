"""Tokens, quota, faults, resumption and isolation: a sync gets slower or retries, never loses data."""

import pytest

from tests.gmail.conftest import SYNC_QUEUES
from tests.gmail.isolated import own_mailbox  # noqa: F401  (fixture: the killed worker takes every job it finds)
from worker.api import send_email, sync_once
from worker.app import open_app_async
from worker.db.connect import connect
from worker.providers.google.client.errors import MalformedResponse

pytestmark = pytest.mark.asyncio


async def drain(url):
    async with open_app_async(url) as app:
        await app.run_worker_async(concurrency=2, wait=False, queues=SYNC_QUEUES)


def creds(box):
    from worker.connections import load_credentials
    from worker.crypto import keyring_from_settings
    from worker.settings import get_settings
    return load_credentials(keyring_from_settings(get_settings()), box.row())


async def test_expired_access_token_is_refreshed_and_persisted(mailbox):
    box = mailbox()
    box.add("m")
    old = creds(box)["token"]
    box.sandbox.expire_access_tokens(box.email)
    await box.run_live()
    assert box.state()["status"] == "ok"
    assert creds(box)["token"] != old
    assert box.sandbox.count_requests(path="/token") >= 1


async def test_revoked_refresh_token_marks_needs_reauth_and_keeps_data(mailbox):
    box = mailbox()
    box.add("before revoke")
    await box.run_live()
    staged = box.raw_count()
    cursor = box.state()["cursor"]
    box.sandbox.revoke_refresh_tokens(box.email)
    box.sandbox.expire_access_tokens(box.email)
    box.add("after revoke")
    await box.run_live()
    row = box.row()
    assert row["status"] == "needs_reauth" and "reconnect" in row["status_reason"]
    state = box.state()
    assert state["status"] == "needs_reauth" and "reconnect" in state["last_error"]
    assert box.raw_count() == staged and state["cursor"] == cursor
    from worker.store import query
    with connect(box.url) as conn:
        conn.execute("update integrations.sync_state set next_run_at = null where connection_id = %s", (box.id,))
        due = conn.execute(query("sync_state.due_live"),
                           {"capabilities": ["sync_inbox_live"], "push_poll_seconds": 900}).fetchall()
    assert box.id not in {row["connection_id"] for row in due}  # its live jobs stop rescheduling


async def test_rate_limits_and_server_errors_make_the_sync_slower_not_failed(mailbox):
    box = mailbox()
    ids = [box.add(f"m{i}") for i in range(30)]
    # faults apply to single calls and to the inner calls of a batch (never to the /batch envelope)
    rules = [box.sandbox.add_fault(r"/messages/[^/]+$", kind="status", status=429, count=2, retry_after=0),
             box.sandbox.add_fault(r"/messages$", kind="status", status=503, count=1),
             box.sandbox.add_fault(r"/profile", kind="reset", count=1)]
    box.sandbox.clear_requests()
    await box.run_live()
    assert box.state()["status"] == "ok"
    assert set(box.heads()) == set(ids)
    assert [box.sandbox.faults.get(rule["id"]).fired for rule in rules] == [2, 1, 1], "every fault really fired"
    assert box.sandbox.count_requests(status=429) == 2 and box.sandbox.count_requests(status=503) == 1
    assert box.sandbox.count_requests(status=429, in_batch=True) == 2  # the rate-limited inner messages.get


async def test_quota_window_paces_a_sync_without_failing(mailbox):
    box = mailbox()
    ids = [box.add(f"m{i}") for i in range(40)]
    box.sandbox.set_quota(units_per_window=120, window_seconds=1.0)
    await box.run_live()
    assert box.state()["status"] == "ok" and set(box.heads()) == set(ids)
    assert box.sandbox.count_requests(status=429) >= 1  # the quota really was hit


async def test_malformed_response_is_recorded_and_the_cursor_does_not_move(mailbox):
    box = mailbox()
    box.add("a")
    await box.run_live()
    cursor = box.state()["cursor"]
    box.add("b")
    box.sandbox.add_fault(r"/history", kind="invalid_json", count=1)
    with pytest.raises(MalformedResponse, match=r"GET .*/history returned a body that is not JSON"):
        async with open_app_async(box.url):
            from worker.providers.google.gmail.tasks import sync_inbox_live
            await sync_inbox_live(connection_id=str(box.id))
    state = box.state()
    assert state["status"] == "failing" and "not JSON" in state["last_error"]
    assert state["cursor"] == cursor and state["consecutive_failures"] == 1
    await box.run_live()  # the next run retries and catches up
    assert box.state()["status"] == "ok" and len(box.heads()) == 2


async def test_a_full_sync_failing_on_its_third_listing_call_resumes_at_the_page_it_was_on(mailbox, monkeypatch):
    import worker.providers.google.gmail.live as live
    box = mailbox()
    ids = [box.add(f"m{i}") for i in range(12)]
    monkeypatch.setattr(live.GmailApi, "list_messages",
                        _small_pages(live.GmailApi.list_messages, 5))
    # the third listing call raises (an in-process failure; the SIGKILL variant is below): pages 1
    # and 2 (10 messages) are committed first
    calls = {"n": 0}
    original = live.GmailApi.list_messages

    async def failing(self, **kw):
        calls["n"] += 1
        if calls["n"] == 3:
            raise RuntimeError("listing failed")
        return await original(self, **kw)

    monkeypatch.setattr(live.GmailApi, "list_messages", failing)
    with pytest.raises(RuntimeError):
        async with open_app_async(box.url):
            from worker.providers.google.gmail.tasks import sync_inbox_live
            await sync_inbox_live(connection_id=str(box.id))
    cursor = box.state()["cursor"]
    assert cursor["full"]["pageToken"] and len(box.heads()) == 10
    box.sandbox.clear_requests()
    await box.run_live()
    assert set(box.heads()) == set(ids)
    assert box.sandbox.count_requests(method_id="gmail.users.messages.get") == 2  # only what was left


async def test_a_full_sync_whose_worker_is_sigkilled_resumes_at_the_uncommitted_page(own_mailbox, tmp_path):  # noqa: F811
    """A real `integrations worker` process dies (SIGKILL) while Google holds its request for the
    third page: pages 1 and 2 and their cursor are committed, nothing after; the recovered job
    resumes at page 3 and never fetches what was staged again."""
    from tests.fixtures.killable import KillableWorker, doing_jobs, recover
    from worker.tasks.dispatch import defer_live

    box = own_mailbox()
    ids = [box.add(f"m{i}") for i in range(12)]  # pages of 5: 5, 5, 2
    page_three = box.sandbox.add_fault(r"/gmail/v1/users/me/messages$", method="GET", kind="hold", skip=2)
    async with open_app_async(box.url):
        await defer_live(box.id, "sync_inbox_live")
    worker = KillableWorker(box.url, tmp_path / "worker.log", module="tests.gmail.small_pages_worker", args=("5",))
    try:
        assert box.sandbox.wait_held(page_three["id"], timeout=60), worker.output()
        [job] = doing_jobs(box.url)
        worker.sigkill()
    finally:
        worker.stop()
        box.sandbox.clear_faults()  # lets the held request go; its answer reaches no one
    state = box.state()
    assert state["status"] == "running" and state["cursor"]["full"]["pageToken"]
    assert len(box.heads()) == 10  # pages 1 and 2, committed with their cursor

    box.sandbox.clear_requests()
    await recover(box.url, job["id"])
    await drain(box.url)
    assert set(box.heads()) == set(ids)
    assert box.state()["status"] == "ok"
    assert box.sandbox.count_requests(method_id="gmail.users.messages.get") == 2  # only what was left


def _small_pages(method, size):
    async def call(self, **kw):
        kw["max_results"] = size
        return await method(self, **kw)
    return call


async def test_failing_history_is_isolated_from_send_and_backs_off(mailbox):
    box = mailbox()
    box.add("a")
    await box.run_live()
    box.sandbox.add_fault(r"/history", kind="status", status=400, count=None, probability=1.0)
    for _ in range(2):
        with connect(box.url) as conn:
            conn.execute("update integrations.sync_state set next_run_at = null where connection_id = %s", (box.id,))
            conn.commit()
        await box.run_live()
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="still works", text="x")
    await drain(box.url)
    with connect(box.url) as conn:
        states = {r["capability"]: r for r in conn.execute(
            "select * from integrations.sync_state where connection_id = %s and stream = ''", (box.id,)).fetchall()}
        sent = conn.execute("select status from integrations.outbound where id = %s", (result["outbound_id"],)).fetchone()
        backoff = conn.execute("select next_run_at - now() as wait from integrations.sync_state where connection_id = %s"
                               " and capability = 'sync_inbox_live'", (box.id,)).fetchone()["wait"]
    assert sent["status"] == "done"
    assert states["sync_inbox_live"]["status"] == "failing" and states["sync_inbox_live"]["consecutive_failures"] == 2
    assert states["send_email"]["status"] == "ok" and states["send_email"]["consecutive_failures"] == 0
    assert backoff.total_seconds() > 60  # slower retries, not stopped


async def test_once_sync_stages_matches_and_leaves_the_live_cursor_alone(mailbox):
    box = mailbox()
    box.add("invoice 1")
    await box.run_live()
    live_cursor = box.state()["cursor"]
    hits = [box.add(f"invoice {i}", labels=("CATEGORY_UPDATES",)) for i in range(3)]
    box.add("unrelated", labels=("CATEGORY_UPDATES",))
    queued = await sync_once(box.url, box.id, "sync_inbox_once", {"query": "subject:invoice", "max": 10})
    await drain(box.url)
    assert box.state()["cursor"] == live_cursor
    run = box.state("sync_inbox_once", f"run:{queued['run_id']}")
    assert run["cursor"]["done"] and run["cursor"]["staged"] == 4
    with connect(box.url) as conn:
        once_ids = {r["external_id"] for r in conn.execute(
            "select external_id from integrations.raw_records where connection_id = %s and capability = 'sync_inbox_once'",
            (box.id,)).fetchall()}
    assert set(hits) <= once_ids


async def test_token_expiring_between_batch_parts_is_refreshed_once_and_parts_retried(mailbox):
    box = mailbox()
    ids = [box.add(f"m{i}") for i in range(4)]
    # the batch call authenticates, then one inner call meets an expired token
    box.sandbox.add_fault(rf"/messages/{ids[1]}$", kind="status", status=401, count=1)
    await box.run_live()
    assert box.state()["status"] == "ok" and set(box.heads()) == set(ids)
    assert box.sandbox.count_requests(path="/token") == 1


async def test_batch_parts_answering_401_forever_stop_after_two_token_refreshes_and_record_the_failure(mailbox):
    from worker.providers.google.client.http import MAX_BATCH_TOKEN_REFRESHES

    box = mailbox()
    ids = [box.add(f"m{i}") for i in range(3)]
    # every inner messages.get answers 401, whatever token it carries (300 firings outlast any bounded run)
    box.sandbox.add_fault(r"/gmail/v1/users/me/messages/[^/]+$", kind="status", status=401, count=300)
    box.sandbox.clear_requests()
    await box.run_live()
    assert MAX_BATCH_TOKEN_REFRESHES == 2
    assert box.sandbox.count_requests(path="/token") == 2
    assert box.sandbox.count_requests(method_id="batch") == 3  # the first try and one after each refresh
    assert box.sandbox.count_requests(status=401, in_batch=True) == 3 * 3
    state = box.state()
    assert state["status"] == "failing" and state["consecutive_failures"] == 1
    assert "401" in state["last_error"] and "after 2 token refreshes" in state["last_error"]
    assert box.heads() == {}
    assert box.row()["status"] == "active"  # the refresh token still works: not a revoked grant

    box.sandbox.clear_faults()
    await box.run_live()  # the next run (after its backoff) catches up
    assert box.state()["status"] == "ok" and set(box.heads()) == set(ids)


async def test_a_draft_whose_answer_times_out_is_not_created_again_in_process(mailbox, monkeypatch):
    import asyncio

    from worker.settings import get_settings

    box = mailbox()
    monkeypatch.setenv("INTEGRATIONS_HTTP_TIMEOUT_SECONDS", "1")
    get_settings.cache_clear()
    # Google creates the draft but answers after the client gave up
    box.sandbox.add_fault(r"/drafts$", method="POST", kind="delay", delay_seconds=3, count=1)
    box.sandbox.clear_requests()
    result = await send_email(box.url, box.id, to=["bob@ext.example"], subject="Draft", text="d", draft=True)
    await drain(box.url)
    while not [r for r in box.sandbox.requests(method_id="gmail.users.drafts.create") if r.get("fault") == "delay"]:
        await asyncio.sleep(0.05)  # the delayed request is logged once the sandbox has answered it
    assert box.sandbox.count_requests(method_id="gmail.users.drafts.create") == 1
    state = box.state("send_email")
    assert state["status"] == "failing" and "not retried" in state["last_error"]
    with connect(box.url) as conn:
        row = conn.execute("select status, attempts from integrations.outbound where id = %s",
                           (result["outbound_id"],)).fetchone()
    assert (row["status"], row["attempts"]) == ("sending", 1)
