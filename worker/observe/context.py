"""The job a line of log belongs to: connection, capability, provider and job id, as contextvars.

A procrastinate worker middleware sets them where every job starts (`job_middleware`, installed on
the app for every worker); code deeper down adds what it learns (`bind`). asyncio copies contextvars
into each task, so concurrent jobs on one event loop never see each other's fields.
"""

from __future__ import annotations

import contextlib
import contextvars
from typing import Any, Iterator

FIELDS = ("job_id", "task", "provider", "capability", "connection_id")

_fields: contextvars.ContextVar[dict[str, Any] | None] = contextvars.ContextVar("integrations_log_fields",
                                                                              default=None)


def current() -> dict[str, Any]:
    """The fields known here (a copy)."""
    return dict(_fields.get() or {})


@contextlib.contextmanager
def bind(**fields: Any) -> Iterator[None]:
    """Add fields (None values are skipped) for the code inside the block."""
    merged = {**(_fields.get() or {}), **{k: str(v) for k, v in fields.items() if v is not None}}
    token = _fields.set(merged)
    try:
        yield
    finally:
        _fields.reset(token)


def fields_of_job(task_name: str, job_id: int | None, kwargs: dict[str, Any]) -> dict[str, Any]:
    """`google:sync_inbox_live` → provider google, capability sync_inbox_live (tasks are named after
    their capability on the provider's namespace); the connection from the job's arguments."""
    provider, _, name = task_name.rpartition(":")
    fields: dict[str, Any] = {"job_id": job_id, "task": task_name, "connection_id": kwargs.get("connection_id")}
    if provider:
        fields.update(provider=provider, capability=name)
    return fields


async def job_middleware(call_next, context, worker):
    """procrastinate worker middleware: every job runs with its fields bound."""
    job = context.job
    with bind(**fields_of_job(job.task_name, job.id, job.task_kwargs or {})):
        return await call_next()
