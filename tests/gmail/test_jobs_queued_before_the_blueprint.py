"""Google's tasks moved onto a Blueprint (`google:<task>`); a job queued under the old name
(`google.<task>`) before an upgrade still runs the same task."""

import pytest
from procrastinate import tasks as procrastinate_tasks

from tests.gmail.conftest import SYNC_QUEUES
from worker.app import open_app_async
from worker.db.connect import connect

pytestmark = pytest.mark.asyncio


async def test_a_job_queued_under_the_old_task_name_still_runs(mailbox):
    box = mailbox(email="old-name@tenant.example")
    message = box.add("queued before the upgrade")
    async with open_app_async(box.url) as app:
        # a job row under the old name, as the previous release wrote it (not resolved through the app)
        old = procrastinate_tasks.configure_task(name="google.sync_inbox_live", job_manager=app.job_manager)
        job_id = await old.defer_async(connection_id=str(box.id))
        await app.run_worker_async(concurrency=1, wait=False, queues=SYNC_QUEUES)
    with connect(box.url) as conn:
        job = conn.execute("select task_name, status from procrastinate_jobs where id = %s", (job_id,)).fetchone()
    assert (job["task_name"], job["status"]) == ("google.sync_inbox_live", "succeeded")
    assert message in box.heads() and box.state()["status"] == "ok"
