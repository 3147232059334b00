"""Staging provider objects into `integrations.raw_records`, deduplicated against the newest version.

Callers stage a page and advance its cursor on the same connection, inside one transaction, so a
cursor never moves past data that is not durably stored.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any, Iterable
from uuid import UUID


from worker.store import query


@dataclass(frozen=True)
class RawObject:
    """One provider object version: its id, the exact JSON, and whether it is a tombstone.

    `payload` may be a `ProviderJson`, which keeps the provider's own bytes: those are stored and
    hashed as they came, so staging neither re-serializes nor loses anything of the answer."""

    external_id: str
    payload: dict[str, Any]
    is_deleted: bool = False


class ProviderJson(dict):
    """A JSON object together with the exact text the provider sent."""

    def __init__(self, parsed: dict, text: str) -> None:
        super().__init__(parsed)
        self.text = text


def payload_text(payload: dict) -> str:
    """The provider's text when we have it; otherwise a canonical serialization (sorted keys)."""
    if isinstance(payload, ProviderJson):
        return payload.text
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _rows(objects: Iterable[RawObject]) -> list[tuple]:
    """One row per object (a later version in the same page wins), with the hash of its text."""
    latest: dict[str, RawObject] = {}
    for obj in objects:
        latest.pop(obj.external_id, None)
        latest[obj.external_id] = obj
    rows = []
    for n, obj in enumerate(latest.values()):
        text = payload_text(obj.payload)
        digest = hashlib.sha256(text.encode()).hexdigest() + (":deleted" if obj.is_deleted else "")
        rows.append((n, obj.external_id, text, digest, obj.is_deleted))
    return rows


def _claim_params(connection_id: UUID, resource_type: str, rows: list[tuple]) -> dict[str, Any]:
    return {"connection_id": connection_id, "resource_type": resource_type,
            "external_ids": [r[1] for r in rows], "hashes": [r[3] for r in rows], "deleted": [r[4] for r in rows]}


COPY_RAW = ("copy integrations.raw_records (connection_id, tenant_id, capability, resource_type, external_id,"
            " payload, payload_hash, is_deleted) from stdin")


def _copy_rows(connection_id, tenant_id, capability, resource_type, rows, claimed):
    for _, external_id, text, digest, is_deleted in rows:
        if external_id in claimed:
            yield (connection_id, tenant_id, capability, resource_type, external_id, text, digest, is_deleted)


def stage_records(conn, connection_id: UUID, tenant_id: UUID, capability: str, resource_type: str,
                  objects: Iterable[RawObject]) -> int:
    """Stage on a synchronous connection; returns how many new versions were stored."""
    rows = _rows(objects)
    if not rows:
        return 0
    with conn.transaction():
        claimed = {r[0] if isinstance(r, tuple) else r["external_id"]
                   for r in conn.execute(query("stage_records"), _claim_params(connection_id, resource_type, rows))}
        if claimed:
            with conn.cursor().copy(COPY_RAW) as copy:
                for row in _copy_rows(connection_id, tenant_id, capability, resource_type, rows, claimed):
                    copy.write_row(row)
    return len(claimed)


async def astage_records(aconn, connection_id: UUID, tenant_id: UUID, capability: str, resource_type: str,
                         objects: Iterable[RawObject]) -> int:
    """Stage on an async connection (tasks); returns how many new versions were stored."""
    rows = _rows(objects)
    if not rows:
        return 0
    async with aconn.transaction():
        cursor = await aconn.execute(query("stage_records"), _claim_params(connection_id, resource_type, rows))
        claimed = {r[0] if isinstance(r, tuple) else r["external_id"] for r in await cursor.fetchall()}
        if claimed:
            async with aconn.cursor().copy(COPY_RAW) as copy:
                for row in _copy_rows(connection_id, tenant_id, capability, resource_type, rows, claimed):
                    await copy.write_row(row)
    return len(claimed)
