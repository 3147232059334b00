"""A worker SIGKILLed right after a refresh — while QBO holds the first request made with the new
access token — loses nothing: the rotated refresh token was committed before that request."""

import pytest

from tests.quickbooks.conftest import Company, drain
from worker.settings import get_settings

pytestmark = pytest.mark.asyncio


async def test_worker_killed_between_the_token_answer_and_its_use_keeps_the_rotated_token(
        qsb, make_database, monkeypatch, tmp_path):
    from tests.fixtures.killable import KillableWorker, doing_jobs, recover
    from worker.app import open_app_async
    from worker.tasks.dispatch import defer_live

    url = make_database.create(prefix="qbkill")  # the worker subprocess takes every job it finds
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    get_settings.cache_clear()
    co = Company(qsb, url, {"sync_accounting_live": {"entities": ["Customer"]}})  # one request at a time
    co.customer("Ana Books")
    first = co.credentials()["refresh_token"]
    qsb.refresh_grace_seconds = 0  # the old refresh token dies the moment it is used
    qsb.expire_access_tokens(co.realm)
    # the first query (with the expired access token) is refused 401; the second, made with the
    # token the refresh just learned, is held at QuickBooks
    held = qsb.add_fault(r"/query", kind="hold", skip=1)
    async with open_app_async(url):
        await defer_live(co.id, "sync_accounting_live")
    worker = KillableWorker(url, tmp_path / "worker.log")
    try:
        assert qsb.wait_held(held["id"], timeout=60), worker.output()  # refreshed, then using the new token
        assert co.credentials()["refresh_token"] != first  # stored before it was used
        [job] = doing_jobs(url)
        worker.sigkill()
    finally:
        worker.stop()
        qsb.release(held["id"])
        qsb.clear_faults()
    await recover(url, job["id"])
    await drain(url)
    assert co.row()["status"] == "active"
    assert co.states()["customer"]["status"] == "ok" and len(co.live()) == 1
