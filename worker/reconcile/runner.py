"""Runs the reconcile of each live capability of a connection and records it in sync_state.

Which capabilities reconcile, and how, is the registry's: each declares its reconciler; the
comparison is worker/sync/reconcile.py.
"""

from __future__ import annotations

from worker.errors import BadInput
from worker.registry import capabilities_of_kind, capability_key, get_provider
from worker.store.sync_state import save_reconcile, stream_key
from worker.sync.reconcile import Reconciliation, reconcile


def reconcilable_keys() -> list[str]:
    """`provider:capability` of every capability that declares a reconciler."""
    return sorted(capability_key(p.name, c.name) for p, c in capabilities_of_kind("live") if c.reconciler)


async def reconcile_connection(pool, connection: dict, capability: str | None = None,
                               repair: bool = False) -> list[Reconciliation]:
    provider = get_provider(connection["provider"])
    reconcilable = [name for name, spec in provider.capabilities.items() if spec.reconciler is not None]
    chosen = [c for c in connection["capabilities"] if c in reconcilable]
    if capability is not None:
        if capability not in reconcilable:
            raise BadInput(f"{capability} has nothing to reconcile (live capabilities: {', '.join(reconcilable)})")
        if capability not in connection["capabilities"]:
            raise BadInput(f"{capability} is not enabled on connection {connection['id']}")
        chosen = [capability]
    results = []
    for name in chosen:
        async with provider.open_context(pool, connection["id"], name) as ctx:
            result = await reconcile(provider.capability(name).reconciler(ctx), repair)
        async with pool.connection() as conn:
            await save_reconcile(conn, stream_key(connection["id"], name), result.summary())
        results.append(result)
    return results
