"""QuickBooks' reads as this provider makes them: the query language (listing by last change, by
Id) and CDC, each answer checked and split into what can be staged and what cannot.

Customers are queried with `Active IN (true, false)`: without it QBO answers only active ones, and
an inactive customer must stay, flagged. Times are QBO's own (`2026-11-26T05:25:58-08:00`), so the
positions a sync keeps are on the company's clock, never this machine's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from worker.providers.quickbooks.client.errors import MalformedResponse
from worker.providers.quickbooks.client.http import QuickBooksClient
from worker.store.staging import RawObject

CDC_CAP = 1000  # objects per CDC answer: an answer this large may have been cut
BY_ID_BATCH = 100


@dataclass(frozen=True)
class Entity:
    name: str  # QBO's entity name (Customer)
    resource_type: str  # what it is staged as

    @property
    def stream(self) -> str:
        return self.name.lower()

    @property
    def every_state(self) -> str | None:
        """The condition that lists inactive ones too (QBO hides inactive customers by default)."""
        return "Active IN (true, false)" if self.name == "Customer" else None


ENTITY = {name: Entity(name, f"quickbooks.{name.lower()}") for name in ("Customer", "Invoice", "Payment")}
RESOURCE_TYPES = tuple(e.resource_type for e in ENTITY.values())


def quoted(value: str) -> str:
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def moment(value) -> datetime | None:
    """A QBO time (ISO 8601 with its offset) as an aware datetime; None when it is not one."""
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def updated_at(item: dict) -> datetime | None:
    meta = item.get("MetaData")
    return moment(meta.get("LastUpdatedTime")) if isinstance(meta, dict) else None


def qbo_time(value: datetime) -> str:
    return value.isoformat(timespec="seconds")


@dataclass
class Listed:
    """One answer: the entities as staged objects, the items that could not be, QBO's clock."""

    objects: list[RawObject]
    failures: list[tuple[str, str]]
    count: int  # entities in the answer, good or bad
    time: datetime | None
    last: dict | None = None  # the answer's last good entity (where a listing goes on)


def split(items, what: str, answer_time: datetime | None) -> Listed:
    """Entities with an Id become raw objects (CDC's `status: Deleted` ones tombstones); an item
    without one is an item failure: it cannot be staged, and its neighbours go on."""
    if items is None:
        items = []
    if not isinstance(items, list):
        raise MalformedResponse("malformed_answer", f"{what} is not a list")
    objects, failures, last = [], [], None
    for position, item in enumerate(items, 1):
        entity_id = item.get("Id") if isinstance(item, dict) else None
        if not isinstance(entity_id, str) or not entity_id:
            failures.append((f"{what}#{position}", f"an entity without an Id in {what}: not stageable"))
            continue
        objects.append(RawObject(entity_id, item, is_deleted=item.get("status") == "Deleted"))
        last = item
    return Listed(objects, failures, len(items), answer_time, last)


class QuickBooksApi:
    def __init__(self, client: QuickBooksClient, page_size: int = 1000) -> None:
        self.client, self.page_size = client, page_size

    async def query(self, text: str) -> dict:
        answer = await self.client.get("query", {"query": text})
        found = answer.get("QueryResponse")
        if not isinstance(found, dict):
            raise MalformedResponse("malformed_answer", "no QueryResponse object in the query answer")
        return {"QueryResponse": found, "time": moment(answer.get("time"))}

    async def changed(self, entity: Entity, after: str | None, position: int, until: str | None = None,
                      limit: int | None = None) -> Listed:
        """Entities changed at or after `after` (all when None), oldest change first, from
        STARTPOSITION `position`."""
        conditions = [c for c in (entity.every_state,
                                  after and f"MetaData.LastUpdatedTime >= {quoted(after)}",
                                  until and f"MetaData.LastUpdatedTime < {quoted(until)}") if c]
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        size = min(self.page_size, limit or self.page_size)
        answer = await self.query(f"SELECT * FROM {entity.name}{where} ORDERBY MetaData.LastUpdatedTime"
                                  f" STARTPOSITION {position} MAXRESULTS {size}")
        return split(answer["QueryResponse"].get(entity.name), f"{entity.name} page at {position}", answer["time"])

    async def by_ids(self, entity: Entity, ids: list[str]) -> dict[str, dict]:
        """The live entities among `ids` (inactive customers included), by Id."""
        found: dict[str, dict] = {}
        for start in range(0, len(ids), BY_ID_BATCH):
            batch = ids[start:start + BY_ID_BATCH]
            conditions = [c for c in (entity.every_state, f"Id IN ({', '.join(quoted(i) for i in batch)})") if c]
            answer = await self.query(f"SELECT * FROM {entity.name} WHERE {' AND '.join(conditions)}"
                                      f" MAXRESULTS {len(batch)}")
            for obj in split(answer["QueryResponse"].get(entity.name), f"{entity.name} by id", None).objects:
                found[obj.external_id] = obj.payload
        return found

    async def changes(self, entity: Entity, since: datetime) -> Listed:
        """CDC: every change to `entity` since `since` (deletions as tombstones)."""
        answer = await self.client.get("cdc", {"entities": entity.name, "changedSince": qbo_time(since)}, cdc=True)
        responses = answer.get("CDCResponse")
        if not isinstance(responses, list):
            raise MalformedResponse("malformed_answer", "no CDCResponse list in the CDC answer")
        items: list = []
        for response in responses:
            for part in (response or {}).get("QueryResponse") or []:
                if isinstance(part, dict) and entity.name in part:
                    chunk = part[entity.name]
                    items.extend(chunk if isinstance(chunk, list) else [chunk])
        return split(items, f"{entity.name} changes", moment(answer.get("time")))
