"""Google's procrastinate Blueprint: every Google task, bound under the `google` namespace.

Tasks only orchestrate: open the connection's Google context, run the capability, record its
outcome on its own sync_state row.
"""

from __future__ import annotations

from typing import Awaitable, Callable

import procrastinate

from worker.app import app
from worker.providers.google.context import GoogleContext, open_google_context
from worker.sync.outcome import run_capability

blueprint = procrastinate.Blueprint()

# actions are retried by the queue; exactly-once comes from the outbound row, not from the queue
ACTION_RETRY = procrastinate.RetryStrategy(max_attempts=10, exponential_wait=2)


async def run_google(connection_id: str, capability: str, work: Callable[[GoogleContext], Awaitable[dict]],
                     stream: str = "") -> dict:
    """Open the connection's Google context for `capability`, run `work(ctx)`, record the outcome."""
    pool = app.connector.pool

    async def body():
        async with open_google_context(pool, connection_id, capability) as ctx:
            return await work(ctx)

    return await run_capability(pool, connection_id, capability, body, stream=stream)
