"""QuickBooks reconcile: every entity of the company at QBO (by the query, inactive customers
included) against what is staged and what is normalized; the comparison is worker/sync/reconcile.py.

Deletions reach the CRM through CDC; reconcile is the proof that nothing was missed, and the repair
after a fallback from CDC to the query (a position older than 30 days, a cut answer): an entity
listed but not staged is staged as just read; one staged but no longer listed is looked up by Id
and, when QBO has it no more, staged as a tombstone. Ids are `<Entity>:<Id>` (Ids are per entity).
"""

from __future__ import annotations

from worker.providers.quickbooks.api import ENTITY, Entity, QuickBooksApi
from worker.providers.quickbooks.capabilities import SYNC_ACCOUNTING_LIVE, AccountingLiveSettings
from worker.store import query
from worker.store.reads import relation_exists, stream_staged_field
from worker.store.staging import RawObject
from worker.sync.stager import PageStager

PRODUCT = {"Customer": ("product.customers", "quickbooks.normalized_customer_ids"),
           "Invoice": ("product.invoices", "quickbooks.normalized_invoice_ids"),
           "Payment": ("product.payments", "quickbooks.normalized_payment_ids")}


def key(entity: Entity, entity_id: str) -> str:
    return f"{entity.name}:{entity_id}"


def tombstone(entity_id: str) -> dict:
    """What CDC answers for a deleted entity, for one found gone by reconcile."""
    return {"Id": entity_id, "status": "Deleted", "domain": "QBO"}


class AccountingReconciler:
    capability = SYNC_ACCOUNTING_LIVE
    normalized_per_connection = True

    def __init__(self, ctx, entities: list[str] | None = None) -> None:
        self.ctx = ctx
        names = entities or AccountingLiveSettings.model_validate(ctx.settings_of(SYNC_ACCOUNTING_LIVE)).entities
        self.entities = [ENTITY[name] for name in names]
        self.api: QuickBooksApi = ctx.api
        self.listed: dict[str, dict] = {}  # key → the entity as just read
        self.stagers = {e.name: PageStager(ctx, SYNC_ACCOUNTING_LIVE, stream=e.stream, resource=e.resource_type)
                        for e in self.entities}

    async def provider_ids(self) -> dict[str, str]:
        for entity in self.entities:
            await self.stagers[entity.name].begin_fetch()  # repair is fenced from before this listing
            position = 1
            while True:
                page = await self.api.changed(entity, None, position)
                for obj in page.objects:
                    self.listed[key(entity, obj.external_id)] = obj.payload
                if page.count < self.api.page_size:
                    break
                position += page.count
        return {k: k for k in self.listed}

    async def staged_ids(self) -> set[str]:
        staged: set[str] = set()
        async with self.ctx.db() as conn:
            for entity in self.entities:
                staged |= {key(entity, i) async for i, _ in
                           stream_staged_field(conn, self.ctx.connection_id, entity.resource_type, "Id")}
        return staged

    async def normalized_keys(self) -> set[str] | None:
        keys: set[str] = set()
        async with self.ctx.db() as conn:
            for entity in self.entities:
                relation, named = PRODUCT[entity.name]
                if not await relation_exists(conn, relation):
                    return None
                rows = await (await conn.execute(query(named), {"connection_id": self.ctx.connection_id})).fetchall()
                keys |= {key(entity, r["external_id"]) for r in rows}
        return keys

    async def repair(self, ids: set[str]) -> int:
        staged = 0
        for entity in self.entities:
            prefix = f"{entity.name}:"
            wanted = sorted(i.removeprefix(prefix) for i in ids if i.startswith(prefix))
            if not wanted:
                continue
            unlisted = [i for i in wanted if key(entity, i) not in self.listed]
            still = await self.api.by_ids(entity, unlisted) if unlisted else {}
            objects = []
            for entity_id in wanted:
                found = self.listed.get(key(entity, entity_id)) or still.get(entity_id)
                objects.append(RawObject(entity_id, found) if found is not None
                               else RawObject(entity_id, tombstone(entity_id), is_deleted=True))
            stager = self.stagers[entity.name]
            await stager.stage_page(objects, None)
            staged += stager.staged
        return staged
