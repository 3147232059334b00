"""A worker SIGKILLed while Graph holds the send request never sends twice."""

import pytest

from tests.microsoft.conftest import SCOPES, Outlook, drain
from tests.microsoft.test_send import SEND, outbound, sent_copies
from worker.api import send_email
from worker.settings import get_settings

pytestmark = pytest.mark.asyncio


async def test_worker_killed_while_graph_holds_the_send_never_sends_twice(msb, make_database, monkeypatch, tmp_path):
    from tests.fixtures.killable import KillableWorker, doing_jobs, recover, wait_for

    url = make_database.create(prefix="msbox")  # the worker subprocess takes every job it finds
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    get_settings.cache_clear()
    box = Outlook(msb, url, "ana@tenant.example", {"send_email": None}, SCOPES)
    held = msb.add_fault(SEND, kind="hold")
    result = await send_email(url, box.id, to=["bob@ext.example"], subject="Killed mid-send", text="x")
    worker = KillableWorker(url, tmp_path / "worker.log")
    try:
        assert msb.wait_held(held["id"], timeout=60), worker.output()  # the request is at Graph
        [job] = doing_jobs(url)
        assert job["id"] == result["job_id"]
        worker.sigkill()
    finally:
        worker.stop()
        msb.release(held["id"])  # Graph carries the send out; its answer reaches no one
    assert wait_for(lambda: len(sent_copies(msb, box.email, result["message_id"])) == 1, timeout=30)
    row = outbound(url, result["outbound_id"])
    assert row["status"] == "sending" and row["attempts"] == 1 and row["provider_id"] is None

    await recover(url, job["id"])
    await drain(url)
    row = outbound(url, result["outbound_id"])
    assert row["status"] == "done" and row["attempts"] == 2
    assert msb.count_requests(path=SEND, method="POST") == 1
    assert [c["id"] for c in sent_copies(msb, box.email, result["message_id"])] == [row["provider_id"]]
