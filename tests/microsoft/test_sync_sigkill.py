"""A real `integrations worker` SIGKILLed while Graph holds its request for the third delta page of
a full sync: the first two pages and their nextLink are committed, nothing after; the recovered
job resumes at that nextLink and never reads what was staged again. Mail and calendar."""

import pytest

from tests.microsoft.conftest import SCOPES, Outlook, drain
from tests.microsoft.test_calendar import CAL_SCOPES, event
from worker.app import open_app_async
from worker.settings import get_settings
from worker.tasks.dispatch import defer_live

pytestmark = pytest.mark.asyncio


@pytest.fixture
def own_outlook(msb, make_database, monkeypatch):
    """An Outlook connection in a database of its own (the worker subprocess takes every job it finds),
    delta pages of 2."""
    url = make_database.create(prefix="mskill")
    monkeypatch.setenv("INTEGRATIONS_DATABASE_URL", url)
    monkeypatch.setenv("INTEGRATIONS_MICROSOFT_PAGE_SIZE", "2")
    get_settings.cache_clear()
    return lambda capabilities, scopes: Outlook(msb, url, "ana@tenant.example", capabilities, scopes)


async def kill_on_the_third_page(box, capability: str, path: str, tmp_path) -> int:
    from tests.fixtures.killable import KillableWorker, doing_jobs

    page_three = box.sandbox.add_fault(path, method="GET", kind="hold", skip=2)
    async with open_app_async(box.url):
        await defer_live(box.id, capability)
    worker = KillableWorker(box.url, tmp_path / "worker.log")
    try:
        assert box.sandbox.wait_held(page_three["id"], timeout=60), worker.output()
        [job] = doing_jobs(box.url)
        worker.sigkill()
    finally:
        worker.stop()
        box.sandbox.clear_faults()  # lets the held request go; its answer reaches no one
    return job["id"]


async def test_a_killed_mail_full_sync_resumes_at_its_next_link(own_outlook, tmp_path):
    from tests.fixtures.killable import recover

    box = own_outlook({"sync_inbox_live": {"folders": ["inbox"]}}, SCOPES)
    ids = [box.add(f"m{i}") for i in range(5)]  # pages of 2: 2, 2, 1
    job = await kill_on_the_third_page(box, "sync_inbox_live", r"/messages/delta$", tmp_path)
    state = box.states()["inbox"]
    assert state["cursor"]["full"]["pageToken"] and len(box.heads()) == 4

    box.sandbox.clear_requests()
    await recover(box.url, job)
    await drain(box.url)
    assert set(box.heads()) == set(ids) and box.states()["inbox"]["status"] == "ok"
    read_again = [r for r in box.sandbox.requests(path=r"/me/messages/[^/]+$", method="GET")]
    assert len(read_again) == 1  # only the message of the page that was not committed


async def test_a_killed_calendar_full_sync_resumes_at_its_next_link(own_outlook, tmp_path):
    from tests.fixtures.killable import recover

    box = own_outlook({"sync_calendar_live": {}}, CAL_SCOPES)
    ids = [box.sandbox.import_event(box.email, event(f"e{i}", i + 1))["id"] for i in range(5)]
    job = await kill_on_the_third_page(box, "sync_calendar_live", r"/calendarView/delta$", tmp_path)
    assert box.states("sync_calendar_live")["default"]["cursor"]["full"]["pageToken"]
    assert len(box.heads("outlook.event")) == 4

    box.sandbox.clear_requests()
    await recover(box.url, job)
    await drain(box.url)
    assert set(box.heads("outlook.event")) == set(ids)
    assert box.states("sync_calendar_live")["default"]["status"] == "ok"
    first_page = [r for r in box.sandbox.requests(path=r"/calendarView/delta$") if "startDateTime" in r["query"]]
    assert first_page == []  # resumed at the stored nextLink, not from the window's start
