"""Staging provider objects into `integrations.raw_records`, deduplicated against the newest version.

Callers stage a page and advance its cursor on the same connection, inside one transaction, so a
cursor never moves past data that is not durably stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Iterable
from uuid import UUID

from psycopg.types.json import Jsonb

from worker.store import query


@dataclass(frozen=True)
class RawObject:
    """One provider object version: its id, the exact JSON, and whether it is a tombstone."""

    external_id: str
    payload: dict[str, Any]
    is_deleted: bool = False


def _params(connection_id: UUID, tenant_id: UUID, capability: str, resource_type: str,
            objects: Iterable[RawObject]) -> dict[str, Any]:
    latest: dict[str, RawObject] = {}
    for obj in objects:  # one object twice in a page: the later version wins
        latest.pop(obj.external_id, None)
        latest[obj.external_id] = obj
    return {
        "connection_id": connection_id,
        "tenant_id": tenant_id,
        "capability": capability,
        "resource_type": resource_type,
        "external_ids": [o.external_id for o in latest.values()],
        "payloads": [Jsonb(o.payload) for o in latest.values()],
        "deleted": [o.is_deleted for o in latest.values()],
    }


def stage_records(conn, connection_id: UUID, tenant_id: UUID, capability: str, resource_type: str,
                  objects: Iterable[RawObject]) -> int:
    """Stage on a synchronous connection; returns how many new versions were stored."""
    params = _params(connection_id, tenant_id, capability, resource_type, objects)
    if not params["external_ids"]:
        return 0
    return len(conn.execute(query("stage_records"), params).fetchall())


async def astage_records(aconn, connection_id: UUID, tenant_id: UUID, capability: str, resource_type: str,
                         objects: Iterable[RawObject]) -> int:
    """Stage on an async connection (tasks); returns how many new versions were stored."""
    params = _params(connection_id, tenant_id, capability, resource_type, objects)
    if not params["external_ids"]:
        return 0
    cursor = await aconn.execute(query("stage_records"), params)
    return len(await cursor.fetchall())
