"""Google's procrastinate tasks: they only orchestrate (open context → run capability → record)."""

from __future__ import annotations

import logging
from typing import Awaitable, Callable

import procrastinate
from procrastinate.exceptions import AlreadyEnqueued

from worker.app import MAINTENANCE, app
from worker.providers.google.context import GoogleContext, google_context
from worker.store import query
from worker.sync.runner import run_capability

logger = logging.getLogger(__name__)

# capability -> task name; other modules (Calendar) register theirs here
LIVE_TASKS: dict[str, str] = {"sync_inbox_live": "google.sync_inbox_live"}
ONCE_TASKS: dict[str, tuple[str, str]] = {
    "sync_inbox_once": ("google.sync_inbox_once", "worker.providers.google.gmail.once:InboxOnceParams"),
}


def capability_lock(connection_id, capability: str) -> str:
    return f"{connection_id}:{capability}"


async def defer_live(connection_id, capability: str, connection=None) -> int | None:
    """Enqueue a live run; a run already queued for this capability makes this a no-op."""
    task = app.tasks[LIVE_TASKS[capability]]
    lock = capability_lock(connection_id, capability)
    try:
        return await task.configure(lock=lock, queueing_lock=lock, connection=connection) \
            .defer_async(connection_id=str(connection_id))
    except AlreadyEnqueued:
        return None


async def run_google(connection_id: str, capability: str, api: str, work: Callable[[GoogleContext], Awaitable[dict]],
                     stream: str = "") -> dict:
    """Open the connection's Google context, run `work(ctx)`, record the outcome for the capability."""
    pool = app.connector.pool

    async def body():
        async with google_context(pool, connection_id, api) as ctx:
            return await work(ctx)

    return await run_capability(pool, connection_id, capability, body, stream=stream)


@app.task(name="google.sync_inbox_live")
async def sync_inbox_live(connection_id: str) -> dict:
    from worker.providers.google.gmail.live import sync_inbox_live as run

    return await run_google(connection_id, "sync_inbox_live", "gmail", run)


@app.task(name="google.sync_inbox_once")
async def sync_inbox_once(connection_id: str, params: dict, run_id: str) -> dict:
    from worker.providers.google.gmail.once import InboxOnceParams, sync_inbox_once as run

    return await run_google(connection_id, "sync_inbox_once", "gmail",
                            lambda ctx: run(ctx, InboxOnceParams.model_validate(params), run_id), stream=f"run:{run_id}")


SEND_RETRY = procrastinate.RetryStrategy(max_attempts=10, exponential_wait=2)


@app.task(name="google.send_email", retry=SEND_RETRY, pass_context=True)
async def send_email(context: procrastinate.JobContext, connection_id: str, outbound_id: str) -> dict:
    """Retried on failure; exactly-once comes from the outbound row, not from the queue."""
    from worker.providers.google.gmail.send import run_send_job

    final = context.job.attempts >= SEND_RETRY.max_attempts
    return await run_send_job(app.connector.pool, connection_id, outbound_id, final_attempt=final)


def once_task(capability: str, params: dict):
    """The task of a manual capability and its validated parameters (bad ones are BadInput)."""
    from pydantic import ValidationError

    import importlib

    from worker.errors import BadInput

    name, model_path = ONCE_TASKS[capability]
    module, _, attr = model_path.partition(":")
    model = getattr(importlib.import_module(module), attr)
    try:
        validated = model.model_validate(params).model_dump(mode="json")
    except ValidationError as error:
        problems = "; ".join(f"{'.'.join(str(p) for p in e['loc']) or 'parameters'}: {e['msg']}" for e in error.errors())
        raise BadInput(f"invalid parameters for {capability}: {problems}") from None
    return app.tasks[name], validated


async def schedule_due_live_syncs() -> int:
    """Defer every live capability whose next run is due; returns how many were enqueued."""
    async with app.connector.pool.connection() as conn:
        cur = await conn.execute(query("sync_state.due_live"), {"capabilities": list(LIVE_TASKS)})
        due = await cur.fetchall()
    enqueued = 0
    for connection_id, _tenant, _provider, capability in due:
        if await defer_live(connection_id, capability) is not None:
            enqueued += 1
    return enqueued


# every 10 s, so a capability runs within 10 s of its next_run_at (a minute tick would round
# a 60 s interval up to 120 s: each run ends just after the tick that started it)
@app.periodic(cron="* * * * * */10", periodic_id="schedule_live_syncs")
@app.task(name="google.schedule_live_syncs", queue=MAINTENANCE, queueing_lock="schedule_live_syncs")
async def schedule_live_syncs(timestamp: int) -> int:
    return await schedule_due_live_syncs()
