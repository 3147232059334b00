"""`sync_accounting_once`: a manual read of chosen entities changed within a window.

Its progress (`run:<id>` row) holds the entity it is in and the STARTPOSITION of its next page, so
a killed run resumes at the page it had not stored, and `sync once --wait` draws it as a bar (the
estimate is QBO's `COUNT(*)` of the window).
"""

from __future__ import annotations

from worker.providers.quickbooks.api import ENTITY, quoted
from worker.providers.quickbooks.capabilities import SYNC_ACCOUNTING_ONCE, AccountingOnceParams
from worker.sync.cursors import OnceProgress
from worker.sync.loops import OncePage, run_once
from worker.sync.stager import PageStager


class AccountingOnceProgress(OnceProgress):
    """`pageToken` is `<Entity>|<STARTPOSITION>` of the next page."""

    estimates: dict[str, int] | None = None


def window(params: AccountingOnceParams) -> tuple[str | None, str | None]:
    return (params.since.isoformat(timespec="seconds") if params.since else None,
            params.until.isoformat(timespec="seconds") if params.until else None)


async def estimate(ctx, params: AccountingOnceParams) -> dict[str, int]:
    since, until = window(params)
    counts = {}
    for name in params.entities:
        entity = ENTITY[name]
        conditions = [c for c in (entity.every_state, since and f"MetaData.LastUpdatedTime >= {quoted(since)}",
                                  until and f"MetaData.LastUpdatedTime < {quoted(until)}") if c]
        where = f" WHERE {' AND '.join(conditions)}" if conditions else ""
        answer = await ctx.api.query(f"SELECT COUNT(*) FROM {name}{where}")
        total = answer["QueryResponse"].get("totalCount")
        counts[name] = total if isinstance(total, int) else 0
    return counts


async def sync_accounting_once(ctx, params: AccountingOnceParams, run_id: str) -> dict:
    stager = PageStager(ctx, SYNC_ACCOUNTING_ONCE, stream=f"run:{run_id}",
                        resource=ENTITY[params.entities[0]].resource_type)
    since, until = window(params)
    stored = await stager.load_cursor(AccountingOnceProgress)
    estimates = stored.estimates or await estimate(ctx, params)
    total = sum(estimates.values())
    if params.max is not None:
        total = min(total, params.max)

    async def fetch(progress: AccountingOnceProgress, remaining: int | None) -> OncePage:
        name, _, position = (progress.pageToken or f"{params.entities[0]}|1").partition("|")
        entity, position = ENTITY[name], int(position or 1)
        size = min(ctx.api.page_size, remaining or ctx.api.page_size)
        page = await ctx.api.changed(entity, since, position, until=until, limit=size)
        stager.resource = entity.resource_type  # the page is staged as this entity's records
        if page.count >= size:
            token = f"{name}|{position + page.count}"
        else:
            later = params.entities[params.entities.index(name) + 1:]
            token = f"{later[0]}|1" if later else None
        return OncePage(page.objects, page.count, token, failures=page.failures, estimate=total)

    progress = await run_once(stager, AccountingOnceProgress, fetch, params.max,
                              defaults={"estimates": estimates})
    return {"listed": progress.listed, "staged": progress.staged, "failed": progress.failed}
