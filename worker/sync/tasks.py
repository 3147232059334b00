"""The task of a live or manual capability, for any provider: open its context, run, record.

Providers declare their sync tasks with these instead of writing the same wrapper per capability;
the task's name on the provider's Blueprint is the capability's.
"""

from __future__ import annotations

from typing import Any, Awaitable, Callable

from pydantic import BaseModel

from worker.app import app
from worker.sync.outcome import run_capability

OpenContext = Callable[[Any, Any, str], Any]  # (pool, connection_id, capability) → async context manager


def live_task(blueprint, capability: str, open_context: OpenContext, run: Callable[[Any], Awaitable[dict]]):
    """A live capability's task: `run(ctx)` once, the outcome on the capability's own row."""

    async def task(connection_id: str) -> dict:
        pool = app.connector.pool

        async def body() -> dict:
            async with open_context(pool, connection_id, capability) as ctx:
                return await run(ctx)

        return await run_capability(pool, connection_id, capability, body)

    task.__name__ = task.__qualname__ = capability
    return blueprint.task(name=capability)(task)


def once_task(blueprint, capability: str, params_model: type[BaseModel], open_context: OpenContext,
              run: Callable[[Any, Any, str], Awaitable[dict]]):
    """A manual capability's task: `run(ctx, params, run_id)`, the outcome on the run's own row."""

    async def task(connection_id: str, params: dict, run_id: str) -> dict:
        pool = app.connector.pool

        async def body() -> dict:  # invalid parameters are a failure of the run, recorded like any
            validated = params_model.model_validate(params)
            async with open_context(pool, connection_id, capability) as ctx:
                return await run(ctx, validated, run_id)

        return await run_capability(pool, connection_id, capability, body, stream=f"run:{run_id}")

    task.__name__ = task.__qualname__ = capability
    return blueprint.task(name=capability)(task)
