"""Runs the reconcile of each live capability of a connection and records it in sync_state."""

from __future__ import annotations

from psycopg.types.json import Jsonb

from worker.providers.google.context import google_context
from worker.reconcile.result import Reconciliation
from worker.store import query

RECONCILERS = {
    "sync_inbox_live": ("gmail", "worker.reconcile.gmail:reconcile_gmail"),
    "sync_calendar_live": ("calendar", "worker.reconcile.calendar:reconcile_calendar"),
}


def _load(path: str):
    import importlib

    module, _, attr = path.partition(":")
    return getattr(importlib.import_module(module), attr)


async def reconcile_connection(pool, connection: dict, capability: str | None = None,
                               repair: bool = False) -> list[Reconciliation]:
    from worker.errors import BadInput

    chosen = [c for c in connection["capabilities"] if c in RECONCILERS]
    if capability is not None:
        if capability not in RECONCILERS:
            raise BadInput(f"{capability} has nothing to reconcile (live capabilities: {', '.join(RECONCILERS)})")
        if capability not in connection["capabilities"]:
            raise BadInput(f"{capability} is not enabled on connection {connection['id']}")
        chosen = [capability]
    results = []
    for name in chosen:
        api, path = RECONCILERS[name]
        async with google_context(pool, connection["id"], api) as ctx:
            result = await _load(path)(ctx, repair)
        async with pool.connection() as conn:
            await conn.execute(query("sync_state.lock"), {"connection_id": connection["id"], "capability": name,
                                                          "stream": ""})
            await conn.execute(query("reconcile.save"), {"connection_id": connection["id"], "capability": name,
                                                         "result": Jsonb(result.summary())})
        results.append(result)
    return results
