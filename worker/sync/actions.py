"""The job of an outbound action (send an email, ...) for any provider: perform it, and leave its
`integrations.outbound` row in a state the CRM can see.

A revoked grant, or one lacking a scope the action needs, parks the row `waiting_reauth` (a
reconnect queues it again); a request the provider refuses for good ends it `failed`; any other
error is recorded on the row and raised so the queue retries — on the last attempt the row ends
`failed` instead. Exactly-once is the provider's `perform`: its retry looks for what an earlier
attempt may have done before doing it again.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from typing import Any, Awaitable, Callable

import procrastinate
from procrastinate.manager import JobManager
from psycopg.types.json import Jsonb

from worker.app import app
from worker.errors import KeyConflict
from worker.store import query
from worker.store.connections import dict_connection
from worker.sync.errors import Reauth, Transient
from worker.sync.outcome import describe_failure, run_capability

WAITING_REAUTH = "waiting_reauth"


def request_fingerprint(action: str, request: dict[str, Any]) -> str:
    """SHA-256 of the action and its validated request as canonical JSON (sorted keys, no spaces):
    equal for the same request however its fields were ordered."""
    canonical = json.dumps({"action": action, "request": request}, sort_keys=True, separators=(",", ":"),
                           ensure_ascii=False, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def record_outbound(aconn, connection: dict, action: str, request: dict[str, Any],
                          idempotency_key: str | None, message_id_header: str | None = None) -> tuple[dict, bool]:
    """Record a validated request; returns (row, created). A key names one request per connection
    and action: the same request again returns the first row; another request under a known key is
    `KeyConflict` and records nothing (a row from before fingerprints, NULL, is returned as before)."""
    key = idempotency_key or str(uuid.uuid4())
    fingerprint = request_fingerprint(action, request)
    created = await (await aconn.execute(query("outbound.insert"), {
        "connection_id": connection["id"], "tenant_id": connection["tenant_id"], "action": action,
        "idempotency_key": key, "request": Jsonb(request), "request_fingerprint": fingerprint,
        "message_id_header": message_id_header,
    })).fetchone()
    if created:
        return created, True
    first = await (await aconn.execute(query("outbound.by_key"), {
        "connection_id": connection["id"], "action": action, "idempotency_key": key})).fetchone()
    if first["request_fingerprint"] is not None and first["request_fingerprint"] != fingerprint:
        raise KeyConflict(f"idempotency key {key!r} was already used for another {action.replace('_', ' ')}"
                          f" request on connection {connection['id']} (outbound {first['id']}, {first['status']}):"
                          " nothing was queued; use a new key for a new request")
    return first, False


async def mark(pool, name: str, outbound_id, error: str, **params) -> dict | None:
    async with dict_connection(pool) as conn:
        return await (await conn.execute(query(name), {"id": outbound_id, "error": error[:2000], **params})).fetchone()


async def run_action_job(pool, connection_id, outbound_id, *, capability: str, final_attempt: bool,
                         perform: Callable[[], Awaitable[dict]], waits_for_reconnect: Callable[[Exception], bool],
                         refused: tuple[type[BaseException], ...], provider_label: str) -> dict:
    """`perform()` returns the finished outbound row; its outcome is recorded on `capability`'s row."""
    async def body() -> dict:
        try:
            row = await perform()
        except Exception as error:
            reason = describe_failure(error)
            if waits_for_reconnect(error):
                revoked = isinstance(error, Reauth)
                parked = await mark(pool, "outbound.wait_for_reauth", outbound_id,
                                    f"waiting for the account to be reconnected: {reason}",
                                    only_while_needs_reauth=revoked)
                if parked is None and revoked:  # reconnected meanwhile: retry with the new grant
                    raise Transient("the account was reconnected during this action; retrying") from error
                if revoked:
                    raise
                return {"outbound_id": str(outbound_id), "status": WAITING_REAUTH}
            if isinstance(error, refused):
                await mark(pool, "outbound.give_up", outbound_id, reason)
                return {"outbound_id": str(outbound_id), "status": "failed", "error": reason}
            if final_attempt:
                await mark(pool, "outbound.give_up", outbound_id,
                           f"gave up after the last retry: {reason} (if {provider_label} accepted it, it is in Sent)")
            else:
                await mark(pool, "outbound.fail", outbound_id, reason)
            raise
        return {"outbound_id": str(row["id"]), "status": row["status"], "provider_id": row["provider_id"]}

    return await run_capability(pool, connection_id, capability, body)


def resume_waiting_sends(conn, connection_id, task_name: str,
                         actions: tuple[str, ...] = ("send_email", "create_draft")) -> int:
    """After a reconnect: queue every send that waited for it (its `actions`, run by `task_name`,
    the provider's send task), in the caller's (sync) transaction.

    The jobs are inserted on `conn` itself through a job manager of their own, so they exist only
    if the reconnect commits, and the shared app's connector (maybe serving a worker in this
    process) is never swapped.
    """
    rows = conn.execute(query("outbound.resume_waiting_sends"),
                        {"connection_id": connection_id, "actions": list(actions)}).fetchall()
    manager = JobManager(procrastinate.SyncPsycopgConnector())
    for row in rows:
        job = app.configure_task(name=task_name, lock=f"send:{row['id']}").make_new_job(
            connection_id=str(row["connection_id"]), outbound_id=str(row["id"]))
        manager.defer_job(job, connection=conn)
    return len(rows)
