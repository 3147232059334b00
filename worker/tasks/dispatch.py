"""Dispatch from the registry: which task runs a (provider, capability), bound to the app on demand.

Every provider's tasks live on its procrastinate Blueprint; binding adds them to the app under the
provider's namespace (`google:sync_inbox_live`), so two providers' capabilities of one name never
run each other's task.
"""

from __future__ import annotations

from procrastinate.exceptions import AlreadyEnqueued

from worker.app import app
from worker.capabilities import Capability, Provider
from worker.registry import all_providers, capabilities_of_kind, capability_key, get_provider
from worker.settings import get_settings
from worker.store.connections import dict_connection, fetch_connection
from worker.store.sync_state import due_live


def bind(provider: Provider) -> None:
    """Add the provider's Blueprint to the app once (idempotent; a worker binds them all at start)."""
    blueprint = provider.blueprint
    if blueprint is None or not blueprint.tasks:
        return
    if any(task.blueprint is app for task in blueprint.tasks.values()):
        return
    app.add_tasks_from(blueprint, namespace=provider.name)
    for alias, task in provider.task_aliases.items():
        app.add_task_alias(app.tasks[provider.task_name(task)], alias)


def bind_all() -> None:
    for provider in all_providers():
        bind(provider)


def task_of(provider: Provider, capability: Capability):
    if capability.task is None:
        raise LookupError(f"{provider.name} {capability.name} has no task")
    bind(provider)
    return app.tasks[provider.task_name(capability.task)]


def capability_lock(connection_id, capability: str) -> str:
    return f"{connection_id}:{capability}"


async def _provider_of(connection_id) -> str:
    async with dict_connection(app.connector.pool) as conn:
        row = await fetch_connection(conn, connection_id)
    if row is None:
        raise LookupError(f"connection {connection_id} no longer exists")
    return row["provider"]


async def defer_live(connection_id, capability: str, *, provider: str | None = None, connection=None) -> int | None:
    """Enqueue a live run; a run already queued for this capability makes this a no-op."""
    spec = get_provider(provider or await _provider_of(connection_id))
    task = task_of(spec, spec.capability(capability))
    lock = capability_lock(connection_id, capability)
    try:
        return await task.configure(lock=lock, queueing_lock=lock, connection=connection) \
            .defer_async(connection_id=str(connection_id))
    except AlreadyEnqueued:
        return None


async def schedule_due_live_syncs() -> int:
    """Defer every live capability whose next run is due; returns how many were enqueued."""
    live = {capability_key(p.name, c.name) for p, c in capabilities_of_kind("live")}
    async with app.connector.pool.connection() as conn:
        due = await due_live(conn, sorted(live), get_settings().push_poll_interval_seconds)
    enqueued = 0
    for connection_id, _tenant, provider, capability in due:
        if await defer_live(connection_id, capability, provider=provider) is not None:
            enqueued += 1
    return enqueued
