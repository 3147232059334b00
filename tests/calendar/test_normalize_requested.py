"""A calendar sync asks for normalization the way production does -- one coalesced normalize job
for all its staged pages -- and that job builds the meetings (real dbt, nothing stubbed)."""

import pytest

from worker.app import open_app_async
from worker.db.connect import connect

pytestmark = pytest.mark.asyncio


def normalize_jobs(url: str) -> list[dict]:
    with connect(url) as conn:
        return conn.execute("select id, status from procrastinate_jobs where task_name = 'normalize' order by id"
                            ).fetchall()


async def test_staged_pages_queue_one_normalize_job_that_builds_the_meetings(own_calendar_account, small_pages):
    acct = own_calendar_account()
    ids = [acct.add(f"meeting {i}", day=i + 1) for i in range(5)]  # three pages of two: three staged commits
    assert normalize_jobs(acct.url) == []
    await acct.run()
    assert set(acct.heads()) == {acct.key(i) for i in ids}
    jobs = normalize_jobs(acct.url)
    assert [j["status"] for j in jobs] == ["todo"]  # the requests of the three pages coalesced into one

    async with open_app_async(acct.url) as app:
        await app.run_worker_async(concurrency=1, wait=False, queues=["normalize"])
    after = {j["id"]: j["status"] for j in normalize_jobs(acct.url)}
    assert after[jobs[0]["id"]] == "succeeded"  # (the worker's periodic normalize adds runs of its own)
    with connect(acct.url) as conn:
        meetings = conn.execute("select title, start_at from product.meetings where tenant_id = %s order by title",
                                (acct.tenant_id,)).fetchall()
    assert [m["title"] for m in meetings] == [f"meeting {i}" for i in range(5)]
    assert [m["start_at"].isoformat() for m in meetings] == [f"2030-01-0{i + 1}T09:00:00+00:00" for i in range(5)]
