"""The toy provider: one folder, one registry entry. Everything else is the generic core's.

It declares a live capability whose stream the core's live loop drives, a reconciler the core's
reconcile compares, and its task on its own Blueprint; dispatch, the scheduler, status and
reconcile find it through the registry.
"""

from __future__ import annotations

import contextlib

import procrastinate

from tests.toy_provider.world import ACCOUNTS, TokenExpired
from worker.capabilities import Capability, Provider
from worker.store.connections import get_connection_row
from worker.store.reads import stream_staged
from worker.store.staging import RawObject
from worker.sync import errors
from worker.sync.context import ConnectionContext
from worker.sync.cursors import FullSync, LiveCursor
from worker.sync.loops import Page, run_live
from worker.sync.stager import PageStager
from worker.sync.tasks import live_task

CAPABILITY = "sync_things_live"
RESOURCE = "toy.thing"


class ToyCursorExpired(errors.CursorExpired):
    pass


class ToyContext(ConnectionContext):
    @property
    def client(self):
        return ACCOUNTS[self.account]


@contextlib.asynccontextmanager
async def open_toy_context(pool, connection_id, capability: str):
    row = await get_connection_row(pool, connection_id)
    yield ToyContext(row, pool)


class ThingsCursor(LiveCursor[FullSync]):
    sync_token: str | None = None

    def is_incremental(self) -> bool:
        return self.sync_token is not None


def to_object(thing: dict) -> RawObject:
    return RawObject(thing["id"], thing, is_deleted=bool(thing.get("deleted")))


class ThingsStream:
    cursor_model = ThingsCursor
    expired_reason = "toy sync token expired"

    def __init__(self, ctx) -> None:
        self.ctx = ctx

    async def begin_full(self, reason: str, settle: bool) -> ThingsCursor:
        return ThingsCursor(full=FullSync(reason=reason, settle=settle or None))

    async def full_page(self, cursor: ThingsCursor) -> Page[ThingsCursor]:
        page = self.ctx.client.list_page(cursor.full.pageToken)
        objects = [to_object(t) for t in page["items"]]
        if "next_page_token" in page:
            following = cursor.full.model_copy(update={"pageToken": page["next_page_token"]})
            return Page(objects, ThingsCursor(full=following), more=True)
        return Page(objects, ThingsCursor(sync_token=page["sync_token"], settle=cursor.full.settle), more=False)

    async def incremental_page(self, cursor: ThingsCursor) -> Page[ThingsCursor]:
        try:
            page = self.ctx.client.changes(cursor.sync_token)
        except TokenExpired as error:
            raise ToyCursorExpired(f"token {error} expired") from error
        return Page([to_object(t) for t in page["changes"]], ThingsCursor(sync_token=page["sync_token"]), more=False)

    async def settle(self) -> None:
        reconciler = ThingsReconciler(self.ctx)
        vanished = await reconciler.staged_ids() - set(await reconciler.provider_ids())
        await reconciler.repair(vanished)


class ThingsReconciler:
    capability = CAPABILITY
    normalized_per_connection = True

    def __init__(self, ctx) -> None:
        self.ctx = ctx

    async def provider_ids(self) -> dict[str, str]:
        return {thing_id: thing_id for thing_id in self.ctx.client.things}

    async def staged_ids(self) -> set[str]:
        async with self.ctx.db() as conn:
            return {i async for i, _, _ in stream_staged(conn, self.ctx.connection_id, RESOURCE)}

    async def normalized_keys(self) -> set[str] | None:
        return None

    async def repair(self, ids: set[str]) -> int:
        stager = PageStager(self.ctx, CAPABILITY, resource=RESOURCE)
        things = self.ctx.client.things
        await stager.stage_page([to_object(things.get(i, {"id": i, "deleted": True})) for i in sorted(ids)], None)
        return stager.staged


blueprint = procrastinate.Blueprint()


async def sync_things(ctx) -> dict:
    stager = PageStager(ctx, CAPABILITY, resource=RESOURCE)
    mode, cursor = await run_live(ThingsStream(ctx), stager)
    return {"mode": mode, "staged": stager.staged, "cursor": cursor.dump()}


sync_things_live = live_task(blueprint, CAPABILITY, open_toy_context, sync_things)


TOY = Provider(
    name="toy",
    ownership="tenant",
    credential_kind="api_key",
    capabilities={
        CAPABILITY: Capability(CAPABILITY, "live", frozenset(), task=CAPABILITY, reconciler=ThingsReconciler,
                               resource_types=(RESOURCE,), description="a toy live sync"),
    },
    open_context=open_toy_context,
    blueprint=blueprint,
)
